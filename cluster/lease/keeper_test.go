package lease

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// outcome is what one renewal of the fake does.
type outcome int

const (
	renewed outcome = iota
	refused         // another took the key
	failed          // NATS did not answer
	hangs           // until the keeper cuts it short
)

var errNoAnswer = errors.New("nats: connection closed")

// fakeRenewals plays the outcomes in turn (the last one for ever).
type fakeRenewals struct {
	clock    *clocktest.Clock
	outcomes []outcome

	mu       sync.Mutex
	calls    int
	cut      int // hanging renewals cut short
	lost     []error
	lostAtMS []int64
}

func (f *fakeRenewals) renew(ctx context.Context, l *Lease) error {
	f.mu.Lock()
	o := f.outcomes[min(f.calls, len(f.outcomes)-1)]
	f.calls++
	f.mu.Unlock()
	switch o {
	case refused:
		return callfloor.Errorf(callfloor.ErrLeaseLost, "lease %s was taken by another node", l.Key)
	case failed:
		return errNoAnswer
	case hangs:
		<-ctx.Done()
		f.mu.Lock()
		f.cut++
		f.mu.Unlock()
		return ctx.Err()
	}
	l.wrote(l.Revision()+1, f.clock.Now())
	return nil
}

func (f *fakeRenewals) onLost(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lost = append(f.lost, err)
	f.lostAtMS = append(f.lostAtMS, f.clock.Now().Sub(t0).Milliseconds())
}

func (f *fakeRenewals) state() (calls, cut int, lost []error, lostAtMS []int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.cut, append([]error(nil), f.lost...), append([]int64(nil), f.lostAtMS...)
}

// TestKeeper drives a keeper of a 30 s lease (renewals every 10 s, the
// deadline 22.5 s after the last good renewal was sent) on a fake clock.
func TestKeeper(t *testing.T) {
	const ttl = 30 * time.Second
	tests := []struct {
		name     string
		outcomes []outcome
		steps    []time.Duration // clock moves, each followed by a check
		stop     bool            // Stop the keeper after the steps
		renewals int
		cut      int
		lostAtMS int64 // -1: never lost
		cause    error // wrapped by the loss, when not nil
		message  string
	}{
		{name: "renewals that succeed keep the lease", outcomes: []outcome{renewed},
			steps: []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}, stop: true,
			renewals: 4, lostAtMS: -1},
		{name: "a refused renewal is lost at once", outcomes: []outcome{renewed, refused},
			steps:    []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second},
			renewals: 2, lostAtMS: 20000, message: "taken by another node"},
		{name: "a renewal NATS did not answer is lost at once", outcomes: []outcome{failed},
			steps:    []time.Duration{10 * time.Second, 10 * time.Second},
			renewals: 1, lostAtMS: 10000, cause: errNoAnswer},
		{name: "a renewal that hangs is lost at the deadline and cut short", outcomes: []outcome{hangs},
			steps:    []time.Duration{10 * time.Second, 12 * time.Second, 500 * time.Millisecond, 10 * time.Second},
			renewals: 1, cut: 1, lostAtMS: 22500, cause: errDeadline},
		{name: "a hang after good renewals counts from the last one", outcomes: []outcome{renewed, hangs},
			steps:    []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second, 2 * time.Second, 500 * time.Millisecond},
			renewals: 2, cut: 1, lostAtMS: 32500, cause: errDeadline},
		{name: "a wake past the deadline is lost without a renewal", outcomes: []outcome{renewed},
			steps:    []time.Duration{time.Minute},
			renewals: 0, lostAtMS: 60000, cause: errDeadline},
		{name: "a stopped keeper neither renews nor loses", outcomes: []outcome{renewed},
			steps: []time.Duration{10 * time.Second}, stop: true,
			renewals: 1, lostAtMS: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := clocktest.New(t0)
				f := &fakeRenewals{clock: clock, outcomes: tc.outcomes}
				l := &Lease{Key: AccountKey(7), Node: "node-1", ttl: ttl}
				l.wrote(1, clock.Now())
				k := &Keeper{l: l, every: ttl / 3, clock: clock, renew: f.renew, lost: f.onLost, log: slog.New(slog.DiscardHandler)}
				k.start(context.Background())
				synctest.Wait()
				for _, d := range tc.steps {
					clock.Advance(d)
					synctest.Wait()
					_, _, lost, at := f.state()
					// Lost at the step that reaches the moment, not later.
					now := clock.Now().Sub(t0).Milliseconds()
					if tc.lostAtMS >= 0 && now >= tc.lostAtMS && len(lost) == 0 {
						t.Fatalf("at %d ms the lease is not lost yet, want lost at %d ms", now, tc.lostAtMS)
					}
					if len(lost) > 0 && at[0] != tc.lostAtMS {
						t.Fatalf("lost at %d ms, want %d", at[0], tc.lostAtMS)
					}
				}
				if tc.stop {
					k.Stop()
					clock.Advance(time.Hour)
					synctest.Wait()
				}
				<-k.Done()
				calls, cut, lost, _ := f.state()
				if calls != tc.renewals || cut != tc.cut {
					t.Fatalf("%d renewals (%d cut short), want %d (%d)", calls, cut, tc.renewals, tc.cut)
				}
				if tc.lostAtMS < 0 {
					if len(lost) != 0 {
						t.Fatalf("lost: %v", lost)
					}
					return
				}
				if len(lost) != 1 {
					t.Fatalf("lost called %d times: %v", len(lost), lost)
				}
				err := lost[0]
				if callfloor.ErrorCode(err) != callfloor.ErrLeaseLost {
					t.Fatalf("lost with %v, want code %s", err, callfloor.ErrLeaseLost)
				}
				if tc.cause != nil && !errors.Is(err, tc.cause) {
					t.Fatalf("lost with %v, want it to wrap %v", err, tc.cause)
				}
				if !strings.Contains(err.Error(), tc.message) {
					t.Fatalf("lost with %v, want %q in it", err, tc.message)
				}
			})
		})
	}
}

// TestKeeperStopsWithItsContext: the context of Keep ending stops the
// keeper as Stop does, and both at once are fine.
func TestKeeperStopsWithItsContext(t *testing.T) {
	for range 50 {
		synctest.Test(t, func(t *testing.T) {
			clock := clocktest.New(t0)
			f := &fakeRenewals{clock: clock, outcomes: []outcome{renewed}}
			l := &Lease{Key: AccountKey(7), Node: "node-1", ttl: 30 * time.Second}
			l.wrote(1, clock.Now())
			k := &Keeper{l: l, every: 10 * time.Second, clock: clock, renew: f.renew, lost: f.onLost, log: slog.New(slog.DiscardHandler)}
			ctx, cancel := context.WithCancel(context.Background())
			k.start(ctx)
			go cancel()
			k.Stop()
			<-k.Done()
			clock.Advance(time.Hour)
			synctest.Wait()
			if calls, _, lost, _ := f.state(); calls != 0 || len(lost) != 0 {
				t.Fatalf("after its context ended: %d renewals, lost %v", calls, lost)
			}
		})
	}
}
