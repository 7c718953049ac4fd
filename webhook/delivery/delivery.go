// Package delivery sends an account's floor events to its webhook
// endpoints, durably, from the journal.
//
// One worker per enabled endpoint reads the journal after the
// endpoint's cursor, keeps the events the endpoint wants, and in one
// transaction puts them in the endpoint's outbox and moves the cursor
// (so the outbox never disagrees with the journal). It then takes the
// head of each lane (an agent's or participant's extension; 0 for the
// rest) when due, delivers the lanes in parallel and the messages of a
// lane in order, and records the attempts. A message keeps its id
// (msg_<endpoint>_<seq>) through every retry and restart: delivery is at
// least once, and receivers drop duplicates by id.
//
// A worker's pass costs a few transactions however many messages it
// moves: one fill, one claim of every due lane head, and one record of
// every attempt finished since the last pass. The events a fill read
// stay in memory for the messages' bodies, so a first attempt reads
// nothing more from the journal.
//
// A 2xx answer delivers; anything else, a timeout or a connection error
// is retried after 5 s, 5 min, 30 min, 2 h, 5 h and then every 10 h, for
// about three days (with up to 10% jitter); a 429's Retry-After is
// honoured; a 410 disables the endpoint. A message that still fails
// after the last retry is failed, and if the endpoint has had no success
// for three days it is disabled; admins are told by a live
// webhook.endpoint_disabled event. The floor never waits for any of it.
package delivery

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
)

// Store is what delivery reads and writes.
type Store interface {
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error)
	FindWebhookEndpointByID(ctx context.Context, id int64) (*callfloor.WebhookEndpoint, error)
	DeliverableWebhookEndpoints(ctx context.Context) ([]*callfloor.WebhookEndpoint, error)
	RunWebhookPass(ctx context.Context, p *callfloor.WebhookPass) (*callfloor.WebhookPassResult, error)
	WebhookBacklog(ctx context.Context, endpointID int64) (int, *time.Time, error)
	PruneWebhooks(ctx context.Context, before time.Time) error
}

// Retries are the waits after each failed attempt; after the last one a
// message has failed. The 13 attempts span 77 h 35 min (with jitter up
// to about 85 h): a little over three days, so that an endpoint whose
// message fails for good has had no success for StaleAfter.
var Retries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour, 10 * time.Hour}

const (
	// Timeout is how long an endpoint has to answer, by default.
	Timeout = 15 * time.Second
	// Lease is how long a claimed message is held for the worker that
	// claimed it, by default; a worker that dies lets it go then.
	Lease = time.Minute
	// StaleAfter is how long an endpoint may go without a success before
	// a failed message disables it.
	StaleAfter = 72 * time.Hour
	// MaxRetryAfter caps the wait a 429 asks for.
	MaxRetryAfter = 24 * time.Hour
	// Retention is how long delivered and failed messages and the
	// attempt log are kept.
	Retention = 30 * 24 * time.Hour
	// fillBatch is how many journal events one fill reads, and
	// fillBatches how many fills a pass makes at most before it
	// delivers.
	fillBatch   = 500
	fillBatches = 4
	// cacheSize is how many journal events a worker keeps for the
	// bodies of the messages it has yet to send.
	cacheSize = 20000
	// countEvery is how often a worker counts its endpoint's backlog
	// for the figures.
	countEvery = time.Second
)

// Config is what a Service needs. Store and Clock are required.
type Config struct {
	Store  Store
	Clock  callfloor.TimerClock
	Logger *slog.Logger
	// Client sends the messages; nil makes one with Timeout and
	// AllowPrivate.
	Client *webhook.Client
	// Timeout is how long an endpoint has to answer (Timeout when 0).
	Timeout time.Duration
	// Lease is how long a claimed message is held for this service
	// (Lease when 0): a server that dies mid-send leaves its messages
	// claimed, and they are sent again when the lease ends. It must
	// outlast a send, or a slow answer's message would be sent again
	// beside it: New raises it to MinLease(Timeout).
	Lease time.Duration
	// AllowPrivate lets the messages reach loopback and private
	// addresses (tests; an integrator inside the network).
	AllowPrivate bool
	// Publish sends live events to the realtime stream (the endpoint
	// disabled notice); nil drops them.
	Publish func([]callfloor.Event)
	// Registry receives the delivery figures; nil keeps none.
	Registry prometheus.Registerer
	// Poll is how often an idle worker looks at the journal when
	// nothing wakes it (2 s when 0); Rescan how often the service looks
	// for new or enabled endpoints (5 s when 0).
	Poll, Rescan time.Duration
	// Parallel is the most lanes of one endpoint in flight (32 when
	// 0): as many requests at once to the endpoint.
	Parallel int
	// Jitter lengthens a retry's wait; nil adds up to 10% at random.
	Jitter func(time.Duration) time.Duration
	// Gather is the least time between a worker's passes (10 ms when
	// 0; negative: none): deliveries that finish and events journaled
	// meanwhile share the next pass and its transactions. It is wall
	// time, a batching window, not the clock of the retries.
	Gather time.Duration
}

// MinLease is the shortest lease that outlasts a send with the timeout:
// the journal read that builds the body, the request and the recording
// of its answer, with the timeout again as margin.
func MinLease(timeout time.Duration) time.Duration { return 2 * timeout }

// Service runs one worker per enabled endpoint.
type Service struct {
	cfg     Config
	log     *slog.Logger
	client  *webhook.Client
	metrics *metrics

	mu      sync.Mutex
	workers map[int64]*worker // by endpoint
	rescan  chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
	wg      sync.WaitGroup
}

// New returns a service; Start runs it.
func New(cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = Timeout
	}
	if cfg.Lease <= 0 {
		cfg.Lease = Lease
	}
	cfg.Lease = max(cfg.Lease, MinLease(cfg.Timeout))
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = 5 * time.Second
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 32
	}
	if cfg.Gather == 0 {
		cfg.Gather = 10 * time.Millisecond
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(d time.Duration) time.Duration { return d + time.Duration(rand.Int64N(int64(d)/10+1)) }
	}
	s := &Service{cfg: cfg, log: cfg.Logger, client: cfg.Client, workers: map[int64]*worker{}, rescan: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = webhook.NewClient(cfg.Timeout, cfg.AllowPrivate)
	}
	s.metrics = newMetrics(cfg.Registry)
	return s
}

// Start runs the workers until Stop.
func (s *Service) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		s.supervise(ctx)
	}()
}

// Stop ends every worker; the messages they were sending are tried again
// when their claims end.
func (s *Service) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.wg.Wait()
}

// Notify tells the workers of an account that the floor journaled
// events. It never blocks.
func (s *Service) Notify(evs []callfloor.Event) {
	if len(evs) == 0 || evs[0].Seq == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.workers {
		if w.account == evs[0].AccountID {
			w.journaled.Store(true)
			w.poke()
		}
	}
}

// Wake tells the service that an endpoint changed or has a message
// queued: its worker looks at once, or starts. It never blocks.
func (s *Service) Wake(accountID, endpointID int64) {
	s.mu.Lock()
	w := s.workers[endpointID]
	s.mu.Unlock()
	if w != nil && w.account == accountID {
		w.changed.Store(true)
		w.poke()
	}
	select {
	case s.rescan <- struct{}{}:
	default:
	}
}

// supervise starts a worker for every enabled endpoint, looks again
// every Rescan or when woken, and prunes old messages once an hour.
func (s *Service) supervise(ctx context.Context) {
	var pruned time.Time
	for {
		if err := s.startWorkers(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("webhooks: listing the endpoints failed", "err", err)
		}
		if now := s.cfg.Clock.Now(); now.Sub(pruned) >= time.Hour {
			if err := s.cfg.Store.PruneWebhooks(ctx, now.Add(-Retention)); err != nil && ctx.Err() == nil {
				s.log.Error("webhooks: pruning old messages failed", "err", err)
			}
			pruned = now
		}
		t := s.cfg.Clock.NewTimer(s.cfg.Rescan)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.rescan:
			t.Stop()
		case <-t.C():
		}
	}
}

func (s *Service) startWorkers(ctx context.Context) error {
	list, err := s.cfg.Store.DeliverableWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ep := range list {
		if s.workers[ep.ID] != nil || ctx.Err() != nil {
			continue
		}
		w := &worker{s: s, account: ep.AccountID, id: ep.ID, wake: make(chan struct{}, 1), events: map[int64]*callfloor.Event{}}
		s.workers[ep.ID] = w
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			w.run(ctx)
			s.mu.Lock()
			delete(s.workers, w.id)
			s.mu.Unlock()
			s.metrics.forget(w.account, w.id)
		}()
	}
	return nil
}

// RunOnce does one worker's passes over an endpoint and waits for them:
// it fills the outbox from the journal and delivers every message due
// now, lanes in parallel, until none is. It returns when the next
// message is due (nil: none waits). Tests drive delivery with it and a
// fake clock.
func (s *Service) RunOnce(ctx context.Context, accountID, endpointID int64) (*time.Time, error) {
	ep, err := s.load(ctx, accountID, endpointID)
	if err != nil || ep == nil {
		return nil, err
	}
	events := map[int64]*callfloor.Event{}
	var tried []*callfloor.WebhookAttempt
	for {
		out, err := s.pass(ctx, ep, tried, true, 100, events)
		if err != nil {
			return nil, err
		}
		if out.disabled {
			return nil, nil
		}
		if len(out.claimed) == 0 && !out.more {
			return out.next, nil
		}
		var wg sync.WaitGroup
		tried = make([]*callfloor.WebhookAttempt, len(out.claimed))
		for i, m := range out.claimed {
			ev := events[m.Seq]
			delete(events, m.Seq)
			wg.Go(func() { tried[i] = s.deliver(ctx, ep, m, ev) })
		}
		wg.Wait()
	}
}

// load returns an endpoint that is still enabled, or nil.
func (s *Service) load(ctx context.Context, accountID, id int64) (*callfloor.WebhookEndpoint, error) {
	ep, err := s.cfg.Store.FindWebhookEndpointByID(callfloor.SystemContext(ctx, accountID), id)
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !ep.Enabled {
		return nil, nil
	}
	return ep, nil
}

// passOut is what a pass leaves to do.
type passOut struct {
	// claimed are the messages to send now.
	claimed []*callfloor.WebhookMessage
	// next is when the next lane head is due (nil: none waits).
	next *time.Time
	// more says the journal has more events to fill.
	more bool
	// disabled says the attempts recorded disabled the endpoint.
	disabled bool
}

// pass does one pass over the endpoint, its writes in one transaction:
// it records the attempts tried (nil ones were cut short), fills the
// outbox with a batch of journal events (when fill), and claims up to
// limit due lane heads. The events of the messages it queued go to events while it has
// room.
func (s *Service) pass(ctx context.Context, ep *callfloor.WebhookEndpoint, tried []*callfloor.WebhookAttempt, fill bool, limit int, events map[int64]*callfloor.Event) (passOut, error) {
	var out passOut
	now := s.cfg.Clock.Now()
	p := &callfloor.WebhookPass{AccountID: ep.AccountID, EndpointID: ep.ID, StaleBefore: now.Add(-StaleAfter),
		Attempts: slices.DeleteFunc(slices.Clone(tried), func(a *callfloor.WebhookAttempt) bool { return a == nil })}
	var evs []callfloor.Event
	if fill {
		var err error
		if evs, err = s.cfg.Store.ReadEvents(ctx, ep.AccountID, ep.Cursor, fillBatch); err != nil {
			return out, err
		}
	}
	if len(evs) > 0 {
		p.From, p.To = ep.Cursor, evs[len(evs)-1].Seq
		for i := range evs {
			if typ, ok := ep.Wants(&evs[i]); ok {
				p.Messages = append(p.Messages, &callfloor.WebhookMessage{Seq: evs[i].Seq, Lane: ep.Lane(&evs[i]), Type: typ})
			}
		}
	}
	if limit > 0 {
		p.Now, p.Until, p.Limit = now, now.Add(s.cfg.Lease), limit
	}
	if len(p.Attempts) == 0 && p.To == 0 && p.Limit == 0 {
		return out, nil
	}
	// Attempts answered are recorded even while the service stops.
	wctx := ctx
	if len(p.Attempts) > 0 {
		wctx = context.WithoutCancel(ctx)
	}
	r, err := s.cfg.Store.RunWebhookPass(wctx, p)
	if err != nil {
		return out, err
	}
	out.disabled = s.recorded(ep, p.Attempts, r.Disabled, now)
	if len(evs) > 0 {
		if !r.Moved {
			// Another server moved the cursor, or the endpoint changed:
			// read it again.
			fresh, err := s.load(ctx, ep.AccountID, ep.ID)
			if err != nil {
				return out, err
			}
			if fresh == nil {
				out.disabled = true
				return out, nil
			}
			*ep = *fresh
			out.more = true
		} else {
			ep.Cursor = p.To
			out.more = len(evs) == fillBatch
			if len(events)+len(p.Messages) > cacheSize {
				clear(events) // the oldest are sent or retried by now: their bodies come from the journal
			}
			for _, m := range p.Messages {
				if i, ok := slices.BinarySearchFunc(evs, m.Seq, func(e callfloor.Event, seq int64) int { return cmp.Compare(e.Seq, seq) }); ok {
					events[m.Seq] = &evs[i]
				}
			}
		}
	}
	if r.Claim != nil {
		out.claimed, out.next = r.Claim.Messages, r.Claim.NextDue
	}
	return out, nil
}

// count sets the endpoint's backlog figures.
func (s *Service) count(ctx context.Context, ep *callfloor.WebhookEndpoint) error {
	n, oldest, err := s.cfg.Store.WebhookBacklog(ctx, ep.ID)
	if err != nil {
		return err
	}
	s.metrics.backlog(ep.AccountID, ep.ID, n, oldest, s.cfg.Clock.Now())
	return nil
}

// deliver sends one claimed message, its body built from ev (its journal
// event; nil: read it) and returns the attempt to record, or nil when
// the request was cut short by the service stopping: the claim ends and
// the message is sent again, under the same id.
func (s *Service) deliver(ctx context.Context, ep *callfloor.WebhookEndpoint, m *callfloor.WebhookMessage, ev *callfloor.Event) *callfloor.WebhookAttempt {
	now := s.cfg.Clock.Now()
	a := &callfloor.WebhookAttempt{AccountID: ep.AccountID, EndpointID: ep.ID, OutboxID: m.ID, MessageID: m.MessageID(),
		Seq: m.Seq, Type: m.Type, At: now, Attempt: m.Attempts + 1}
	body, err := s.body(ctx, m, ev)
	var res webhook.Result
	switch {
	case err != nil && ctx.Err() != nil:
		return nil
	case err != nil:
		a.Error = "the message could not be built: " + callfloor.ErrorMessage(err)
		s.log.Error("webhooks: building a message failed", "account", ep.AccountID, "endpoint", ep.ID, "message", a.MessageID, "err", err)
	default:
		res, err = s.client.Deliver(ctx, ep.URL, ep.SigningSecrets(now), webhook.Message{ID: a.MessageID, Timestamp: now, Body: body})
		if err != nil && ctx.Err() != nil {
			return nil
		}
		a.Status, a.LatencyMS, a.Response, a.Error = res.Status, res.LatencyMS, res.Excerpt, webhook.Reason(err)
	}
	a.Outcome, a.NextAttemptAt = Decide(a.Attempt, res, err, now, s.cfg.Jitter)
	if a.Outcome == callfloor.WebhookOutcomeFailed && err != nil && a.Error == "" {
		a.Error = "the request failed"
	}
	return a
}

// record records the finished attempts (nil ones were cut short) in one
// transaction, and says whether they disabled the endpoint. An answer is
// recorded even while the service stops (Stop waits for it), so the log
// has every answered attempt.
func (s *Service) record(ctx context.Context, ep *callfloor.WebhookEndpoint, tried []*callfloor.WebhookAttempt) (bool, error) {
	tried = slices.DeleteFunc(slices.Clone(tried), func(a *callfloor.WebhookAttempt) bool { return a == nil })
	if len(tried) == 0 {
		return false, nil
	}
	now := s.cfg.Clock.Now()
	r, err := s.cfg.Store.RunWebhookPass(context.WithoutCancel(ctx), &callfloor.WebhookPass{AccountID: ep.AccountID, EndpointID: ep.ID,
		Attempts: tried, StaleBefore: now.Add(-StaleAfter)})
	if err != nil {
		return false, err
	}
	return s.recorded(ep, tried, r.Disabled, now), nil
}

// recorded counts and logs recorded attempts and tells the admins when
// they disabled the endpoint; it says whether they did.
func (s *Service) recorded(ep *callfloor.WebhookEndpoint, tried []*callfloor.WebhookAttempt, disabled string, now time.Time) bool {
	for _, a := range tried {
		s.metrics.attempt(ep.AccountID, ep.ID, a.Outcome)
		switch a.Outcome {
		case callfloor.WebhookOutcomeRetry:
			s.log.Debug("webhook attempt failed; will retry", "account", ep.AccountID, "endpoint", ep.ID, "message", a.MessageID,
				"attempt", a.Attempt, "status", a.Status, "error", a.Error, "retry_at", a.NextAttemptAt)
		case callfloor.WebhookOutcomeFailed:
			s.log.Warn("webhook message failed for good", "account", ep.AccountID, "endpoint", ep.ID, "message", a.MessageID,
				"attempt", a.Attempt, "status", a.Status, "error", a.Error)
		}
	}
	if disabled == "" {
		return false
	}
	s.log.Warn("webhook endpoint disabled", "account", ep.AccountID, "endpoint", ep.ID, "reason", disabled)
	if s.cfg.Publish != nil {
		s.cfg.Publish([]callfloor.Event{{AccountID: ep.AccountID, At: now, Type: callfloor.EventWebhookDisabled,
			Webhook: &callfloor.WebhookNotice{EndpointID: ep.ID, URL: ep.URL, Reason: disabled}}})
	}
	return true
}

// body is a message's JSON: its payload, or its journal event's (ev, or
// read from the journal when nil).
func (s *Service) body(ctx context.Context, m *callfloor.WebhookMessage, ev *callfloor.Event) ([]byte, error) {
	if m.Seq == 0 {
		return m.Payload, nil
	}
	if ev != nil && ev.Seq == m.Seq {
		return callfloor.NewWebhookEventBody(ev)
	}
	evs, err := s.cfg.Store.ReadEvents(ctx, m.AccountID, m.Seq-1, 1)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 || evs[0].Seq != m.Seq {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "the journal has no event %d", m.Seq)
	}
	return callfloor.NewWebhookEventBody(&evs[0])
}

// Decide is what an attempt leads to: delivered on a 2xx; the endpoint
// gone on a 410; else a retry after the next wait of Retries (a 429's
// Retry-After when it asks for one), or failed after the last.
func Decide(attempt int, res webhook.Result, err error, now time.Time, jitter func(time.Duration) time.Duration) (callfloor.WebhookOutcome, *time.Time) {
	switch {
	case err == nil && res.OK:
		return callfloor.WebhookOutcomeDelivered, nil
	case err == nil && res.Status == 410:
		return callfloor.WebhookOutcomeGone, &now
	case attempt > len(Retries):
		return callfloor.WebhookOutcomeFailed, nil
	}
	wait := jitter(Retries[attempt-1])
	if err == nil && res.Status == 429 && res.RetryAfter > 0 {
		wait = min(res.RetryAfter, MaxRetryAfter)
	}
	next := now.Add(wait)
	return callfloor.WebhookOutcomeRetry, &next
}

// worker delivers one endpoint's messages.
type worker struct {
	s           *Service
	account, id int64
	wake        chan struct{}
	// changed says the endpoint changed (Wake): read it again.
	changed atomic.Bool
	// journaled says the floor journaled events for the account
	// (Notify) since the worker last read the journal.
	journaled atomic.Bool
	// events are the journal events of messages filled and not yet
	// sent, by seq; the worker's loop alone uses it.
	events map[int64]*callfloor.Event
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run fills and delivers until the endpoint is gone or disabled, or ctx
// ends. Each pass records the attempts finished since the last, fills,
// and claims for the lanes free; the deliveries in flight are waited for
// and recorded at the end.
func (w *worker) run(ctx context.Context) {
	s := w.s
	done := make(chan *callfloor.WebhookAttempt, s.cfg.Parallel)
	inflight := 0
	var (
		ep              *callfloor.WebhookEndpoint
		finished        []*callfloor.WebhookAttempt
		loaded, counted time.Time
		read            time.Time // when the journal was last read
		more            bool      // the journal has more to fill
		passed          time.Time // wall time of the last pass
	)
	take := func(a *callfloor.WebhookAttempt) {
		inflight--
		if a != nil {
			finished = append(finished, a)
		}
	}
	defer func() {
		for inflight > 0 {
			take(<-done)
		}
		if ep != nil {
			if _, err := s.record(ctx, ep, finished); err != nil {
				s.log.Error("webhooks: recording attempts failed", "account", w.account, "endpoint", w.id, "err", err)
			}
		}
	}()
	for {
		if wait := s.cfg.Gather - time.Since(passed); wait > 0 && !passed.IsZero() {
			t := time.NewTimer(wait)
		gather:
			for {
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case a := <-done:
					take(a)
				case <-t.C:
					break gather
				}
			}
		}
		passed = time.Now()
		now := s.cfg.Clock.Now()
		var err error
		if ep == nil || w.changed.Swap(false) || now.Sub(loaded) >= s.cfg.Rescan {
			var fresh *callfloor.WebhookEndpoint
			fresh, err = s.load(ctx, w.account, w.id)
			if fresh == nil && err == nil {
				return // deleted or disabled
			}
			if fresh != nil {
				ep, loaded = fresh, now
			}
		}
		var next *time.Time
		if ep != nil && err == nil {
			// The journal is read when the floor said it has news, and
			// every Poll for the events other servers journal.
			fill := w.journaled.Swap(false) || more || now.Sub(read) >= s.cfg.Poll
			if fill {
				read = now
			}
			var out passOut
			if out, err = s.pass(ctx, ep, finished, fill, s.cfg.Parallel-inflight, w.events); err != nil && fill {
				w.journaled.Store(true)
			}
			if err == nil {
				finished = finished[:0]
				if out.disabled {
					return
				}
				next, more = out.next, out.more
				target := *ep // the next passes may change ep
				for _, m := range out.claimed {
					inflight++
					ev := w.events[m.Seq]
					delete(w.events, m.Seq)
					go func() { done <- s.deliver(ctx, &target, m, ev) }()
				}
			}
		}
		if ep != nil && err == nil && now.Sub(counted) >= countEvery {
			if err = s.count(ctx, ep); err == nil {
				counted = now
			}
		}
		if err != nil && ctx.Err() == nil {
			s.log.Error("webhooks: delivery pass failed", "account", w.account, "endpoint", w.id, "err", err)
		}
		wait := max(s.cfg.Poll-now.Sub(read), 0)
		if next != nil {
			wait = min(wait, max(next.Sub(s.cfg.Clock.Now()), 0))
		}
		if more {
			wait = 0
		}
		t := s.cfg.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case a := <-done:
			take(a)
			// Every delivery finished by now too: the next pass records
			// them and claims the messages to follow them at once.
			for drained := false; !drained; {
				select {
				case a := <-done:
					take(a)
				default:
					drained = true
				}
			}
		case <-w.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// metrics are the delivery figures per endpoint.
type metrics struct {
	delivered, retried, failed *prometheus.CounterVec
	backlogAge, backlogSize    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"account", "endpoint"}
	m := &metrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callfloor_webhook_delivered_total",
			Help: "Webhook messages delivered (a 2xx answer), by endpoint."}, labels),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callfloor_webhook_retried_total",
			Help: "Webhook attempts that failed and will be tried again, by endpoint."}, labels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callfloor_webhook_failed_total",
			Help: "Webhook messages that failed for good (after about three days, or a 410), by endpoint."}, labels),
		backlogAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "callfloor_webhook_backlog_age_seconds",
			Help: "How long the oldest message waiting for an endpoint has waited."}, labels),
		backlogSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "callfloor_webhook_backlog",
			Help: "Webhook messages waiting for an endpoint."}, labels),
	}
	if reg != nil {
		m.delivered = register(reg, m.delivered)
		m.retried = register(reg, m.retried)
		m.failed = register(reg, m.failed)
		m.backlogAge = register(reg, m.backlogAge)
		m.backlogSize = register(reg, m.backlogSize)
	}
	return m
}

// register registers c, or returns the collector already registered
// under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func ids(account, endpoint int64) []string {
	return []string{strconv.FormatInt(account, 10), strconv.FormatInt(endpoint, 10)}
}

func (m *metrics) attempt(account, endpoint int64, o callfloor.WebhookOutcome) {
	switch o {
	case callfloor.WebhookOutcomeDelivered:
		m.delivered.WithLabelValues(ids(account, endpoint)...).Inc()
	case callfloor.WebhookOutcomeRetry:
		m.retried.WithLabelValues(ids(account, endpoint)...).Inc()
	case callfloor.WebhookOutcomeFailed, callfloor.WebhookOutcomeGone:
		m.failed.WithLabelValues(ids(account, endpoint)...).Inc()
	}
}

func (m *metrics) backlog(account, endpoint int64, n int, oldest *time.Time, now time.Time) {
	age := 0.0
	if oldest != nil {
		age = max(now.Sub(*oldest).Seconds(), 0)
	}
	m.backlogAge.WithLabelValues(ids(account, endpoint)...).Set(age)
	m.backlogSize.WithLabelValues(ids(account, endpoint)...).Set(float64(n))
}

func (m *metrics) forget(account, endpoint int64) {
	m.backlogAge.DeleteLabelValues(ids(account, endpoint)...)
	m.backlogSize.DeleteLabelValues(ids(account, endpoint)...)
}
