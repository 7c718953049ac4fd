package auth

import (
	"strings"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
)

// ghosts counts failed logins for usernames that do not exist, with the
// same rule as the store applies to real users (callfloor.MaxLoginFailures
// in a row lock for callfloor.LoginLockout). Without it, "this username is
// locked" would tell an attacker that the username exists, because only
// real users can be locked. It lives in memory and holds at most maxKeys
// names; past that it stops tracking new ones until old ones expire.
type ghosts struct {
	mu      sync.Mutex
	maxKeys int
	seen    map[string]*callfloor.LoginState
}

func newGhosts() *ghosts {
	return &ghosts{maxKeys: 10000, seen: map[string]*callfloor.LoginState{}}
}

func ghostKey(account, username string) string {
	return strings.ToLower(account) + "\x00" + username
}

// lockedUntil returns when the name's lockout ends (zero when not locked).
func (g *ghosts) lockedUntil(key string, now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := g.seen[key]; st != nil && now.Before(st.LockedUntil) {
		return st.LockedUntil
	}
	return time.Time{}
}

// fail records a failed login for the name.
func (g *ghosts) fail(key string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.seen[key]
	if st == nil {
		if len(g.seen) >= g.maxKeys {
			for k, s := range g.seen {
				if !now.Before(s.LockedUntil) {
					delete(g.seen, k) // forgetting a run of failures only resets it
				}
			}
			if len(g.seen) >= g.maxKeys {
				return
			}
		}
		st = &callfloor.LoginState{}
		g.seen[key] = st
	}
	if !st.LockedUntil.IsZero() && !now.Before(st.LockedUntil) {
		*st = callfloor.LoginState{} // the lockout is over: start a new run
	}
	st.Failures++
	if st.Failures >= callfloor.MaxLoginFailures {
		st.LockedUntil = now.Add(callfloor.LoginLockout)
	}
}
