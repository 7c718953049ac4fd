package fanout

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// step is one thing that happens to a receiver: a batch (or a notice,
// without events) arrives, the journal goes down or up, time passes, the
// retry round runs.
type step struct {
	b       *batch
	down    *bool
	advance time.Duration
	retry   bool
}

func arrive(first, last int64) step {
	return step{b: &batch{AccountID: 1, First: first, Last: last, Events: evs(1, first, last)}}
}
func notice(first, last int64) step { return step{b: &batch{AccountID: 1, First: first, Last: last}} }
func journalDown(down bool) step    { return step{down: &down} }

// seqs lists first to last.
func seqs(first, last int64) []int64 {
	var out []int64
	for s := first; s <= last; s++ {
		out = append(out, s)
	}
	return out
}

// TestReceiverSequence: what a receiver hands its sink for batches that
// come in order, twice, late, after a gap, as notices, and while the
// journal is down. The journal holds events 1 to 20 of account 1.
func TestReceiverSequence(t *testing.T) {
	for _, tc := range []struct {
		name   string
		steps  []step
		want   []int64
		filled int64
		behind int
	}{
		{"in order", []step{arrive(1, 2), arrive(3, 4)}, seqs(1, 4), 0, 0},
		{"first batch taken as it is", []step{arrive(5, 6), arrive(7, 7)}, seqs(5, 7), 0, 0},
		{"gap filled from the journal", []step{arrive(1, 2), arrive(6, 7)}, seqs(1, 7), 3, 0},
		{"same batch twice", []step{arrive(1, 2), arrive(1, 2), arrive(3, 3), arrive(1, 2)}, seqs(1, 3), 0, 0},
		{"overlap", []step{arrive(1, 3), arrive(2, 5)}, seqs(1, 5), 0, 0},
		{"old owner's last batch after the new owner's first",
			[]step{arrive(1, 2), arrive(5, 6), arrive(3, 4), arrive(7, 7)}, seqs(1, 7), 2, 0},
		{"notice", []step{arrive(1, 2), notice(3, 5), arrive(6, 6)}, seqs(1, 6), 3, 0},
		{"notice first", []step{notice(3, 5), arrive(6, 6)}, seqs(3, 6), 3, 0},
		{"notice of what was delivered", []step{arrive(1, 5), notice(3, 5)}, seqs(1, 5), 0, 0},
		{"journal down, then up, then the retry",
			[]step{arrive(1, 2), journalDown(true), arrive(6, 7), arrive(8, 8), journalDown(false),
				{advance: time.Second, retry: true}, arrive(9, 9)}, seqs(1, 9), 6, 0},
		{"journal down, then up, then the next batch",
			[]step{arrive(1, 2), journalDown(true), arrive(6, 7), journalDown(false), {advance: time.Second}, arrive(8, 8)},
			seqs(1, 8), 5, 0},
		{"journal down: still behind", []step{arrive(1, 2), journalDown(true), arrive(6, 7), {advance: time.Second, retry: true}},
			seqs(1, 2), 0, 1},
		{"journal down: given up on after a minute",
			[]step{arrive(1, 2), journalDown(true), arrive(6, 7), {advance: 61 * time.Second}, arrive(8, 9), arrive(10, 10)},
			append(seqs(1, 2), seqs(8, 10)...), 0, 0},
		{"journal short of the gap: given up on after a minute",
			[]step{arrive(1, 2), arrive(30, 31), {advance: 61 * time.Second, retry: true}, arrive(32, 32)},
			append(seqs(1, 20), 32), 18, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newFakeJournal()
			j.Append(1, 20)
			clock := clocktest.New(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
			var got []int64
			r := testReceiver(j, clock, &got)
			for _, s := range tc.steps {
				switch {
				case s.b != nil:
					r.handle(s.b)
				case s.down != nil:
					j.SetDown(*s.down)
				}
				clock.Advance(s.advance)
				if s.retry {
					r.retryBehind()
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("delivered %v, want %v", got, tc.want)
			}
			if st := r.Stats(); st.Filled != tc.filled || st.Behind != tc.behind {
				t.Errorf("filled %d, behind %d; want %d, %d", st.Filled, st.Behind, tc.filled, tc.behind)
			}
		})
	}
}

func TestBackfill(t *testing.T) {
	j := newFakeJournal()
	j.Append(3, 2500)
	got, err := Backfill(context.Background(), j, 3, 100, 2400)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2300 || got[0].Seq != 101 || got[len(got)-1].Seq != 2400 {
		t.Fatalf("got %d events, %d to %d", len(got), got[0].Seq, got[len(got)-1].Seq)
	}
	if j.Reads() != 3 {
		t.Errorf("%d reads, want 3 pages", j.Reads())
	}
	got, err = Backfill(context.Background(), j, 3, 2400, 2600)
	if callfloor.ErrorCode(err) != callfloor.ErrNotFound || len(got) != 100 {
		t.Errorf("past the journal's end: %d events, %v; want 100 and not_found", len(got), err)
	}
}

// testReceiver is a receiver without NATS, whose sink appends to got.
func testReceiver(j Journal, clock callfloor.TimerClock, got *[]int64) *Receiver {
	return &Receiver{ctx: context.Background(), cfg: ReceiverConfig{Journal: j, Clock: clock, FillTimeout: time.Second,
		RetryEvery: time.Second, GiveUpAfter: time.Minute,
		Sink: func(evs []callfloor.Event) {
			for _, e := range evs {
				*got = append(*got, e.Seq)
			}
		}},
		log: slog.New(slog.DiscardHandler), last: map[int64]int64{}, behind: map[int64]*lag{}}
}

// TestReceiverHas: what the sink has already (Has) is not read again.
func TestReceiverHas(t *testing.T) {
	for _, tc := range []struct {
		name   string
		has    int64
		want   []int64
		filled int64
	}{
		{"the sink has them all", 6, seqs(7, 8), 0},
		{"the sink has some", 4, seqs(5, 8), 2},
		{"the sink has only the first", 1, seqs(2, 8), 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newFakeJournal()
			j.Append(1, 20)
			var got []int64
			r := testReceiver(j, clocktest.New(time.Now()), &got)
			r.cfg.Has = func(int64) int64 { return tc.has }
			r.handle(&batch{AccountID: 1, First: 1, Last: 2, Events: evs(1, 1, 2)})
			r.handle(&batch{AccountID: 1, First: 7, Last: 8, Events: evs(1, 7, 8)})
			if !slices.Equal(got, tc.want) {
				t.Errorf("delivered %v, want %v", got, tc.want)
			}
			if f := r.Stats().Filled; f != tc.filled {
				t.Errorf("filled %d, want %d", f, tc.filled)
			}
		})
	}
}
