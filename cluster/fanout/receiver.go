package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
)

// ReceiverConfig sets up a Receiver.
type ReceiverConfig struct {
	Config
	// Replay starts the receiver that far back in the stream (at most the
	// stream's MaxAge); 0 starts it with the batches published after it.
	Replay time.Duration
	// Sink gets each account's journaled events in sequence, once each,
	// one account's at a time (the node's hub.Publish). Required.
	Sink func([]callfloor.Event)
	// LiveSink gets the live events (the hub's PublishLive); nil leaves
	// them out.
	LiveSink func([]callfloor.Event)
	// Node leaves out the live events this node's own Publisher sent
	// (PublisherConfig.Node), which its hub had first hand.
	Node string
	// Journal is read for the events missing before a batch. Required.
	Journal Journal
	// Has, when set, tells the seq of the account's last event the Sink
	// already has (the hub's Last): on the owner, whose engine feeds its
	// hub directly, the receiver then reads nothing from the journal for
	// a batch the owner dropped. Must not block.
	Has func(accountID int64) int64
	// FillTimeout bounds one read of the journal; 5s when 0.
	FillTimeout time.Duration
	// RetryEvery is how often the receiver tries again to read the events
	// of an account it could not read; 1s when 0.
	RetryEvery time.Duration
	// GiveUpAfter is how long it tries before it hands on the account's
	// next events with the hole left in (logged as an error); 1 minute
	// when 0.
	GiveUpAfter time.Duration
	// Clock drives the retries; callfloor.SystemClock when nil.
	Clock callfloor.TimerClock
}

// Receiver hands every account's events from the stream to its Sink, in
// sequence, filling what the stream lacks from the journal.
type Receiver struct {
	cfg ReceiverConfig
	log *slog.Logger

	mu      sync.Mutex
	last    map[int64]int64 // seq of the last event delivered, by account
	behind  map[int64]*lag  // accounts whose missing events could not be read
	stats   Stats
	stopped bool

	liveMu      sync.Mutex
	liveStopped bool

	cc     jetstream.ConsumeContext
	live   *nats.Subscription
	ctx    context.Context // ends with Stop, and so do journal reads
	cancel context.CancelFunc
	stop   chan struct{}
	done   chan struct{}
}

// lag is an account whose events up to upto could not be read yet.
type lag struct {
	upto         int64
	since, tried time.Time
}

// Stats counts what a Receiver did.
type Stats struct {
	// Batches and Notices received, Skipped of them because everything
	// in them was delivered already, Bad ones that did not decode.
	Batches, Notices, Skipped, Bad int64
	// Delivered events from the stream, and Filled from the journal.
	Delivered, Filled int64
	// Live events delivered.
	Live int64
	// Behind is how many accounts wait for events the journal did not
	// give yet; GaveUp how many times the receiver gave up on some.
	Behind int
	GaveUp int64
}

// NewReceiver creates or opens the stream and starts consuming it. nc
// stays the caller's.
func NewReceiver(ctx context.Context, nc *nats.Conn, cfg ReceiverConfig) (*Receiver, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Sink == nil || cfg.Journal == nil {
		return nil, callfloor.Errorf(callfloor.ErrInvalidField, "fanout: a receiver needs a Sink and a Journal")
	}
	if cfg.FillTimeout <= 0 {
		cfg.FillTimeout = 5 * time.Second
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = time.Second
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	r := &Receiver{cfg: cfg, log: cfg.Logger.With("stream", cfg.Stream),
		last: map[int64]int64{}, behind: map[int64]*lag{},
		stop: make(chan struct{}), done: make(chan struct{})}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("fanout: %w", err)
	}
	s, err := openStream(ctx, js, &r.cfg.Config)
	if err != nil {
		return nil, err
	}
	occ := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{cfg.Prefix + ".ev.>"},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	}
	if cfg.Replay > 0 {
		start := cfg.Clock.Now().Add(-cfg.Replay)
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := s.OrderedConsumer(ctx, occ)
	if err != nil {
		return nil, fmt.Errorf("fanout: consumer on %s: %w", cfg.Stream, err)
	}
	if cfg.LiveSink != nil {
		r.live, err = nc.Subscribe(cfg.Prefix+".live.>", r.onLive)
		if err != nil {
			return nil, fmt.Errorf("fanout: subscribe to live events: %w", err)
		}
		// The server has the subscription when NewReceiver returns.
		if err := nc.FlushTimeout(5 * time.Second); err != nil {
			_ = r.live.Unsubscribe()
			return nil, fmt.Errorf("fanout: subscribe to live events: %w", err)
		}
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.cc, err = cons.Consume(r.onMsg, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		r.log.Warn("consuming the event stream", "err", err)
	}))
	if err != nil {
		r.cancel()
		if r.live != nil {
			_ = r.live.Unsubscribe()
		}
		return nil, fmt.Errorf("fanout: consume %s: %w", cfg.Stream, err)
	}
	go r.retry()
	return r, nil
}

// Stop ends the receiver: Sink and LiveSink are not called after it
// returns.
func (r *Receiver) Stop() {
	r.cancel() // a journal read in progress ends at once
	r.mu.Lock()
	already := r.stopped
	r.stopped = true
	r.mu.Unlock()
	if already {
		return
	}
	r.liveMu.Lock()
	r.liveStopped = true
	r.liveMu.Unlock()
	close(r.stop)
	r.cc.Stop()
	if r.live != nil {
		_ = r.live.Unsubscribe()
	}
	<-r.done
}

// Stats returns the receiver's counts so far.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Behind = len(r.behind)
	return s
}

// Last returns the sequence number of the account's last event the
// receiver delivered, and whether it saw the account at all.
func (r *Receiver) Last(accountID int64) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.last[accountID]
	return seq, ok
}

func (r *Receiver) onMsg(m jetstream.Msg) {
	b, err := decodeBatch(m.Data(), false)
	if err != nil {
		r.mu.Lock()
		r.stats.Bad++
		r.mu.Unlock()
		r.log.Warn("event batch dropped", "subject", m.Subject(), "err", err)
		return
	}
	r.handle(b)
}

func (r *Receiver) onLive(m *nats.Msg) {
	if r.cfg.Node != "" && m.Header.Get(hdrNode) == r.cfg.Node {
		return
	}
	b, err := decodeBatch(m.Data, true)
	if err != nil {
		r.log.Warn("live events dropped", "subject", m.Subject, "err", err)
		return
	}
	r.liveMu.Lock()
	defer r.liveMu.Unlock()
	if r.liveStopped {
		return
	}
	r.cfg.LiveSink(b.Events)
	r.mu.Lock()
	r.stats.Live += int64(len(b.Events))
	r.mu.Unlock()
}

// handle delivers what b adds to the account's sequence: first the
// events missing before it, read from the journal, then its own. An
// account's first batch since the start is taken as it is.
func (r *Receiver) handle(b *batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	notice := len(b.Events) == 0
	if notice {
		r.stats.Notices++
	} else {
		r.stats.Batches++
	}
	last, known := r.last[b.AccountID]
	if r.cfg.Has != nil {
		// The sink has these already (the owner's hub, from its engine):
		// no need to read them.
		if has := r.cfg.Has(b.AccountID); has > last {
			last, known = has, true
			r.last[b.AccountID] = last
		}
	}
	if !known {
		last = b.First - 1
		r.last[b.AccountID] = last
	}
	if b.Last <= last {
		r.stats.Skipped++
		return
	}
	if notice {
		r.fill(b.AccountID, b.Last)
		return
	}
	if b.First > last+1 && !r.fill(b.AccountID, b.First-1) {
		// Its events will be read from the journal with the rest.
		r.behind[b.AccountID].upto = max(r.behind[b.AccountID].upto, b.Last)
		return
	}
	if last = r.last[b.AccountID]; last >= b.Last {
		return // given up on, past this batch
	}
	evs := b.Events[last-b.First+1:]
	r.cfg.Sink(evs)
	r.stats.Delivered += int64(len(evs))
	r.last[b.AccountID] = b.Last
}

// fill delivers the account's events from the journal up to upto and
// reports whether the account's last seq reached upto. When it did not,
// the account is kept behind, to be tried again; it is not tried again
// sooner than RetryEvery/2 after the last try, so that a journal that is
// down does not hold every batch up by a FillTimeout. After GiveUpAfter,
// the account's last seq moves on to upto, hole and all. r.mu is held.
func (r *Receiver) fill(accountID, upto int64) bool {
	now := r.cfg.Clock.Now()
	l := r.behind[accountID]
	if l != nil && now.Sub(l.tried) < r.cfg.RetryEvery/2 {
		l.upto = max(l.upto, upto)
		return false
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.FillTimeout)
	defer cancel()
	err := backfill(ctx, r.cfg.Journal, accountID, r.last[accountID], upto, func(evs []callfloor.Event) {
		r.cfg.Sink(evs)
		r.stats.Filled += int64(len(evs))
		r.last[accountID] = evs[len(evs)-1].Seq
	})
	if err == nil {
		// Unless later events were left to the journal too, for the
		// next round.
		if l == nil || l.upto <= upto {
			delete(r.behind, accountID)
		}
		return true
	}
	if l == nil {
		l = &lag{since: now}
		r.behind[accountID] = l
	}
	l.tried, l.upto = now, max(l.upto, upto)
	if now.Sub(l.since) < r.cfg.GiveUpAfter {
		r.log.Warn("events missing from the stream could not be read from the journal; will try again",
			"account", accountID, "after", r.last[accountID], "upto", l.upto, "err", err)
		return false
	}
	r.log.Error("events missing from the stream could not be read from the journal; giving up on them",
		"account", accountID, "after", r.last[accountID], "upto", l.upto, "err", err)
	r.stats.GaveUp++
	r.last[accountID] = l.upto
	delete(r.behind, accountID)
	return true
}

// retry tries the accounts left behind again every RetryEvery, until
// one fails (the journal is likely down: the others wait for the next
// round).
func (r *Receiver) retry() {
	defer close(r.done)
	for {
		t := r.cfg.Clock.NewTimer(r.cfg.RetryEvery)
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-t.C():
		}
		r.retryBehind()
	}
}

// retryBehind reads the events of the accounts left behind.
func (r *Receiver) retryBehind() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, l := range r.behind {
		if r.stopped {
			return
		}
		l.tried = time.Time{}
		if !r.fill(id, l.upto) {
			return
		}
	}
}
