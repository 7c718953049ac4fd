package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
)

// PublisherConfig sets up a Publisher.
type PublisherConfig struct {
	Config
	// Queue is how many batches may wait for the sender; a batch that
	// finds the queue full is dropped (the receivers read it from the
	// journal). 4096 when 0.
	Queue int
	// Window is how many batches may await the server's answer; when it
	// is full the sender waits up to Stall for room, then drops the
	// batch. 1024 and 200ms when 0.
	Window int
	Stall  time.Duration
	// AckTimeout is how long the sender waits for an answer before it
	// counts a batch as lost (it may still have been stored). 5s when 0.
	AckTimeout time.Duration
	// Node names this node on its live messages, so that a Receiver with
	// the same Node can leave out its own node's live events.
	Node string
	// Clock paces the notices and the warnings; callfloor.SystemClock
	// when nil.
	Clock callfloor.TimerClock
}

// Publisher sends the owner's events to the stream. Publish and
// PublishLive never wait on the network and may be called from any
// goroutine; each account's batches must come in journal order (the
// engine's goroutine calls them so).
type Publisher struct {
	cfg   PublisherConfig
	nc    *nats.Conn
	js    jetstream.JetStream
	log   *slog.Logger
	queue chan *batch

	closed  atomic.Bool
	stop    chan struct{}
	abandon chan struct{} // Close gave up waiting

	mu       sync.Mutex
	notices  map[int64]span // dropped ranges, by account, not yet told
	done     chan struct{}
	dropped  atomic.Int64 // batches dropped or lost
	lastWarn time.Time
}

// span is a range of an account's sequence numbers.
type span struct{ first, last int64 }

func (s span) merge(o span) span { return span{min(s.first, o.first), max(s.last, o.last)} }

// Header names of a message.
const (
	hdrAccount = "Callfloor-Account"
	hdrRange   = "Callfloor-Range"
	hdrNode    = "Callfloor-Node"
)

// NewPublisher creates or opens the stream and starts the sender. nc
// stays the caller's: Close does not close it.
func NewPublisher(ctx context.Context, nc *nats.Conn, cfg PublisherConfig) (*Publisher, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 4096
	}
	if cfg.Window <= 0 {
		cfg.Window = 1024
	}
	if cfg.Stall <= 0 {
		cfg.Stall = 200 * time.Millisecond
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	p := &Publisher{cfg: cfg, nc: nc, log: cfg.Logger.With("stream", cfg.Stream),
		queue: make(chan *batch, cfg.Queue), notices: map[int64]span{},
		stop: make(chan struct{}), abandon: make(chan struct{}), done: make(chan struct{})}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.Window),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout),
		jetstream.WithPublishAsyncErrHandler(p.failed))
	if err != nil {
		return nil, fmt.Errorf("fanout: %w", err)
	}
	if _, err := openStream(ctx, js, &p.cfg.Config); err != nil {
		return nil, err
	}
	p.js = js
	go p.run()
	return p, nil
}

// Publish queues a batch of one account's journaled events, in order,
// and returns at once. When the queue is full the batch is dropped, and
// the receivers are told to read it from the journal.
func (p *Publisher) Publish(evs []callfloor.Event) {
	if len(evs) == 0 {
		return
	}
	b := &batch{AccountID: evs[0].AccountID, First: evs[0].Seq, Last: evs[len(evs)-1].Seq,
		Events: append([]callfloor.Event(nil), evs...)}
	if p.closed.Load() {
		return
	}
	select {
	case p.queue <- b:
	default:
		p.drop(b, "queue full")
	}
}

// PublishLive sends events of Seq 0 (live figures) on core NATS: the
// receivers of the moment get them, nobody later. Like the hub's, evs may
// mix accounts. A live event that cannot be sent is lost.
func (p *Publisher) PublishLive(evs []callfloor.Event) {
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].AccountID == evs[i].AccountID {
			j++
		}
		b := &batch{AccountID: evs[i].AccountID, Events: make([]callfloor.Event, j-i)}
		for k, e := range evs[i:j] {
			e.Seq = 0
			b.Events[k] = e
		}
		i = j
		data, err := encodeBatch(b)
		if err != nil {
			p.warn("live events not encoded", "account", b.AccountID, "err", err)
			continue
		}
		m := &nats.Msg{Subject: p.cfg.LiveSubject(b.AccountID), Data: data, Header: nats.Header{}}
		if p.cfg.Node != "" {
			m.Header.Set(hdrNode, p.cfg.Node)
		}
		if err := p.nc.PublishMsg(m); err != nil {
			p.warn("live events not sent", "account", b.AccountID, "err", err)
		}
	}
}

// Dropped is how many batches were dropped (queue or window full,
// encoding failed) or lost on the way (no answer, refused): their events
// reach the receivers through the journal.
func (p *Publisher) Dropped() int64 { return p.dropped.Load() }

// Close stops taking batches, sends those queued, and waits for the
// server's answers, until ctx ends: then what is still queued is dropped
// (and not noticed), and Close returns ctx's error. A second Close
// returns at once. nc stays open.
func (p *Publisher) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return nil
	}
	close(p.stop)
	select {
	case <-p.done:
	case <-ctx.Done():
		close(p.abandon)
		return ctx.Err()
	}
	select {
	case <-p.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// noticeEvery is how often the sender tells of dropped batches, at most.
const noticeEvery = 50 * time.Millisecond

// run sends the queued batches, one at a time and in order, and every
// noticeEvery the notices of dropped ones.
func (p *Publisher) run() {
	defer close(p.done)
	tick := p.cfg.Clock.NewTimer(noticeEvery)
	defer func() { tick.Stop() }()
	for {
		select {
		case b := <-p.queue:
			p.send(b)
		case <-tick.C():
			p.sendNotices()
			tick = p.cfg.Clock.NewTimer(noticeEvery)
		case <-p.stop:
			for {
				select {
				case <-p.abandon:
					p.dropped.Add(int64(len(p.queue)))
					return
				default:
				}
				select {
				case b := <-p.queue:
					p.send(b)
				default:
					p.sendNotices()
					return
				}
			}
		}
	}
}

// send hands b to the connection; it waits only for room in the window,
// up to Stall.
func (p *Publisher) send(b *batch) {
	if err := b.check(false); err != nil {
		// No receiver would take it, nor a notice of its range.
		p.dropped.Add(1)
		p.log.Error("batch not sent", "err", err)
		return
	}
	data, err := encodeBatch(b)
	if err != nil {
		p.drop(b, err.Error())
		return
	}
	m := &nats.Msg{Subject: p.cfg.EventSubject(b.AccountID), Data: data, Header: nats.Header{}}
	m.Header.Set(hdrAccount, fmt.Sprint(b.AccountID))
	m.Header.Set(hdrRange, fmt.Sprintf("%d-%d", b.First, b.Last))
	// No retries: a retry would come after later batches; a receiver
	// fills what is missing from the journal instead.
	_, err = p.js.PublishMsgAsync(m, jetstream.WithMsgID(msgID(b.AccountID, b.First, b.Last, false)),
		jetstream.WithRetryAttempts(0), jetstream.WithStallWait(p.cfg.Stall))
	if err != nil {
		p.drop(b, err.Error())
	}
}

// failed is told of a batch the server refused or did not answer in time
// (it may have been stored all the same: receivers skip what they have).
func (p *Publisher) failed(_ jetstream.JetStream, m *nats.Msg, err error) {
	var b batch
	if _, e := fmt.Sscan(m.Header.Get(hdrAccount), &b.AccountID); e != nil {
		return
	}
	if _, e := fmt.Sscanf(m.Header.Get(hdrRange), "%d-%d", &b.First, &b.Last); e != nil {
		return
	}
	p.drop(&b, err.Error())
}

// drop counts b as lost and keeps its range, to tell the receivers.
func (p *Publisher) drop(b *batch, why string) {
	p.dropped.Add(1)
	if b.AccountID > 0 && b.First >= 1 && b.Last >= b.First {
		p.keepNotice(b.AccountID, span{b.First, b.Last})
	}
	p.warn("batch dropped: receivers will read it from the journal", "account", b.AccountID, "first", b.First, "last", b.Last, "why", why)
}

// sendNotices tells the receivers of the ranges dropped since the last
// time. A notice that cannot be sent is kept for the next time, and so
// are the others when the window is full.
func (p *Publisher) sendNotices() {
	p.mu.Lock()
	if len(p.notices) == 0 {
		p.mu.Unlock()
		return
	}
	ns := p.notices
	p.notices = map[int64]span{}
	p.mu.Unlock()
	var stuck bool
	for id, s := range ns {
		if stuck {
			p.keepNotice(id, s)
			continue
		}
		// A notice never names more than maxNotice events.
		first := max(s.first, s.last-maxNotice+1)
		b := &batch{AccountID: id, First: first, Last: s.last}
		data, _ := encodeBatch(b)
		m := &nats.Msg{Subject: p.cfg.EventSubject(id), Data: data, Header: nats.Header{}}
		m.Header.Set(hdrAccount, fmt.Sprint(id))
		m.Header.Set(hdrRange, fmt.Sprintf("%d-%d", first, s.last))
		_, err := p.js.PublishMsgAsync(m, jetstream.WithMsgID(msgID(id, first, s.last, true)),
			jetstream.WithRetryAttempts(0), jetstream.WithStallWait(p.cfg.Stall))
		if err != nil {
			p.keepNotice(id, s)
			stuck = true
		}
	}
}

func (p *Publisher) keepNotice(id int64, s span) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o, ok := p.notices[id]; ok {
		s = s.merge(o)
	}
	p.notices[id] = s
}

// warn logs at most one line a second, so that a NATS outage does not
// flood the log.
func (p *Publisher) warn(msg string, args ...any) {
	p.mu.Lock()
	now := p.cfg.Clock.Now()
	quiet := now.Sub(p.lastWarn) < time.Second
	if !quiet {
		p.lastWarn = now
	}
	p.mu.Unlock()
	if !quiet {
		p.log.Warn(msg, append(args, "dropped_total", p.dropped.Load())...)
	}
}
