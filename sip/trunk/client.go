package trunk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TrunkLister lists the enabled trunks of every account;
// callfloor.Store is one.
type TrunkLister interface {
	ListEnabledTrunks(ctx context.Context) ([]*callfloor.Trunk, error)
}

// Config configures a Client. Trunks and Contact are required; zero
// fields take the defaults documented on each.
type Config struct {
	Trunks TrunkLister
	// Contact is the address carriers send calls to: the host and port
	// of callfloor's SIP server, as the carrier can reach it. It goes into
	// the Contact of every REGISTER.
	Contact sip.Uri
	// UserAgent sends the requests, so that they leave from the SIP
	// server's sockets (pass the registrar's); the client makes and
	// closes its own when nil.
	UserAgent *sipgo.UserAgent
	// SendFrom, if set, is the host:port of the SIP server's UDP socket
	// to send from, so that the carrier sees requests come from the
	// registered address (NAT pinholes).
	SendFrom string
	Clock    callfloor.TimerClock
	Logger   *slog.Logger
	// Timeout bounds one attempt, challenges included (32 s, the SIP
	// non-INVITE transaction timeout), and each REGISTER that withdraws
	// a registration (on Close and Reload).
	Timeout time.Duration
	// RetryMin is the wait after a first failure, doubled after each
	// next one up to RetryMax (30 s, 10 minutes). A carrier's Retry-After
	// is honoured when longer.
	RetryMin, RetryMax time.Duration
	// PollInterval, if set, makes the client Reload by itself that
	// often, so that trunk changes made through the API reach it without
	// wiring.
	PollInterval time.Duration
	// OnChange, if set, is called with each status change, from the
	// trunks' goroutines (possibly at once for several trunks). It must
	// not block.
	OnChange func(Status)
	// Sources, if set, is kept up to date with the carriers' addresses
	// on every Reload, for the registrar to trust.
	Sources *Sources
	// LookupIP resolves a registration trunk's host name for Sources
	// (net.DefaultResolver when nil).
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Owns, on a cluster node, tells the accounts whose trunks this
	// node registers (those it owns; the next Reload follows a change);
	// nil: every account's.
	Owns func(accountID int64) bool
}

// ErrClosed is Reload's answer after Close.
var ErrClosed = errors.New("trunk: client closed")

// Client keeps the registration trunks registered. Create it with New,
// start it with Reload, and Close it.
type Client struct {
	cfg    Config
	log    *slog.Logger
	ua     *sipgo.UserAgent
	ownUA  bool
	client *sipgo.Client

	reloadMu sync.Mutex // serialises Reload and Close
	closed   bool
	workers  map[int64]*worker

	mu     sync.Mutex
	status map[int64]Status

	pollStop, pollDone chan struct{}
}

// New returns a client that registers nothing until Reload.
func New(cfg Config) (*Client, error) {
	if cfg.Trunks == nil || cfg.Contact.Host == "" {
		return nil, errors.New("trunk: Config.Trunks and Contact are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 32*time.Second)
	def(&cfg.RetryMin, 30*time.Second)
	def(&cfg.RetryMax, 10*time.Minute)
	cfg.RetryMax = max(cfg.RetryMax, cfg.RetryMin)
	c := &Client{cfg: cfg, log: cfg.Logger, ua: cfg.UserAgent, workers: map[int64]*worker{}, status: map[int64]Status{}}
	if c.ua == nil {
		ua, err := sipgo.NewUA(sipgo.WithUserAgent("callfloor"),
			sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(cfg.Logger)),
			sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(cfg.Logger)))
		if err != nil {
			return nil, err
		}
		c.ua, c.ownUA = ua, true
	}
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(cfg.Logger)}
	if cfg.SendFrom != "" {
		host, port, err := sip.ParseAddr(cfg.SendFrom)
		if err != nil {
			c.closeUA()
			return nil, err
		}
		opts = append(opts, sipgo.WithClientHostname(host), sipgo.WithClientPort(port),
			sipgo.WithClientConnectionAddr(cfg.SendFrom))
	}
	client, err := sipgo.NewClient(c.ua, opts...)
	if err != nil {
		c.closeUA()
		return nil, err
	}
	c.client = client
	if cfg.PollInterval > 0 {
		c.pollStop, c.pollDone = make(chan struct{}), make(chan struct{})
		go c.poll()
	}
	return c, nil
}

func (c *Client) closeUA() {
	if c.ownUA {
		c.ua.Close()
	}
}

// Reload reads the enabled trunks, updates Sources and brings the
// registrations in line: new registration trunks start registering,
// removed or disabled ones are withdrawn (REGISTER with Expires: 0), and
// changed ones are withdrawn and registered again with their new
// settings. The first Reload starts the client.
func (c *Client) Reload(ctx context.Context) error {
	trunks, err := c.cfg.Trunks.ListEnabledTrunks(ctx)
	if err != nil {
		return err
	}
	if c.cfg.Sources != nil {
		c.cfg.Sources.update(ctx, trunks, c.cfg.LookupIP)
	}
	want := map[int64]*callfloor.Trunk{}
	for _, t := range trunks {
		if t.Enabled && t.Auth == callfloor.TrunkRegistration && (c.cfg.Owns == nil || c.cfg.Owns(t.AccountID)) {
			want[t.ID] = t
		}
	}
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	if c.closed {
		return ErrClosed
	}
	var stop []*worker
	for id, w := range c.workers {
		if t := want[id]; t == nil || fingerprint(t) != w.key {
			stop = append(stop, w)
			delete(c.workers, id)
		}
	}
	c.stopAll(stop)
	for id, t := range want {
		if c.workers[id] == nil {
			c.workers[id] = c.start(t)
		}
	}
	return nil
}

// Status returns the registration of every running trunk, by trunk ID.
func (c *Client) Status() []Status {
	c.mu.Lock()
	out := make([]Status, 0, len(c.status))
	for _, s := range c.status {
		out = append(out, s)
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].TrunkID < out[j].TrunkID })
	return out
}

// Close withdraws every registration (waiting at most Timeout for each
// carrier) and stops the client.
func (c *Client) Close() error {
	c.reloadMu.Lock()
	if c.closed {
		c.reloadMu.Unlock()
		return nil
	}
	c.closed = true
	stop := make([]*worker, 0, len(c.workers))
	for _, w := range c.workers {
		stop = append(stop, w)
	}
	c.workers = map[int64]*worker{}
	c.stopAll(stop)
	c.reloadMu.Unlock()
	if c.pollStop != nil {
		close(c.pollStop)
		<-c.pollDone
	}
	c.closeUA()
	return nil
}

// stopAll stops workers at once and waits until each has withdrawn its
// registration, then forgets their status.
func (c *Client) stopAll(ws []*worker) {
	for _, w := range ws {
		close(w.stop)
	}
	for _, w := range ws {
		<-w.done
		c.mu.Lock()
		delete(c.status, w.trunk.ID)
		c.mu.Unlock()
		c.notify(Status{TrunkStatus: callfloor.TrunkStatus{TrunkID: w.trunk.ID, State: StateStopped}, AccountID: w.trunk.AccountID})
	}
}

// poll reloads every PollInterval until Close.
func (c *Client) poll() {
	defer close(c.pollDone)
	for {
		t := c.cfg.Clock.NewTimer(c.cfg.PollInterval)
		select {
		case <-t.C():
		case <-c.pollStop:
			t.Stop()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		if err := c.Reload(ctx); err != nil && !errors.Is(err, ErrClosed) {
			c.log.Warn("reloading the trunks", "err", err)
		}
		cancel()
	}
}

// publish records a worker's status and reports it.
func (c *Client) publish(s Status) {
	c.mu.Lock()
	c.status[s.TrunkID] = s
	c.mu.Unlock()
	c.notify(s)
}

func (c *Client) notify(s Status) {
	if c.cfg.OnChange != nil {
		c.cfg.OnChange(s)
	}
}

// do sends one request through the SIP client.
func (c *Client) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	return c.client.Do(ctx, req)
}

// fingerprint is what a registration depends on: a trunk whose
// fingerprint changes is registered again.
func fingerprint(t *callfloor.Trunk) string {
	parts := []string{strconv.FormatInt(t.AccountID, 10), t.Host, string(t.Transport), t.Username, t.AuthUsername,
		t.Password, t.Realm, t.Domain, strconv.Itoa(t.ExpirySeconds)}
	var b []byte
	for _, p := range parts {
		b = strconv.AppendQuote(b, p)
	}
	return string(b)
}
