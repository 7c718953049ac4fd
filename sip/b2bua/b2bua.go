package b2bua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/sip/registrar"
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
	// Admit, if set, decides whether a call may go ahead, once the callee
	// is found and registered and before it rings (the floor's rules: a
	// logged-off or paused agent neither rings nor calls). A *Refusal
	// says how the caller is answered; any other error is 480.
	Admit func(ctx context.Context, a Admission) error
	// OnEvent, if set, is called with each call event, in order per call.
	// It must not block.
	OnEvent func(Event)
	Logger  *slog.Logger
	// Now is the clock of event times (time.Now).
	Now func() time.Time
}

// Admission is a call asking to go ahead.
type Admission struct {
	CallID         string
	AccountID      int64
	Caller, Callee *callfloor.Extension
	Number         string
}

// Refusal is Admit's answer for a call that may not go ahead: the SIP
// status and reason phrase the caller gets.
type Refusal struct {
	Status int
	Text   string
}

func (r *Refusal) Error() string { return fmt.Sprintf("b2bua: refused: %d %s", r.Status, r.Text) }

// B2BUA bridges calls between registered extensions. Create it with New
// before the registrar serves, and Close it.
type B2BUA struct {
	cfg Config
	log *slog.Logger
	ua  sipgo.DialogUA

	mu     sync.Mutex
	byA    map[string]*call // by the dialog ID of the caller's leg
	byB    map[string]*call // by the dialog ID of the callee's leg
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
	if !cfg.MediaIP.IsValid() {
		cfg.MediaIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(cfg.Contact.Host),
		sipgo.WithClientPort(cfg.Contact.Port), sipgo.WithClientLogger(cfg.Logger)}
	if cfg.SendFrom != "" {
		opts = append(opts, sipgo.WithClientConnectionAddr(cfg.SendFrom))
	}
	client, err := sipgo.NewClient(cfg.Registrar.UserAgent(), opts...)
	if err != nil {
		return nil, err
	}
	b := &B2BUA{
		cfg: cfg, log: cfg.Logger,
		ua:  sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: cfg.Contact}, RewriteContact: true},
		byA: map[string]*call{}, byB: map[string]*call{},
	}
	reg := cfg.Registrar
	reg.Handle(sip.INVITE, b.onInvite)
	reg.Handle(sip.ACK, b.onAck)
	reg.Handle(sip.BYE, b.onBye)
	reg.Handle(sip.CANCEL, b.onCancel)
	return b, nil
}

// Close hangs up every established call.
func (b *B2BUA) Close() error {
	b.mu.Lock()
	b.closed = true
	calls := make([]*call, 0, len(b.byA))
	for _, c := range b.byA {
		calls = append(calls, c)
	}
	b.mu.Unlock()
	for _, c := range calls {
		c.hangup(sideNone, ReasonShutdown)
	}
	return nil
}

// Calls returns how many calls are established.
func (b *B2BUA) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byA)
}

func (b *B2BUA) emit(e Event) {
	if b.cfg.OnEvent != nil {
		e.At = b.cfg.Now()
		b.cfg.OnEvent(e)
	}
}

// onAck confirms the caller's leg (the ACK of our 200 OK).
func (b *B2BUA) onAck(req *sip.Request, _ sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return
	}
	b.mu.Lock()
	c := b.byA[id]
	b.mu.Unlock()
	if c != nil {
		if err := c.a.ReadAck(req, nil); err != nil {
			b.log.Debug("sip ACK not matched", "call", c.id, "err", err)
		}
	}
}

// onBye ends a call from either side.
func (b *B2BUA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	b.mu.Lock()
	var fromA, fromB *call
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		fromA = b.byA[id]
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil && fromA == nil {
		fromB = b.byB[id]
	}
	b.mu.Unlock()
	switch {
	case fromA != nil:
		if err := fromA.a.ReadBye(req, tx); err != nil {
			b.log.Debug("sip BYE from caller", "call", fromA.id, "err", err)
		}
		fromA.hangup(sideA, ReasonCallerHangup)
	case fromB != nil:
		if err := fromB.bs.ReadBye(req, tx); err != nil {
			b.log.Debug("sip BYE from callee", "call", fromB.id, "err", err)
		}
		fromB.hangup(sideB, ReasonCalleeHangup)
	default:
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	}
}

// onCancel gets the CANCELs the transaction layer matched to no INVITE
// (those it matched it has answered itself, and the INVITE got 487).
func (b *B2BUA) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}
