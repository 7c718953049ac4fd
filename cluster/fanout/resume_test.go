package fanout

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/callfloor/callfloor/bus"
)

// takeSeqs returns the seqs queued for sub.
func takeSeqs(sub *bus.Subscription) []int64 {
	var out []int64
	batches, _ := sub.Take(nil)
	for _, b := range batches {
		for _, e := range b.Events {
			out = append(out, e.Seq)
		}
	}
	return out
}

// TestResume: a hub that keeps 4 events of account 1, whose journal
// holds 1 to 20.
func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name          string
		hub           [2]int64 // events published to the hub, first to last (0: none)
		late          int64    // the hub reaches 20 this many ms late (0: never)
		wait          time.Duration
		after, cur    int64
		max           int64
		missed, queue []int64
		reads         bool
		tooOld        bool
	}{
		{name: "the hub keeps them", hub: [2]int64{1, 20}, after: 17, cur: 20, queue: seqs(18, 20)},
		{name: "up to date", hub: [2]int64{1, 20}, after: 20, cur: 20},
		{name: "fallen out of the ring", hub: [2]int64{1, 20}, after: 5, cur: 20, missed: seqs(6, 20), reads: true},
		{name: "the hub started after them", hub: [2]int64{12, 20}, after: 3, cur: 20, missed: seqs(4, 20), reads: true},
		{name: "the hub catches up", hub: [2]int64{12, 18}, late: 30, after: 3, cur: 20,
			missed: seqs(4, 20), reads: true},
		{name: "the hub catches up and keeps them", hub: [2]int64{1, 18}, late: 30, after: 17, cur: 20, queue: seqs(18, 20)},
		{name: "the hub does not catch up", hub: [2]int64{12, 18}, wait: 100 * time.Millisecond, after: 3, cur: 20, tooOld: true},
		{name: "too far behind", hub: [2]int64{1, 20}, after: 5, cur: 20, max: 10, tooOld: true},
		{name: "ahead of the floor", hub: [2]int64{1, 20}, after: 21, cur: 20, tooOld: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newFakeJournal()
			j.Append(1, 20)
			hub := bus.NewHub(4, 100)
			if tc.hub[0] > 0 {
				hub.Publish(evs(1, tc.hub[0], tc.hub[1]))
			}
			if tc.late > 0 {
				go func() {
					time.Sleep(time.Duration(tc.late) * time.Millisecond)
					hub.Publish(evs(1, tc.hub[1]+1, 20))
				}()
			}
			missed, sub, err := Resume(context.Background(), hub, j, ResumeConfig{Wait: tc.wait, Max: tc.max}, 1, tc.after, tc.cur)
			if tc.tooOld {
				if !errors.Is(err, bus.ErrTooOld) {
					t.Fatalf("got %v, want bus.ErrTooOld", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			var got []int64
			for _, e := range missed {
				got = append(got, e.Seq)
			}
			if !slices.Equal(got, tc.missed) {
				t.Errorf("missed %v, want %v", got, tc.missed)
			}
			if got := takeSeqs(sub); !slices.Equal(got, tc.queue) {
				t.Errorf("queued %v, want %v", got, tc.queue)
			}
			if (j.Reads() > 0) != tc.reads {
				t.Errorf("%d journal reads", j.Reads())
			}
			hub.Publish(evs(1, 21, 22))
			if got := takeSeqs(sub); !slices.Equal(got, seqs(21, 22)) {
				t.Errorf("then %v, want 21 and 22", got)
			}
		})
	}
}
