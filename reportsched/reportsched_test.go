package reportsched

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

// deliveries records the sends asked for; fail makes them fail.
type deliveries struct {
	mu   sync.Mutex
	runs []time.Time
	fail error
}

func (d *deliveries) DeliverReport(_ context.Context, _ *callfloor.ReportSchedule, run time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.runs = append(d.runs, run)
	return d.fail
}

type rig struct {
	t     *testing.T
	clock *clocktest.Clock
	store *sqlstore.Store
	acc   *callfloor.Account
	ctx   context.Context
	sent  *deliveries
	sched *Scheduler
}

// newRig: an account in London, 2026-03-02 (a Monday) 06:00 GMT.
func newRig(t *testing.T) *rig {
	clock := clocktest.New(time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC))
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"), sqlstore.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc := &callfloor.Account{Name: "Acme", TimeZone: "Europe/London"}
	if err := st.CreateAccount(context.Background(), acc); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clock: clock, store: st, acc: acc, ctx: callfloor.SystemContext(context.Background(), acc.ID), sent: &deliveries{}}
	r.sched = &Scheduler{Store: st, Deliver: r.sent, Clock: clock}
	return r
}

func (r *rig) schedule(freq callfloor.Frequency, hour int) *callfloor.ReportSchedule {
	r.t.Helper()
	rs := &callfloor.ReportSchedule{Name: "Daily", Report: callfloor.ReportDispositions, Frequency: freq, Weekday: 1, MonthDay: 1,
		Hour: hour, Recipients: []string{"boss@acme.example"}, Enabled: true}
	next := rs.NextRun(r.clock.Now(), r.acc.Location())
	rs.NextRunAt = &next
	if err := r.store.CreateReportSchedule(r.ctx, rs); err != nil {
		r.t.Fatal(err)
	}
	return rs
}

func (r *rig) runDue() int {
	r.t.Helper()
	n, err := r.sched.RunDue(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) reload(id int64) *callfloor.ReportSchedule {
	r.t.Helper()
	rs, err := r.store.FindReportScheduleByID(r.ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return rs
}

func TestSendsWhenDueAndMovesOn(t *testing.T) {
	r := newRig(t)
	rs := r.schedule(callfloor.Daily, 7)
	if n := r.runDue(); n != 0 {
		t.Fatalf("%d sends at 06:00 for a 07:00 schedule", n)
	}
	r.clock.Set(time.Date(2026, 3, 2, 7, 0, 20, 0, time.UTC))
	if n := r.runDue(); n != 1 {
		t.Fatalf("%d sends at 07:00:20, want 1", n)
	}
	if n := r.runDue(); n != 0 {
		t.Fatalf("sent again in the same minute: %d", n)
	}
	got := r.reload(rs.ID)
	want := time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC)
	if got.LastStatus != callfloor.RunSent || !got.NextRunAt.Equal(want) || got.Failures != 0 {
		t.Fatalf("after the send: %+v, want sent and next at %v", got, want)
	}
	if len(r.sent.runs) != 1 || !r.sent.runs[0].Equal(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("delivered for %v, want the 07:00 calendar time", r.sent.runs)
	}
}

func TestRetriesTheSamePeriodThenGivesUp(t *testing.T) {
	r := newRig(t)
	rs := r.schedule(callfloor.Daily, 23) // a retry crosses midnight
	r.sent.fail = callfloor.Errorf(callfloor.ErrMailFailed, "RCPT TO boss@acme.example: the mail server answered 550 Mailbox unavailable")
	r.clock.Set(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC))
	for try, wait := range Retries {
		if n := r.runDue(); n != 1 {
			t.Fatalf("try %d: %d sends", try+1, n)
		}
		got := r.reload(rs.ID)
		if got.LastStatus != callfloor.RunFailed || got.Failures != try+1 || !strings.Contains(got.LastError, "550") {
			t.Fatalf("after try %d: %+v", try+1, got)
		}
		if want := r.clock.Now().Add(wait); !got.NextRunAt.Equal(want) {
			t.Fatalf("after try %d the retry is at %v, want %v", try+1, got.NextRunAt, want)
		}
		r.clock.Set(*got.NextRunAt)
	}
	if n := r.runDue(); n != 1 {
		t.Fatalf("the last try: %d sends", n)
	}
	for _, run := range r.sent.runs {
		if !run.Equal(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)) {
			t.Fatalf("a retry was sent for the period of %v, want every try for 2 March's 23:00 send", run)
		}
	}
	got := r.reload(rs.ID)
	if want := time.Date(2026, 3, 3, 23, 0, 0, 0, time.UTC); !got.NextRunAt.Equal(want) || got.Failures != 0 ||
		!strings.HasPrefix(got.LastError, "gave up after 6 tries") {
		t.Fatalf("after giving up: %+v, want the next period at %v", got, want)
	}
}

func TestCatchesUpMissedPeriods(t *testing.T) {
	r := newRig(t)
	rs := r.schedule(callfloor.Daily, 7)
	// No server ran for three days.
	r.clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	if n := r.runDue(); n != 4 {
		t.Fatalf("%d sends after three days down, want 4 (2, 3, 4 and 5 March)", n)
	}
	for i, run := range r.sent.runs {
		if want := time.Date(2026, 3, 2+i, 7, 0, 0, 0, time.UTC); !run.Equal(want) {
			t.Fatalf("send %d for %v, want %v", i, run, want)
		}
	}
	if got := r.reload(rs.ID); !got.NextRunAt.Equal(time.Date(2026, 3, 6, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("next run %v", got.NextRunAt)
	}
}

func TestOneServerSends(t *testing.T) {
	r := newRig(t)
	r.schedule(callfloor.Daily, 7)
	other := &Scheduler{Store: r.store, Deliver: r.sent, Clock: r.clock}
	r.clock.Set(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	for _, s := range []*Scheduler{r.sched, other, r.sched, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RunDue(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(r.sent.runs) != 1 {
		t.Fatalf("%d sends by four schedulers at once, want 1", len(r.sent.runs))
	}
}

// A server that dies while sending: the claim runs out and the report
// is sent again.
func TestAClaimThatIsNeverRecordedExpires(t *testing.T) {
	r := newRig(t)
	rs := r.schedule(callfloor.Daily, 7)
	at := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	r.clock.Set(at)
	won, err := r.store.ClaimReportSchedule(context.Background(), r.acc.ID, rs.ID, at, at.Add(Lease))
	if err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	if n := r.runDue(); n != 0 {
		t.Fatalf("a claimed send was sent again at once: %d", n)
	}
	r.clock.Set(at.Add(Lease))
	if n := r.runDue(); n != 1 {
		t.Fatalf("%d sends after the lease ran out, want 1", n)
	}
	if !r.sent.runs[0].Equal(at) {
		t.Fatalf("the resent report covers %v, want the 07:00 period", r.sent.runs[0])
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.sched.Run(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
