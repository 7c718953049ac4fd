package b2bua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/webrtc"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config configures a B2BUA. Registrar, FindExtensionByNumber and Contact
// are required.
type Config struct {
	Registrar *registrar.Registrar
	// FindExtensionByNumber finds the extension with a number in an
	// account; an error with code callfloor.ErrNotFound (or a nil
	// extension) means there is none.
	FindExtensionByNumber func(ctx context.Context, accountID int64, number string) (*callfloor.Extension, error)
	// Contact is the B2BUA's own SIP address (the registrar's listening
	// host and port), put in the Contact of its requests and answers.
	Contact sip.Uri
	// Listeners are the addresses of the other transports the registrar
	// serves, by transport (TCP, TLS, WS, WSS): a dialog over one of them
	// gets that address, with its transport parameter, as the B2BUA's
	// Contact, so the party's requests inside the dialog come back the
	// same way. A transport missing here uses Contact.
	Listeners map[string]sip.Uri
	// SendFrom, if set, is the host:port of the registrar's UDP socket
	// to send requests from, so that phones see them come from the
	// address they registered with (NAT pinholes).
	SendFrom string
	// MediaIP is the address relay legs bind and advertise in SDP
	// (127.0.0.1 when zero); Ports the range they take ports from.
	MediaIP netip.Addr
	Ports   relay.Ports
	// RingTimeout is how long the callee may ring (60 s); then the
	// caller gets 480.
	RingTimeout time.Duration
	// Admit, if set, decides whether a leg may ring, once the callee is
	// found and registered (the floor's rules: a logged-off or paused
	// agent neither rings nor calls). A *Refusal says how the caller is
	// answered; any other error is 480.
	Admit func(ctx context.Context, a Admission) (Admitted, error)
	// OnEvent, if set, is called with each call event, in order per call.
	// It must not block.
	OnEvent func(Event)
	// Trunks, if set, routes calls to and from carriers.
	Trunks TrunkRouter
	// Queues, if set, takes the calls to queue numbers (the ACD).
	Queues QueueRouter
	// WebRTC, if set, terminates the media of browser phones (DTLS-SRTP
	// offers, registrations from browsers); without it a browser's
	// offer gets 488.
	WebRTC *webrtc.Endpoint
	// MediaTimeout is how long a party in a call may send no RTP and no
	// RTCP before its calls end with ReasonMediaTimeout (a caller gone
	// without a BYE). 0 is DefaultMediaTimeout; negative turns the
	// watchdog off.
	MediaTimeout time.Duration
	// SessionExpires is the session interval (RFC 4028) the B2BUA asks
	// for in its INVITEs and grants to parties that want one; MinSE the
	// smallest it accepts (a shorter request gets 422). 0 is
	// DefaultSessionExpires and DefaultMinSE; a negative SessionExpires
	// turns session timers off.
	SessionExpires time.Duration
	MinSE          time.Duration
	// BrowserGrace is how long a call waits for a page phone that lost
	// its media to register again (DefaultBrowserGrace when 0).
	BrowserGrace time.Duration
	Logger       *slog.Logger
	// Now is the clock of event times (time.Now).
	Now func() time.Time
}

// AdmissionKind says how a leg came to ring.
type AdmissionKind int

// Kinds of admission.
const (
	// KindCall: the caller dialled the callee.
	KindCall AdmissionKind = iota + 1
	// KindTransfer: Caller transferred a call in progress to the callee,
	// blind or after consulting; only the callee's rules apply.
	KindTransfer
	// KindConsult: Caller, on a call, calls the callee from the
	// workspace (a new line, or a consultation before a transfer).
	KindConsult
	// KindClick: click to dial rings the caller's own phone (Callee is
	// the caller) and then the callee; the caller's dial was admitted
	// already.
	KindClick
)

// Admission is a leg asking to ring.
type Admission struct {
	Kind      AdmissionKind
	CallID    string
	AccountID int64
	// Caller is nil for a carrier's call, Callee nil for a call out
	// through a trunk.
	Caller, Callee *callfloor.Extension
	Number         string
	// From is the caller's number.
	From string
	// QueueID is the queue a call to a queue number waits in (Callee is
	// nil then).
	QueueID int64
}

// Admitted is Admit's answer for a leg that may ring.
type Admitted struct {
	// AutoAnswer asks the callee's phone to answer at once; the callee
	// hears a short beep before the call connects.
	AutoAnswer bool
}

// Refusal is Admit's answer for a call that may not go ahead: the SIP
// status and reason phrase the caller gets.
type Refusal struct {
	Status int
	Text   string
	// Code is the callfloor error code behind the refusal, if any.
	Code string
}

func (r *Refusal) Error() string { return fmt.Sprintf("b2bua: refused: %d %s", r.Status, r.Text) }

// B2BUA bridges calls between registered extensions. Create it with New
// before the registrar serves, and Close it.
type B2BUA struct {
	cfg Config
	log *slog.Logger
	// ua sends over UDP from SendFrom; uaStream over the phone's own
	// stream connection.
	ua, uaStream sipgo.DialogUA
	// uaOf are the stream transports' dialog UAs, each with its own
	// Contact (Config.Listeners).
	uaOf map[string]*sipgo.DialogUA

	// quit stops the background work (the media watchdog), and wg
	// waits for it.
	quit      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	// shutdown is canceled by Close: every ring (dialOut) stops on it,
	// and rings counts the rings still out, which Close waits for, so
	// none is left to CANCEL through a user agent closed after us.
	shutdown     context.Context
	stopShutdown context.CancelFunc
	rings        sync.WaitGroup
	stopWatch    func() // ends the registration watch

	mu     sync.Mutex
	legs   map[string]*leg  // by dialog ID
	calls  map[string]*call // by call ID
	closed bool
}

// New returns a B2BUA receiving INVITE, ACK, BYE and CANCEL on the
// registrar's server.
func New(cfg Config) (*B2BUA, error) {
	if cfg.Registrar == nil || cfg.FindExtensionByNumber == nil || cfg.Contact.Host == "" {
		return nil, errors.New("b2bua: Config.Registrar, FindExtensionByNumber and Contact are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MediaTimeout == 0 {
		cfg.MediaTimeout = DefaultMediaTimeout
	}
	if cfg.SessionExpires == 0 {
		cfg.SessionExpires = DefaultSessionExpires
	}
	if cfg.MinSE <= 0 {
		cfg.MinSE = DefaultMinSE
	}
	if cfg.BrowserGrace <= 0 {
		cfg.BrowserGrace = DefaultBrowserGrace
	}
	if cfg.SessionExpires > 0 && cfg.SessionExpires < cfg.MinSE {
		return nil, errors.New("b2bua: Config.SessionExpires is below MinSE")
	}
	if !cfg.MediaIP.IsValid() {
		cfg.MediaIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(cfg.Contact.Host),
		sipgo.WithClientPort(cfg.Contact.Port), sipgo.WithClientLogger(cfg.Logger)}
	// Streams (TCP, TLS, WS, WSS) reuse the phone's connection, found by
	// its address; only UDP is sent from the fixed SendFrom socket.
	stream, err := sipgo.NewClient(cfg.Registrar.UserAgent(), opts...)
	if err != nil {
		return nil, err
	}
	if cfg.SendFrom != "" {
		opts = append(opts, sipgo.WithClientConnectionAddr(cfg.SendFrom))
	}
	client, err := sipgo.NewClient(cfg.Registrar.UserAgent(), opts...)
	if err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: cfg.Contact}
	b := &B2BUA{
		cfg: cfg, log: cfg.Logger,
		ua:       sipgo.DialogUA{Client: client, ContactHDR: contact, RewriteContact: true},
		uaStream: sipgo.DialogUA{Client: stream, ContactHDR: contact, RewriteContact: true},
		uaOf:     map[string]*sipgo.DialogUA{},
		legs:     map[string]*leg{}, calls: map[string]*call{},
		quit: make(chan struct{}),
	}
	b.shutdown, b.stopShutdown = context.WithCancel(context.Background())
	for tp, addr := range cfg.Listeners {
		uri := addr
		uri.UriParams = sip.NewParams()
		uri.UriParams.Add("transport", strings.ToLower(tp))
		b.uaOf[strings.ToUpper(tp)] = &sipgo.DialogUA{Client: stream, ContactHDR: sip.ContactHeader{Address: uri}, RewriteContact: true}
	}
	reg := cfg.Registrar
	reg.Handle(sip.INVITE, b.onInvite)
	reg.Handle(sip.ACK, b.onAck)
	reg.Handle(sip.BYE, b.onBye)
	reg.Handle(sip.CANCEL, b.onCancel)
	reg.Handle(sip.REFER, b.onRefer)
	reg.Handle(sip.UPDATE, b.onUpdate)
	// A request of a live dialog always passes the registrar's guard.
	reg.TrustDialogs(func(req *sip.Request) bool { return b.findLeg(req) != nil })
	b.wg.Add(1)
	go b.background()
	if cfg.WebRTC != nil {
		changes, stop := cfg.Registrar.Watch()
		b.stopWatch = stop
		b.wg.Add(1)
		go b.watchRegistrations(changes)
	}
	return b, nil
}

// Close cancels every ring still out, hangs up every established call,
// and returns once the rings and the B2BUA's own goroutines are done.
func (b *B2BUA) Close() error {
	b.closeOnce.Do(func() {
		close(b.quit)
		if b.stopWatch != nil {
			b.stopWatch()
		}
	})
	defer b.wg.Wait()
	defer b.rings.Wait()
	b.mu.Lock()
	b.closed = true
	b.stopShutdown()
	calls := make([]*call, 0, len(b.calls))
	for _, c := range b.calls {
		if c.answered || c.waits() {
			calls = append(calls, c)
		}
	}
	b.mu.Unlock()
	for _, c := range calls {
		c.end(nil, ReasonShutdown)
	}
	return nil
}

// Calls returns how many calls are established.
func (b *B2BUA) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.calls {
		if c.answered {
			n++
		}
	}
	return n
}

// AccountCalls returns how many calls of the account are in progress
// here: ringing, waiting in a queue or established. A cluster node moves
// an account to another node only when it has none.
func (b *B2BUA) AccountCalls(account int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.calls {
		if c.base.AccountID == account {
			n++
		}
	}
	return n
}

// uaFor is the dialog UA for a transport.
func (b *B2BUA) uaFor(transport string) *sipgo.DialogUA {
	if transport == "" || strings.EqualFold(transport, "udp") {
		return &b.ua
	}
	if ua := b.uaOf[strings.ToUpper(transport)]; ua != nil {
		return ua
	}
	return &b.uaStream
}

// startRing counts a ring Close must wait for; false once closed.
func (b *B2BUA) startRing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.rings.Add(1)
	return true
}

func (b *B2BUA) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

func (b *B2BUA) emit(e Event) {
	if b.cfg.OnEvent != nil {
		e.At = b.cfg.Now()
		b.cfg.OnEvent(e)
	}
}

// findLeg finds the leg of an in-dialog request, from either side's
// point of view.
func (b *B2BUA) findLeg(req *sip.Request) *leg {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if l := b.legs[id]; l != nil {
			return l
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		return b.legs[id]
	}
	return nil
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}
