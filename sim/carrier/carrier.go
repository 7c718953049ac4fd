package carrier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
)

// Carrier is a simulated carrier: a SIP trunk peer talking SIP and RTP
// over UDP. Create it with New, run it with Serve and stop it with Close.
//
// Callfloor reaches it as an IP trunk (no registration: the carrier's
// INVITEs are recognised by their source address, Addr's IP) or as a
// registration trunk: the carrier accepts any REGISTER without a
// challenge, and then sends its inbound calls to the registered Contact
// (which names the trunk) instead of Config.PBX.
type Carrier struct {
	cfg   Config
	log   *slog.Logger
	clock callfloor.TimerClock
	conn  net.PacketConn
	addr  netip.AddrPort
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	dua   sipgo.DialogUA
	media counters

	randMu sync.Mutex
	rnd    *rand.Rand

	ctx  context.Context // canceled when the carrier stops
	stop context.CancelFunc

	mu        sync.Mutex
	calls     map[string]*call // by dialog ID
	inbound   int              // inbound calls in progress
	reg       *registration
	stats     Stats
	closing   bool
	wg        sync.WaitGroup // calls in progress and the inbound generator
	serving   bool
	served    chan struct{} // closed when Serve returns
	ready     chan struct{} // closed once Serve can send requests
	closeOnce sync.Once
}

// New binds the carrier's SIP socket; Serve starts answering on it.
func New(cfg Config) (*Carrier, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("carrier: %w", err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	c := &Carrier{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, conn: conn, addr: addr, rnd: cfg.Rand,
		calls: map[string]*call{}, served: make(chan struct{}), ready: make(chan struct{})}
	c.stats.init()
	c.ctx, c.stop = context.WithCancel(context.Background())
	if err := c.newUA(); err != nil {
		if c.ua != nil {
			c.ua.Close()
		}
		conn.Close()
		return nil, fmt.Errorf("carrier: %w", err)
	}
	return c, nil
}

// newUA builds the SIP user agent: a server on the socket and a client
// sending from it.
func (c *Carrier) newUA() error {
	var err error
	host := c.addr.Addr().String()
	c.ua, err = sipgo.NewUA(sipgo.WithUserAgent("callfloor-sim-carrier"), sipgo.WithUserAgentHostname(host))
	if err != nil {
		return err
	}
	c.srv, err = sipgo.NewServer(c.ua, sipgo.WithServerLogger(c.log))
	if err != nil {
		return err
	}
	cli, err := sipgo.NewClient(c.ua, sipgo.WithClientHostname(host), sipgo.WithClientPort(int(c.addr.Port())),
		sipgo.WithClientConnectionAddr(c.addr.String()), sipgo.WithClientLogger(c.log))
	if err != nil {
		return err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "carrier", Host: host, Port: int(c.addr.Port())}}
	c.dua = sipgo.DialogUA{Client: cli, ContactHDR: contact}
	c.srv.OnInvite(c.onInvite)
	c.srv.OnAck(c.onAck)
	c.srv.OnBye(c.onBye)
	c.srv.OnCancel(c.onCancel)
	c.srv.OnOptions(c.onOptions)
	c.srv.OnRegister(c.onRegister)
	c.srv.OnInfo(c.onInfo)
	return nil
}

// Addr is the carrier's SIP address (host:port): the host of an IP
// trunk to it, whose allowed source is its IP.
func (c *Carrier) Addr() netip.AddrPort { return c.addr }

// ErrClosed is Serve's error after Close, or when it is called twice.
var ErrClosed = errors.New("carrier: closed")

// Serve answers SIP on the carrier's socket and places inbound calls
// until ctx is done or Close is called; then it hangs up every call.
func (c *Carrier) Serve(ctx context.Context) error {
	c.mu.Lock()
	if c.closing || c.serving {
		c.mu.Unlock()
		return ErrClosed
	}
	c.serving = true
	c.mu.Unlock()
	defer close(c.served)
	errc := make(chan error, 1)
	go func() { errc <- c.srv.ServeUDP(c.conn) }()
	// Requests can only be sent from the socket once the transport
	// layer has it.
	for i := 0; ; i++ {
		if _, err := c.ua.TransportLayer().GetConnection("udp", c.addr.String()); err == nil {
			break
		}
		if ctx.Err() != nil || c.ctx.Err() != nil {
			c.shutdown()
			return nil
		}
		if i == 200 {
			c.shutdown()
			return errors.New("carrier: the SIP socket did not come up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(c.ready)
	c.log.Info("carrier: serving", "addr", c.addr.String(), "pbx", c.cfg.PBX,
		"inbound_per_minute", c.cfg.Inbound.PerMinute, "dids", len(c.cfg.Inbound.DIDs))
	if c.enter() {
		go func() {
			defer c.leave()
			c.placeInbound()
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case <-c.ctx.Done():
	case err = <-errc:
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	}
	c.shutdown()
	return err
}

// Close hangs up every call and closes the socket.
func (c *Carrier) Close() error {
	c.mu.Lock()
	serving := c.serving
	c.mu.Unlock()
	c.stop()
	if serving {
		<-c.served
		return nil
	}
	c.shutdown()
	return nil
}

// shutdown stops placing and taking calls, hangs up those in progress
// (waiting a few seconds for their BYEs), then closes the socket.
func (c *Carrier) shutdown() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		c.stop()
		done := make(chan struct{})
		go func() { c.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			c.log.Warn("carrier: calls still ending at shutdown")
		}
		c.ua.Close()
		c.conn.Close()
		<-done
		c.log.Info("carrier: stopped")
	})
}

// enter counts a call (or the inbound generator) in, unless the carrier
// is closing; leave counts it out.
func (c *Carrier) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	return true
}

func (c *Carrier) leave() { c.wg.Done() }

// float draws from the carrier's Rand.
func (c *Carrier) float() float64 {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	return c.rnd.Float64()
}

// intN draws from [0, n) with the carrier's Rand.
func (c *Carrier) intN(n int) int {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	return c.rnd.IntN(n)
}

// seed draws a seed for a call's own generators.
func (c *Carrier) seed() uint64 {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	return c.rnd.Uint64()
}
