package fanout

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
)

// conn is a connection of its own to the test NATS server (see natstest).
func conn(t testing.TB, name string) (*nats.Conn, jetstream.JetStream) {
	js := natstest.JetStream(t, "callfloor fanout test "+name)
	return js.Conn(), js
}

// streamConfig names a stream and subjects unique to the test run; the
// stream is deleted when t ends.
func streamConfig(t testing.TB) Config {
	suffix := pgtest.Suffix()
	cfg := Config{Stream: "cftest_fanout_" + suffix, Prefix: "cftest.fanout." + suffix, MaxAge: time.Minute, MaxBytes: 256 << 20}
	_, js := conn(t, "cleanup")
	t.Cleanup(func() {
		if err := js.DeleteStream(context.Background(), cfg.Stream); err != nil {
			t.Errorf("delete stream %s: %v", cfg.Stream, err)
		}
	})
	return cfg
}

// collector is a Sink that checks every account's events come in
// sequence with no hole, and remembers them.
type collector struct {
	mu     sync.Mutex
	seqs   map[int64][]int64
	live   []callfloor.Event
	faults []string
}

func newCollector() *collector { return &collector{seqs: map[int64][]int64{}} }

func (c *collector) Sink(evs []callfloor.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evs {
		s := c.seqs[e.AccountID]
		if len(s) > 0 && e.Seq != s[len(s)-1]+1 {
			c.faults = append(c.faults, fmt.Sprintf("account %d: seq %d after %d", e.AccountID, e.Seq, s[len(s)-1]))
		}
		c.seqs[e.AccountID] = append(s, e.Seq)
	}
}

func (c *collector) LiveSink(evs []callfloor.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = append(c.live, evs...)
}

func (c *collector) Seqs(accountID int64) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seqs[accountID])
}

func (c *collector) Live() []callfloor.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.live)
}

// check fails t on events out of sequence.
func (c *collector) check(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.faults {
		t.Error(f)
	}
}

// waitFor waits up to 10s for ok.
func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitSeqs waits until c has exactly want of the account.
func waitSeqs(t testing.TB, c *collector, accountID int64, want []int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.Seqs(accountID)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("account %d: got %v, want %v", accountID, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newPublisher(t testing.TB, nc *nats.Conn, cfg Config, node string) *Publisher {
	t.Helper()
	return newPublisherQueue(t, nc, cfg, node, 0)
}

func newPublisherQueue(t testing.TB, nc *nats.Conn, cfg Config, node string, queue int) *Publisher {
	t.Helper()
	p, err := NewPublisher(context.Background(), nc, PublisherConfig{Config: cfg, Node: node, Queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

func newReceiver(t testing.TB, nc *nats.Conn, cfg Config, j Journal, c *collector, replay time.Duration, node string) *Receiver {
	t.Helper()
	r, err := NewReceiver(context.Background(), nc, ReceiverConfig{Config: cfg, Journal: j, Sink: c.Sink,
		LiveSink: c.LiveSink, Replay: replay, Node: node, RetryEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// owner journals and publishes one account's events first to last, as
// the engine does.
func owner(j *fakeJournal, p *Publisher, accountID, first, last int64) {
	j.Append(accountID, last)
	p.Publish(evs(accountID, first, last))
}

// TestTwoReceiversGetEverythingInOrder: 300 accounts, 20 batches each of
// 4 events, interleaved, from one publisher: two receivers, each on a
// connection of its own, get every account's 80 events in order, none
// from the journal.
func TestTwoReceiversGetEverythingInOrder(t *testing.T) {
	fanOut(t, 1<<14)
}

// TestQueueFullDropsAndReceiversCatchUp: the same burst through a queue
// of 64 batches: Publish drops what does not fit rather than wait, and
// the receivers still get every event in order, the dropped ones from
// the journal.
func TestQueueFullDropsAndReceiversCatchUp(t *testing.T) {
	fanOut(t, 64)
}

func fanOut(t *testing.T, queue int) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisherQueue(t, pnc, cfg, "a", queue)
	var cs []*collector
	var rs []*Receiver
	for i := range 2 {
		nc, _ := conn(t, fmt.Sprint("node ", i))
		c := newCollector()
		cs, rs = append(cs, c), append(rs, newReceiver(t, nc, cfg, j, c, 0, ""))
	}
	const accounts, batches, size = 300, 20, 4
	for b := range int64(batches) {
		for a := int64(1); a <= accounts; a++ {
			owner(j, p, a, b*size+1, b*size+size)
		}
	}
	for i, c := range cs {
		for a := int64(1); a <= accounts; a++ {
			if queue >= accounts*batches {
				waitSeqs(t, c, a, seqs(1, batches*size))
				continue
			}
			// An account's first batch seen is taken as it is: when its
			// first batches were dropped, it starts after them.
			waitFor(t, fmt.Sprintf("account %d's last event", a), func() bool {
				s := c.Seqs(a)
				return len(s) > 0 && s[len(s)-1] == batches*size
			})
		}
		c.check(t)
		st := rs[i].Stats()
		if queue < accounts*batches {
			t.Logf("receiver %d: %+v", i, st)
			continue
		}
		if st.Filled != 0 || st.Skipped != 0 || st.Batches != accounts*batches {
			t.Errorf("receiver %d: %+v, want every batch once and nothing from the journal", i, st)
		}
	}
	switch {
	case queue >= accounts*batches && p.Dropped() != 0:
		t.Errorf("%d batches dropped", p.Dropped())
	case queue < accounts*batches && p.Dropped() == 0:
		t.Errorf("no batch dropped from a queue of %d", queue)
	}
	t.Logf("%d batches dropped", p.Dropped())
}

// TestGapFilledFromTheJournal: a batch that never reached the stream
// (dropped, or an old owner's still on its way) is read from the journal
// when the next one comes; the late one is skipped.
func TestGapFilledFromTheJournal(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisher(t, pnc, cfg, "")
	rnc, _ := conn(t, "node")
	c := newCollector()
	r := newReceiver(t, rnc, cfg, j, c, 0, "")
	owner(j, p, 1, 1, 2)
	j.Append(1, 4) // 3 and 4 journaled, not published
	owner(j, p, 1, 5, 6)
	waitSeqs(t, c, 1, seqs(1, 6))
	p.Publish(evs(1, 3, 4)) // the old owner's, late
	owner(j, p, 1, 7, 7)
	waitSeqs(t, c, 1, seqs(1, 7))
	c.check(t)
	if st := r.Stats(); st.Filled != 2 || st.Skipped != 1 {
		t.Errorf("%+v: want 2 events filled and 1 batch skipped", st)
	}
}

// TestDroppedBatchNotice: a batch the publisher dropped, with nothing
// after it, reaches the receivers through its notice and the journal.
func TestDroppedBatchNotice(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisher(t, pnc, cfg, "")
	rnc, _ := conn(t, "node")
	c := newCollector()
	r := newReceiver(t, rnc, cfg, j, c, 0, "")
	owner(j, p, 1, 1, 3)
	waitSeqs(t, c, 1, seqs(1, 3))
	j.Append(1, 6)
	p.drop(&batch{AccountID: 1, First: 4, Last: 5}, "test")
	p.drop(&batch{AccountID: 1, First: 6, Last: 6}, "test")
	waitSeqs(t, c, 1, seqs(1, 6))
	if st := r.Stats(); st.Notices != 1 || st.Filled != 3 {
		t.Errorf("%+v: want one notice and 3 events filled", st)
	}
	if p.Dropped() != 2 {
		t.Errorf("%d dropped, want 2", p.Dropped())
	}
}

// TestDuplicatesDeliveredOnce: the same batch published twice, by the
// same publisher or by another on another connection, is stored once
// (its Nats-Msg-Id) and delivered once.
func TestDuplicatesDeliveredOnce(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	nc1, js := conn(t, "owner")
	p1 := newPublisher(t, nc1, cfg, "")
	nc2, _ := conn(t, "old owner")
	p2 := newPublisher(t, nc2, cfg, "")
	rnc, _ := conn(t, "node")
	c := newCollector()
	r := newReceiver(t, rnc, cfg, j, c, 0, "")
	owner(j, p1, 1, 1, 2)
	p1.Publish(evs(1, 1, 2))
	p2.Publish(evs(1, 1, 2))
	owner(j, p1, 1, 3, 3)
	waitSeqs(t, c, 1, seqs(1, 3))
	s, err := js.Stream(context.Background(), cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 2 {
		t.Errorf("the stream holds %d messages, want 2", n)
	}
	if st := r.Stats(); st.Batches != 2 {
		t.Errorf("%+v: want 2 batches", st)
	}
}

// TestLiveEvents: live events reach the receivers of the moment (except
// the publisher's own node's, when named), and a receiver that replays
// the stream does not get them.
func TestLiveEvents(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisher(t, pnc, cfg, "a")
	var cs []*collector
	for _, node := range []string{"a", "b"} {
		nc, _ := conn(t, "node "+node)
		c := newCollector()
		newReceiver(t, nc, cfg, j, c, 0, node)
		cs = append(cs, c)
	}
	stats := func(acct, id int64) callfloor.Event {
		return callfloor.Event{AccountID: acct, Type: callfloor.EventQueueStats, Seq: 9, QueueID: id}
	}
	p.PublishLive([]callfloor.Event{stats(1, 10), stats(1, 11), stats(2, 12)})
	owner(j, p, 1, 1, 1)
	waitSeqs(t, cs[1], 1, seqs(1, 1))
	waitFor(t, "3 live events", func() bool { return len(cs[1].Live()) == 3 })
	for _, e := range cs[1].Live() {
		if e.Seq != 0 {
			t.Errorf("live event with seq %d", e.Seq)
		}
	}
	if got := cs[0].Live(); len(got) != 0 {
		t.Errorf("node a got its own live events back: %v", got)
	}
	late := newCollector()
	nc, _ := conn(t, "late node")
	newReceiver(t, nc, cfg, j, late, time.Minute, "")
	waitSeqs(t, late, 1, seqs(1, 1))
	if got := late.Live(); len(got) != 0 {
		t.Errorf("live events replayed: %v", got)
	}
}

// TestReplay: a receiver that starts Replay back gets the recent past;
// one that starts from now gets what comes after it, from the next
// batch on.
func TestReplay(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisher(t, pnc, cfg, "")
	first := newCollector()
	nc, _ := conn(t, "first node")
	newReceiver(t, nc, cfg, j, first, 0, "")
	for a := int64(1); a <= 3; a++ {
		for b := int64(0); b < 5; b++ {
			owner(j, p, a, b*2+1, b*2+2)
		}
	}
	waitSeqs(t, first, 3, seqs(1, 10)) // all of it is in the stream
	replayed, fresh := newCollector(), newCollector()
	nc2, _ := conn(t, "replaying node")
	newReceiver(t, nc2, cfg, j, replayed, time.Minute, "")
	nc3, _ := conn(t, "fresh node")
	newReceiver(t, nc3, cfg, j, fresh, 0, "")
	owner(j, p, 1, 11, 12)
	for a := int64(1); a <= 3; a++ {
		want := seqs(1, 10)
		if a == 1 {
			want = seqs(1, 12)
		}
		waitSeqs(t, replayed, a, want)
	}
	waitSeqs(t, fresh, 1, seqs(11, 12))
	if got := fresh.Seqs(2); len(got) != 0 {
		t.Errorf("the receiver from now got account 2's %v", got)
	}
}

// TestPublisherRestart: the owner's connection closes (what it publishes
// then is lost) and a publisher on a new connection carries on: the
// receivers get every event, those lost from the journal.
func TestPublisherRestart(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	nc1, _ := conn(t, "owner")
	p1 := newPublisher(t, nc1, cfg, "")
	rnc, _ := conn(t, "node")
	c := newCollector()
	r := newReceiver(t, rnc, cfg, j, c, 0, "")
	owner(j, p1, 1, 1, 4)
	waitSeqs(t, c, 1, seqs(1, 4))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	nc1.Close()
	owner(j, p1, 1, 5, 6) // closed: not sent
	nc2, _ := conn(t, "owner again")
	p2 := newPublisher(t, nc2, cfg, "")
	owner(j, p2, 1, 7, 8)
	owner(j, p2, 1, 9, 10)
	waitSeqs(t, c, 1, seqs(1, 10))
	c.check(t)
	if st := r.Stats(); st.Filled != 2 {
		t.Errorf("%+v: want 2 events from the journal", st)
	}
}

// TestStreamConfigMustAgree: a node with another MaxAge is refused.
func TestStreamConfigMustAgree(t *testing.T) {
	cfg := streamConfig(t)
	nc, _ := conn(t, "owner")
	newPublisher(t, nc, cfg, "")
	other := cfg
	other.MaxAge = 2 * time.Minute
	if _, err := NewPublisher(context.Background(), nc, PublisherConfig{Config: other}); err == nil {
		t.Fatal("a publisher with another MaxAge opened the stream")
	}
}

// TestBadBatchNotSent: a batch with a hole or of two accounts is not
// sent (nor noticed), and what follows goes on.
func TestBadBatchNotSent(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisher(t, pnc, cfg, "")
	rnc, _ := conn(t, "node")
	c := newCollector()
	r := newReceiver(t, rnc, cfg, j, c, 0, "")
	owner(j, p, 1, 1, 1)
	p.Publish([]callfloor.Event{ev(1, 2), ev(1, 4)})
	p.Publish([]callfloor.Event{ev(1, 2), ev(2, 3)})
	owner(j, p, 1, 2, 3)
	waitSeqs(t, c, 1, seqs(1, 3))
	if p.Dropped() != 2 {
		t.Errorf("%d dropped, want 2", p.Dropped())
	}
	if st := r.Stats(); st.Batches != 2 || st.Bad != 0 || st.Notices != 0 {
		t.Errorf("%+v: want the 2 good batches only", st)
	}
}

// TestStopDuringAJournalRead: Stop cuts a journal read short.
func TestStopDuringAJournalRead(t *testing.T) {
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc, _ := conn(t, "owner")
	p := newPublisher(t, pnc, cfg, "")
	rnc, _ := conn(t, "node")
	c := newCollector()
	r, err := NewReceiver(context.Background(), rnc, ReceiverConfig{Config: cfg, Journal: j, Sink: c.Sink, FillTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	owner(j, p, 1, 1, 2)
	waitSeqs(t, c, 1, seqs(1, 2))
	j.SetHang(true)
	j.Append(1, 4)
	owner(j, p, 1, 5, 6)
	waitFor(t, "the journal read", func() bool { return j.Reads() > 0 })
	start := time.Now()
	r.Stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %v", d)
	}
	if got := c.Seqs(1); !slices.Equal(got, seqs(1, 2)) {
		t.Errorf("delivered %v", got)
	}
}
