package registrar

import (
	"net/netip"
	"sync"
	"time"
)

// guard protects the registrar from one source address: a token bucket of
// requests and a ban after repeated failed authentications. It is keyed by
// IP address without the port, so a scanner cannot escape it by changing
// ports. Every time comes from the caller (the registrar's clock).
//
// Failures are counted per username within each address: the address is
// banned once its usernames' failures add up to maxFailures within the
// window, and a successful authentication clears only its own username's
// failures. A phone that mistyped its password and then got it right
// leaves nothing against its address, but an attacker cannot wipe its
// guesses at one extension by registering another one it knows.
type guard struct {
	rate        float64 // tokens per second
	burst       float64
	maxFailures int
	window      time.Duration
	banFor      time.Duration

	mu    sync.Mutex
	peers map[netip.Addr]*peer
}

type peer struct {
	tokens   float64
	refilled time.Time
	// failures of each username (at most maxFailures entries: the ban
	// clears them).
	failures    map[string]failures
	bannedUntil time.Time
	seen        time.Time
}

// failures are one username's failed authentications from one address
// since first.
type failures struct {
	n     int
	first time.Time
}

// verdict is what the guard says about one request.
type verdict int

const (
	allow   verdict = iota
	limited         // over the request rate: drop
	banned          // too many failed authentications: refuse
)

func newGuard(c *Config) *guard {
	return &guard{
		rate: c.RequestRate, burst: float64(c.RequestBurst),
		maxFailures: c.MaxAuthFailures, window: c.FailureWindow, banFor: c.BanTime,
		peers: map[netip.Addr]*peer{},
	}
}

func (g *guard) peer(ip netip.Addr, now time.Time) *peer {
	p := g.peers[ip]
	if p == nil {
		p = &peer{tokens: g.burst, refilled: now}
		g.peers[ip] = p
	}
	p.seen = now
	return p
}

// admit takes a token for a request from ip at now.
func (g *guard) admit(ip netip.Addr, now time.Time) verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.peer(ip, now)
	if el := now.Sub(p.refilled).Seconds(); el > 0 {
		p.tokens = min(g.burst, p.tokens+el*g.rate)
		p.refilled = now
	}
	if p.tokens < 1 {
		return limited // a banned flood is dropped too, not answered
	}
	p.tokens--
	if now.Before(p.bannedUntil) {
		return banned
	}
	return allow
}

// fail counts a failed authentication of user from ip; when the
// failures of ip's usernames within the window add up to maxFailures, ip
// is banned for banFor. It reports whether ip is now banned.
func (g *guard) fail(ip netip.Addr, user string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.peer(ip, now)
	if p.failures == nil {
		p.failures = map[string]failures{}
	}
	total := 0
	for u, f := range p.failures {
		if now.Sub(f.first) > g.window {
			delete(p.failures, u)
			continue
		}
		total += f.n
	}
	f := p.failures[user]
	if f.n == 0 {
		f.first = now
	}
	f.n++
	p.failures[user] = f
	if total+1 < g.maxFailures {
		return false
	}
	p.failures, p.bannedUntil = nil, now.Add(g.banFor)
	return true
}

// succeed clears the failures of user from ip, and only those.
func (g *guard) succeed(ip netip.Addr, user string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.peers[ip]; p != nil {
		delete(p.failures, user)
	}
}

// prune forgets addresses that are neither banned nor seen for a while,
// so memory stays bounded by recent traffic.
func (g *guard) prune(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	idle := max(g.window, time.Duration(g.burst/g.rate*float64(time.Second)))
	for ip, p := range g.peers {
		if now.After(p.bannedUntil) && now.Sub(p.seen) > idle {
			delete(g.peers, ip)
		}
	}
}
