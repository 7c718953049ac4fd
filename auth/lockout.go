package auth

import (
	"strings"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
)

// lockout protects users from password guessing without letting a third
// party lock them out:
//
//   - an address that fails callfloor.MaxLoginFailures times for one user
//     within callfloor.LoginLockout is locked out of that user for
//     LoginLockout (login_locked), and only that address;
//   - past MaxLoginFailures failures for a user from all addresses
//     together, each attempt must wait a delay after the last failure that
//     doubles with every failure, from 1 s to at most maxDelay
//     (rate_limited with Retry-After), whether or not the password is right:
//     guessing from many addresses slows to one try a minute, and the real
//     user waits at most a minute, never fifteen.
//
// A success clears the user's count and its address's. Unknown usernames
// count exactly like real ones, so no answer tells whether a name exists.
// It lives in memory, bounded (see tallies): a restart forgets it.
type lockout struct {
	mu    sync.Mutex
	pairs *tallies // user key + address
	users *tallies // user key
}

// maxDelay caps the growing delay of a user under attack.
const maxDelay = time.Minute

func newLockout() *lockout {
	return &lockout{pairs: newTallies(20000), users: newTallies(10000)}
}

func userKey(account, username string) string {
	return strings.ToLower(account) + "\x00" + username
}

func pairKey(user, ip string) string { return user + "\x00" + ip }

// check says whether an attempt for user from ip may go ahead now.
func (l *lockout) check(user, ip string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.pairs.get(pairKey(user, ip)); p != nil && now.Before(p.lockedUntil) {
		return loginLocked(p.lockedUntil.Sub(now))
	}
	if u := l.users.get(user); u != nil && now.Sub(u.first) <= callfloor.LoginLockout {
		if next := u.last.Add(delayAfter(u.n)); now.Before(next) {
			return slowedDown(next.Sub(now))
		}
	}
	return nil
}

// delayAfter is how long after the last failure the next attempt waits
// when a user has n failures.
func delayAfter(n int) time.Duration {
	over := n - callfloor.MaxLoginFailures
	if over < 0 {
		return 0
	}
	if over > 6 {
		return maxDelay
	}
	return min(time.Second<<over, maxDelay)
}

// fail counts a failed attempt for user from ip.
func (l *lockout) fail(user, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pk := pairKey(user, ip)
	p := l.pairs.get(pk)
	if p == nil || now.Sub(p.first) > callfloor.LoginLockout {
		p = l.pairs.start(pk, now)
	}
	p.n++
	p.last = now
	if p.n >= callfloor.MaxLoginFailures {
		p.lockedUntil = now.Add(callfloor.LoginLockout)
	}
	u := l.users.get(user)
	if u == nil || now.Sub(u.first) > callfloor.LoginLockout {
		u = l.users.start(user, now)
	}
	u.n++
	u.last = now
}

// succeed clears the counts of user and of the address it succeeded from.
func (l *lockout) succeed(user, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pairs.forget(pairKey(user, ip))
	l.users.forget(user)
}
