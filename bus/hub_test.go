package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func evs(account int64, from, to int64) []callfloor.Event {
	var out []callfloor.Event
	for s := from; s <= to; s++ {
		out = append(out, callfloor.Event{AccountID: account, Seq: s, Type: callfloor.EventLoggedIn})
	}
	return out
}

// drain takes the sequence numbers of every event queued for s.
func drain(s *Subscription) (seqs []int64) {
	batches, _ := s.Take(nil)
	for _, b := range batches {
		for _, e := range b.Events {
			seqs = append(seqs, e.Seq)
		}
	}
	return seqs
}

func TestSubscribeCatchesUp(t *testing.T) {
	h := NewHub(5, 10)
	h.Publish(evs(1, 1, 8))
	tests := []struct {
		after   int64
		want    []int64
		tooOld  bool
		comment string
	}{
		{after: 8, want: nil, comment: "up to date"},
		{after: 6, want: []int64{7, 8}, comment: "missed two"},
		{after: 3, want: []int64{4, 5, 6, 7, 8}, comment: "oldest kept is 4"},
		{after: 2, tooOld: true, comment: "3 is gone"},
		{after: 0, tooOld: true, comment: "everything is not kept"},
	}
	for _, tc := range tests {
		s, err := h.Subscribe(1, tc.after, 8)
		if tc.tooOld {
			if err != ErrTooOld {
				t.Errorf("%s: err %v", tc.comment, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.comment, err)
		}
		h.Publish(evs(1, 9, 9))
		got := drain(s)
		want := append(tc.want, 9)
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", tc.comment, got, want)
		}
		for i := range got {
			if i < len(want) && got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", tc.comment, got, want)
				break
			}
		}
		s.Close()
		h = NewHub(5, 10)
		h.Publish(evs(1, 1, 8))
	}
}

func TestAccountsAreSeparateAndDuplicatesDropped(t *testing.T) {
	h := NewHub(100, 100)
	a, _ := h.Subscribe(1, 0, 0)
	b, _ := h.Subscribe(2, 0, 0)
	h.Publish(evs(1, 1, 3))
	h.Publish(evs(1, 2, 4)) // 2 and 3 again after a restart: only 4 is new
	h.Publish(evs(2, 1, 1))
	if got := drain(a); len(got) != 4 || got[3] != 4 {
		t.Errorf("account 1 got %v", got)
	}
	if got := drain(b); len(got) != 1 {
		t.Errorf("account 2 got %v", got)
	}
}

func TestSlowSubscriberIsClosed(t *testing.T) {
	h := NewHub(100, 2)
	s, _ := h.Subscribe(1, 0, 0)
	h.Publish(evs(1, 1, 5))
	got := drain(s)
	if len(got) != 2 || !s.Overflowed() {
		t.Fatalf("got %v, overflowed %v", got, s.Overflowed())
	}
	if _, ok := s.Take(nil); ok {
		t.Fatal("subscription still open")
	}
	s.Close() // closing twice is harmless
	if _, err := h.Subscribe(1, 2, 5); err != nil {
		t.Fatalf("resubscribing from the last seen seq: %v", err)
	}
}

func TestRestartedHubAsksForASnapshot(t *testing.T) {
	h := NewHub(100, 100) // a new process: the floor is at 40, the ring empty
	if _, err := h.Subscribe(1, 30, 40); err != ErrTooOld {
		t.Fatalf("events 31..40 are not kept, err = %v", err)
	}
	if _, err := h.Subscribe(1, 50, 40); err != ErrTooOld {
		t.Fatalf("a client ahead of the floor (another server's numbers), err = %v", err)
	}
	s, err := h.Subscribe(1, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	h.Publish(evs(1, 41, 41))
	if got := drain(s); len(got) != 1 || got[0] != 41 {
		t.Fatalf("got %v", got)
	}
}

func TestLiveEventsAreNotKept(t *testing.T) {
	h := NewHub(10, 2)
	h.Publish(evs(1, 1, 2))
	s, err := h.Subscribe(1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	live := callfloor.Event{AccountID: 1, Type: callfloor.EventQueueStats}
	h.PublishLive([]callfloor.Event{live, live, live}) // the third finds the buffer full
	if got := drain(s); len(got) != 2 || got[0] != 0 || got[1] != 0 {
		t.Fatalf("got %v, want two live events", got)
	}
	h.Publish(evs(1, 3, 3))
	if got := drain(s); len(got) != 1 || got[0] != 3 {
		t.Fatalf("got %v, want event 3", got)
	}
	if s.Overflowed() || h.Last(1) != 3 {
		t.Fatalf("overflowed %v, last %d: live events must neither drop the subscriber nor count", s.Overflowed(), h.Last(1))
	}
	// A later subscriber catching up gets the sequence only.
	s2, err := h.Subscribe(1, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(s2); len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("replay %v, want 1..3", got)
	}
}

// TestRingWrapsAround: past its size the ring keeps exactly the latest
// events, in order, and a subscriber is caught up from wherever they are.
func TestRingWrapsAround(t *testing.T) {
	h := NewHub(5, 100)
	for seq := int64(1); seq <= 13; seq++ {
		h.Publish([]callfloor.Event{{AccountID: 1, Seq: seq}})
	}
	for _, tt := range []struct {
		after int64
		want  []int64
		old   bool
	}{
		{after: 13},
		{after: 12, want: []int64{13}},
		{after: 8, want: []int64{9, 10, 11, 12, 13}},
		{after: 7, old: true}, // 8 fell out
	} {
		s, err := h.Subscribe(1, tt.after, 13)
		if tt.old {
			if err != ErrTooOld {
				t.Errorf("after %d: %v, want ErrTooOld", tt.after, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("after %d: %v", tt.after, err)
		}
		got := drain(s)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("after %d: %v, want %v", tt.after, got, tt.want)
		}
		s.Close()
	}
}

func benchmarkPublish(b *testing.B, kept int) {
	h := NewHub(kept, 100)
	ev := callfloor.Event{AccountID: 1, Type: callfloor.EventPaused, Pause: &callfloor.PauseRef{Name: "Lunch"}}
	seq := int64(0)
	for range kept {
		seq++
		ev.Seq = seq
		h.Publish([]callfloor.Event{ev})
	}
	b.ResetTimer()
	for range b.N {
		seq++
		ev.Seq = seq
		h.Publish([]callfloor.Event{ev})
	}
}

func BenchmarkPublish(b *testing.B) {
	for _, kept := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("kept=%d", kept), func(b *testing.B) { benchmarkPublish(b, kept) })
	}
}

// TestPublishCostDoesNotGrowWithTheRing: a full ring of 100,000 events
// costs about what one of 1,000 does per publish (it was a copy of the
// whole ring: some 500 times more). The bound is loose on purpose; the
// figures themselves are BenchmarkPublish's.
func TestPublishCostDoesNotGrowWithTheRing(t *testing.T) {
	perPublish := func(kept int) time.Duration {
		h := NewHub(kept, 100)
		ev := callfloor.Event{AccountID: 1, Type: callfloor.EventPaused}
		seq := int64(0)
		publish := func() {
			seq++
			ev.Seq = seq
			h.Publish([]callfloor.Event{ev})
		}
		for range kept {
			publish()
		}
		const n = 3000
		start := time.Now()
		for range n {
			publish()
		}
		return time.Since(start) / n
	}
	small, large := perPublish(1000), perPublish(100000)
	if large > 10*small+20*time.Microsecond {
		t.Fatalf("publishing into 100,000 kept events costs %v, into 1,000 %v", large, small)
	}
}

// TestBatchIsSharedOnce: one publish reaches every subscriber of the
// account as the same batch, whose shared value is made once, by its
// one claimant, for them all; another account's subscriber gets none of
// it.
func TestBatchIsSharedOnce(t *testing.T) {
	h := NewHub(100, 100)
	var subs []*Subscription
	for range 3 {
		s, err := h.Subscribe(1, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	other, _ := h.Subscribe(2, 0, 0)
	h.Publish(evs(1, 1, 3))
	claims := 0
	var first *Batch
	for i, s := range subs {
		select {
		case <-s.Ready():
		default:
			t.Fatalf("subscriber %d not signalled", i)
		}
		got, ok := s.Take(nil)
		if !ok || len(got) != 1 || len(got[0].Events) != 3 || got[0].AccountID != 1 {
			t.Fatalf("subscriber %d took %v (open %v)", i, got, ok)
		}
		if first == nil {
			first = got[0]
		} else if got[0] != first {
			t.Fatalf("subscriber %d got a batch of its own", i)
		}
		if got[0].Claim() {
			claims++
			got[0].Share(len(got[0].Events))
		}
		if v, err := got[0].Shared(context.Background()); v != 3 || err != nil {
			t.Fatalf("shared value %v, %v", v, err)
		}
	}
	if claims != 1 {
		t.Fatalf("the batch was claimed %d times, want once", claims)
	}
	if got := drain(other); got != nil {
		t.Fatalf("account 2 got %v", got)
	}
}

// TestTakeKeepsOrder: what a subscriber takes is every event published
// since, in order, live figures where they came, whatever the batches.
func TestTakeKeepsOrder(t *testing.T) {
	live := []callfloor.Event{{AccountID: 1, Type: callfloor.EventQueueStats}}
	tests := []struct {
		name    string
		publish func(h *Hub)
		want    []int64
	}{
		{"one batch", func(h *Hub) { h.Publish(evs(1, 1, 4)) }, []int64{1, 2, 3, 4}},
		{"batches and live figures", func(h *Hub) {
			h.Publish(evs(1, 1, 2))
			h.PublishLive(live)
			h.Publish(evs(1, 3, 3))
			h.Publish(evs(1, 2, 5)) // 2 and 3 again: dropped
		}, []int64{1, 2, 0, 3, 4, 5}},
		{"another account's between", func(h *Hub) {
			h.Publish(evs(1, 1, 1))
			h.Publish(evs(2, 1, 9))
			h.PublishLive([]callfloor.Event{{AccountID: 2, Type: callfloor.EventQueueStats}})
			h.Publish(evs(1, 2, 2))
		}, []int64{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHub(100, 100)
			s, _ := h.Subscribe(1, 0, 0)
			tc.publish(h)
			batches, ok := s.Take(nil)
			var got []int64
			for _, b := range batches {
				if b.AccountID != 1 {
					t.Fatalf("a batch of account %d", b.AccountID)
				}
				for _, e := range b.Events {
					got = append(got, e.Seq)
				}
			}
			if !ok || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("took %v (open %v), want %v", got, ok, tc.want)
			}
			if more := drain(s); more != nil {
				t.Fatalf("a second take got %v", more)
			}
		})
	}
}

// TestSharedWaitsForTheClaimant: a subscriber waits for the claimant's
// value, or gives up with its context.
func TestSharedWaitsForTheClaimant(t *testing.T) {
	h := NewHub(10, 10)
	s, _ := h.Subscribe(1, 0, 0)
	h.Publish(evs(1, 1, 1))
	batches, _ := s.Take(nil)
	b := batches[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Shared(ctx); err != context.Canceled {
		t.Fatalf("unclaimed, a canceled wait: %v", err)
	}
	if !b.Claim() || b.Claim() {
		t.Fatal("one claim must succeed, and only one")
	}
	done := make(chan any)
	go func() {
		v, _ := b.Shared(context.Background())
		done <- v
	}()
	b.Share("frames")
	if v := <-done; v != "frames" {
		t.Fatalf("waited for %v", v)
	}
}

// TestAwait: Await returns once the account's events reach the asked
// sequence number, and reports false when its context ends first.
func TestAwait(t *testing.T) {
	h := NewHub(10, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if h.Await(ctx, 1, 2) {
		t.Fatal("Await reported seq 2 reached with no event")
	}
	go h.Publish([]callfloor.Event{{AccountID: 1, Seq: 1}, {AccountID: 1, Seq: 2}})
	if !h.Await(context.Background(), 1, 2) {
		t.Fatal("Await did not see seq 2")
	}
	if !h.Await(context.Background(), 1, 1) {
		t.Fatal("Await of a seq already reached")
	}
}
