// Package registrar is the SIP registrar of callfloor's PBX: phones and
// browsers REGISTER their contacts for an extension, authenticated by
// digest (RFC 7616: MD5 or SHA-256, qop=auth) against the extension's
// stored HA1s.
//
// Protection, per source IP address (all times from the injected clock):
// a token bucket of RequestBurst requests refilled at RequestRate per
// second (requests beyond it are dropped without an answer), and a ban of
// BanTime after MaxAuthFailures failed authentications within
// FailureWindow (requests during a ban are answered 403 Forbidden). A
// wrong password and an unknown username both count as failures and get
// the same 401 answer, nonce aside, so usernames cannot be probed.
// Failures are kept per username: a success clears its own username's
// and no other. Addresses in Allow and those Trusted (trunks) are never
// limited nor banned, and requests inside an established dialog
// (TrustDialogs) always pass, so a banned phone can still hang up.
//
// Nonces are stateless (an HMAC of their issue time), valid for NonceTTL;
// an expired one is answered with stale=true.
//
// Bindings live in memory: Contacts, Registered and Watch are how the rest
// of the system learns where an extension can be reached and whether it
// is online.
package registrar

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// CredentialStore finds an extension's digest hashes by SIP username;
// callfloor.AuthStore is one.
type CredentialStore interface {
	FindSIPCredentials(ctx context.Context, sipUsername string) (*callfloor.Extension, error)
}

// Config configures a Registrar. Only Store is required; zero fields take
// the defaults documented on each.
type Config struct {
	Store CredentialStore
	// Realm is the digest realm the HA1s were computed for
	// (callfloor.DefaultSIPRealm).
	Realm string
	// Clock drives nonces, expiry and protection (callfloor.SystemClock).
	Clock  callfloor.TimerClock
	Logger *slog.Logger
	// NonceKey signs nonces (32 random bytes: nonces then do not survive
	// a restart, and clients simply get challenged again).
	NonceKey []byte
	// NonceTTL is how long a nonce is accepted (5 minutes).
	NonceTTL time.Duration
	// Algorithms are the digest algorithms challenges offer, in order
	// (DefaultAlgorithms).
	Algorithms []string

	// MinExpires, MaxExpires and DefaultExpires bound a registration's
	// lifetime (60 s, 1 hour, 1 hour). Below the minimum the answer is
	// 423 Interval Too Brief; above the maximum it is cut down.
	MinExpires, MaxExpires, DefaultExpires time.Duration
	// MaxContacts is how many contacts one extension may have (10).
	MaxContacts int

	// RequestRate and RequestBurst are the token bucket of each source
	// IP (10 per second, burst 50).
	RequestRate  float64
	RequestBurst int
	// MaxAuthFailures failed authentications from one IP within
	// FailureWindow ban it for BanTime (5, 5 minutes, 15 minutes). They
	// are counted per username: a success clears its own username's.
	MaxAuthFailures int
	FailureWindow   time.Duration
	BanTime         time.Duration
	// Allow are networks whose addresses are never rate-limited nor
	// banned: an office behind one NAT address, a load generator.
	Allow []netip.Prefix
	// Trusted, if set, tells whether a source is one the system
	// authenticates by its address (a trunk's carrier): never
	// rate-limited nor banned either. It is asked on every request.
	Trusted func(netip.AddrPort) bool
	// Owns, on a cluster node, tells the accounts whose phones register
	// here (those the node owns): another account's REGISTER is answered
	// 503 after its credentials are checked, so that the SIP proxy tries
	// another node and the registration lands on the owner, whose floor
	// shows it. Nil: every account's.
	Owns func(accountID int64) bool

	// Keepalive is how often every binding is sent an OPTIONS over the
	// flow it registered on (30 s); negative turns keepalives off.
	// KeepaliveTimeout is how long one waits for an answer (10 s, at
	// most Keepalive); KeepaliveFailures unanswered in a row remove the
	// binding (3).
	Keepalive         time.Duration
	KeepaliveTimeout  time.Duration
	KeepaliveFailures int

	// trace sees each step of the keepalive loop (tests).
	trace func(keepaliveEvent)
}

func (c *Config) setDefaults() error {
	if c.Store == nil {
		return errors.New("registrar: Config.Store is required")
	}
	if c.Realm == "" {
		c.Realm = callfloor.DefaultSIPRealm
	}
	if c.Clock == nil {
		c.Clock = callfloor.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if len(c.NonceKey) == 0 {
		c.NonceKey = make([]byte, 32)
		if _, err := rand.Read(c.NonceKey); err != nil {
			return err
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.NonceTTL, 5*time.Minute)
	def(&c.MinExpires, 60*time.Second)
	def(&c.MaxExpires, time.Hour)
	def(&c.DefaultExpires, time.Hour)
	def(&c.FailureWindow, 5*time.Minute)
	def(&c.BanTime, 15*time.Minute)
	if c.Keepalive == 0 {
		c.Keepalive = 30 * time.Second
	}
	def(&c.KeepaliveTimeout, 10*time.Second)
	c.KeepaliveTimeout = min(c.KeepaliveTimeout, max(c.Keepalive, time.Millisecond))
	if c.KeepaliveFailures <= 0 {
		c.KeepaliveFailures = 3
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultAlgorithms
	}
	if c.MaxContacts <= 0 {
		c.MaxContacts = 10
	}
	if c.RequestRate <= 0 {
		c.RequestRate = 10
	}
	if c.RequestBurst <= 0 {
		c.RequestBurst = 50
	}
	if c.MaxAuthFailures <= 0 {
		c.MaxAuthFailures = 5
	}
	c.MinExpires = min(c.MinExpires, c.MaxExpires)
	c.DefaultExpires = min(max(c.DefaultExpires, c.MinExpires), c.MaxExpires)
	return nil
}

// Registrar is a SIP registrar server. Create it with New, give it
// listeners with ServeUDP, ServeTCP, ServeTLS, ServeWS and ServeWSS, and
// Close it.
type Registrar struct {
	cfg    Config
	log    *slog.Logger
	clock  callfloor.TimerClock
	nonces *nonces
	guard  *guard
	table  *table
	edge   *edge

	ua  *sipgo.UserAgent
	srv *sipgo.Server

	// methods are those answered, for the Allow header: REGISTER and
	// OPTIONS, and what Handle added.
	methodsMu sync.Mutex
	methods   []string
	// inDialog recognises requests inside an established dialog (see
	// TrustDialogs).
	inDialog atomic.Pointer[func(*sip.Request) bool]

	done      chan struct{}
	stopped   chan struct{}
	loops     sync.WaitGroup // keepalive
	closeOnce sync.Once
}

// allowed is the Allow header of every answer that has one.
func (r *Registrar) allowed() string {
	r.methodsMu.Lock()
	defer r.methodsMu.Unlock()
	return strings.Join(append([]string{"REGISTER", "OPTIONS"}, r.methods...), ", ")
}

// New returns a registrar serving nothing yet; it starts the goroutines
// that expire bindings and send keepalives.
func New(cfg Config) (*Registrar, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	r := &Registrar{
		cfg: cfg, log: cfg.Logger, clock: cfg.Clock,
		nonces: &nonces{key: cfg.NonceKey, ttl: cfg.NonceTTL},
		guard:  newGuard(&cfg),
		edge:   newEdge(),
		table:  newTable(cfg.Logger),
		done:   make(chan struct{}), stopped: make(chan struct{}),
	}
	sipLog := redacted(cfg.Logger)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callfloor"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog),
			sip.WithTransportLayerReadFilter(r.screen)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog)))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		ua.Close()
		return nil, err
	}
	r.ua, r.srv = ua, srv
	srv.OnRegister(r.guarded(r.register))
	srv.OnOptions(r.guarded(r.options))
	srv.OnNoRoute(r.guarded(r.noRoute))
	if cfg.Keepalive > 0 {
		k, err := newKeepalive(r)
		if err != nil {
			ua.Close()
			return nil, err
		}
		r.loops.Add(1)
		go func() {
			defer r.loops.Done()
			k.run(r.done)
		}()
	}
	go r.run()
	return r, nil
}

// ServeUDP serves SIP on conn until the registrar or conn is closed.
func (r *Registrar) ServeUDP(conn net.PacketConn) error {
	defer r.edge.add(conn)()
	return r.srv.ServeUDP(conn)
}

// ServeTCP serves SIP on ln until the registrar or ln is closed.
func (r *Registrar) ServeTCP(ln net.Listener) error { return r.srv.ServeTCP(ln) }

// Close stops the registrar and closes its listeners and connections.
func (r *Registrar) Close() error {
	var err error
	r.closeOnce.Do(func() {
		close(r.done)
		<-r.stopped
		r.loops.Wait()
		err = r.ua.Close()
	})
	return err
}

// Contacts returns the unexpired bindings of an extension.
func (r *Registrar) Contacts(accountID, extensionID int64) []Binding {
	return r.table.contacts(aor{accountID, extensionID}, r.clock.Now())
}

// Registered reports whether an extension has at least one unexpired
// binding.
func (r *Registrar) Registered(accountID, extensionID int64) bool {
	return len(r.Contacts(accountID, extensionID)) > 0
}

// Kinds reports which kinds of device an extension has registered now: a
// softphone (any SIP device but a browser page) and a browser page.
func (r *Registrar) Kinds(accountID, extensionID int64) (softphone, browser bool) {
	return kinds(r.Contacts(accountID, extensionID))
}

// Watch returns a channel of changes to any extension's contacts, in
// order, and a function that stops the watch. A watcher that falls more
// than 64 changes behind misses changes; each Change carries the whole
// state, so the next one sets it right.
func (r *Registrar) Watch() (<-chan Change, func()) { return r.table.watch() }

// run expires bindings when they are due (and prunes the guard), until
// Close.
func (r *Registrar) run() {
	defer close(r.stopped)
	for {
		now := r.clock.Now()
		r.guard.prune(now)
		wait := time.Minute
		if next := r.table.expire(now); !next.IsZero() {
			wait = min(wait, next.Sub(now))
		}
		t := timerAt(r.clock, now.Add(wait))
		select {
		case <-t.C():
		case <-r.table.wake:
			t.Stop()
		case <-r.done:
			t.Stop()
			return
		}
	}
}

// guarded wraps a handler with the per-address protection and turns a
// panic into a logged 500. Allowed and trusted sources, and requests
// inside an established dialog, pass without it: a banned phone can still
// hang up its call.
func (r *Registrar) guarded(h func(req *sip.Request, tx sip.ServerTransaction, src netip.AddrPort)) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if v := recover(); v != nil {
				r.log.Error("sip handler panic", "method", req.Method.String(), "panic", v, "stack", string(debug.Stack()))
				r.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error")
			}
		}()
		src, ok := sourceOf(req)
		if !ok {
			r.log.Warn("sip request without a source address dropped", "method", req.Method.String())
			return
		}
		if !r.exempt(src) && !r.withinDialog(req) {
			switch r.guard.admit(src.Addr(), r.clock.Now()) {
			case limited:
				return
			case banned:
				r.respond(req, tx, sip.StatusForbidden, "Forbidden")
				return
			}
		}
		if code, reason, hs := vet(req); code != 0 {
			r.respond(req, tx, code, reason, hs...)
			return
		}
		h(req, tx, src)
	}
}

// sourceOf is the address a request came from, IPv4 unmapped.
func sourceOf(req *sip.Request) (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// exempt reports whether src is never limited nor banned: in an allowed
// network, or trusted (a trunk).
func (r *Registrar) exempt(src netip.AddrPort) bool {
	for _, p := range r.cfg.Allow {
		if p.Contains(src.Addr()) {
			return true
		}
	}
	return r.cfg.Trusted != nil && r.cfg.Trusted(src)
}

// TrustDialogs tells the registrar how to recognise a request inside an
// established dialog (its To tag matches a live dialog): such requests
// are never rate-limited nor refused for a ban, as ending or changing a
// call that is up must always work. The B2BUA, which owns the dialogs,
// calls it.
func (r *Registrar) TrustDialogs(match func(*sip.Request) bool) { r.inDialog.Store(&match) }

func (r *Registrar) withinDialog(req *sip.Request) bool {
	to := req.To()
	if to == nil {
		return false
	}
	if tag, ok := to.Params.Get("tag"); !ok || tag == "" {
		return false
	}
	match := r.inDialog.Load()
	return match != nil && (*match)(req)
}

// respond answers req with code and extra headers. ACKs are never
// answered.
func (r *Registrar) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hs ...sip.Header) {
	if tx == nil || req.IsAck() {
		return
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		r.log.Debug("sip respond failed", "code", code, "err", err)
	}
}

// options answers an OPTIONS to the registrar (a phone's keepalive or
// capability query): 200 with what it accepts.
func (r *Registrar) options(req *sip.Request, tx sip.ServerTransaction, _ netip.AddrPort) {
	r.respond(req, tx, sip.StatusOK, "OK", sip.NewHeader("Allow", r.allowed()),
		sip.NewHeader("Accept", "application/sdp"))
}

func (r *Registrar) noRoute(req *sip.Request, tx sip.ServerTransaction, _ netip.AddrPort) {
	r.respond(req, tx, sip.StatusMethodNotAllowed, "Method Not Allowed", sip.NewHeader("Allow", r.allowed()))
}
