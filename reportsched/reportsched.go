// Package reportsched keeps the automated reports' calendar: it finds
// the schedules that are due, claims each in the store (so that of
// several servers on one database only one sends), has the report
// delivered, and records how it went and when the next send is due.
//
// A failed send is retried after 5 minutes, 15 minutes, 1 hour, 3 hours
// and 6 hours, for the same period; after the last try the schedule moves
// on to its next period with the error shown. Periods missed while no
// server ran are sent one after another, oldest first. A claim is a
// lease: a server that dies while sending leaves the schedule due again
// when the lease ends, so a report is sent at least once.
package reportsched

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/callfloor/callfloor"
)

// Store is what the scheduler reads and writes.
type Store interface {
	DueReportSchedules(ctx context.Context, now time.Time, limit int) ([]*callfloor.ReportSchedule, error)
	ClaimReportSchedule(ctx context.Context, accountID, id int64, was, until time.Time) (bool, error)
	RecordReportRun(ctx context.Context, accountID, id int64, run callfloor.ReportRun) error
	FindAccountByID(ctx context.Context, id int64) (*callfloor.Account, error)
}

// Deliverer sends a schedule's report for the period of a send at run
// (the api.Server).
type Deliverer interface {
	DeliverReport(ctx context.Context, rs *callfloor.ReportSchedule, run time.Time) error
}

// Retries are the waits before each new try of a failed period.
var Retries = []time.Duration{5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour}

// Lease is how long a claimed send may take before another server may
// try it again.
const Lease = 10 * time.Minute

// batch is how many due schedules one look takes.
const batch = 50

// Scheduler sends the reports that are due.
type Scheduler struct {
	Store   Store
	Deliver Deliverer
	Clock   callfloor.TimerClock
	Logger  *slog.Logger
	// Every is the time between two looks at the calendar (30 s when 0).
	Every time.Duration
}

// Run looks for due reports every s.Every until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = 30 * time.Second
	}
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("automated reports: reading the calendar failed", "err", err)
		}
		t := s.Clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// RunDue sends every report due now and returns how many it tried.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	tried := 0
	for {
		now := s.Clock.Now()
		due, err := s.Store.DueReportSchedules(ctx, now, batch)
		if err != nil {
			return tried, err
		}
		n := 0
		for _, rs := range due {
			won, err := s.Store.ClaimReportSchedule(ctx, rs.AccountID, rs.ID, *rs.NextRunAt, now.Add(Lease))
			if err != nil {
				return tried, err
			}
			if !won {
				continue // another server has it, or it changed meanwhile
			}
			n++
			if err := s.send(ctx, rs, now); err != nil {
				return tried + n, err
			}
		}
		tried += n
		if n == 0 {
			// Nothing more was due, or other servers have the rest. A
			// pass that sent something looks again: a period missed
			// while no server ran is due next.
			return tried, nil
		}
	}
}

// send delivers one claimed schedule and records the outcome.
func (s *Scheduler) send(ctx context.Context, rs *callfloor.ReportSchedule, now time.Time) error {
	period := *rs.NextRunAt
	if rs.DueAt != nil {
		period = *rs.DueAt
	}
	acc, err := s.Store.FindAccountByID(callfloor.SystemContext(ctx, rs.AccountID), rs.AccountID)
	if err != nil {
		return err
	}
	loc := acc.Location()
	next := rs.NextRun(period, loc)
	log := s.log().With("account", rs.AccountID, "schedule", rs.ID, "report", rs.Report)

	sendErr := s.Deliver.DeliverReport(ctx, rs, period)
	at := s.Clock.Now()
	run := callfloor.ReportRun{At: at, Status: callfloor.RunSent, Next: next, Due: next}
	switch {
	case sendErr == nil:
		log.Info("automated report sent", "recipients", len(rs.Recipients), "period_of", period)
	case rs.Failures < len(Retries):
		run.Status, run.Error, run.Failures = callfloor.RunFailed, callfloor.ErrorMessage(sendErr), rs.Failures+1
		run.Next, run.Due = at.Add(Retries[rs.Failures]), period
		log.Warn("automated report failed; will retry", "err", sendErr, "try", run.Failures, "retry_at", run.Next)
	default:
		run.Status = callfloor.RunFailed
		run.Error = "gave up after " + strconv.Itoa(rs.Failures+1) + " tries: " + callfloor.ErrorMessage(sendErr)
		log.Error("automated report failed; giving up on this period", "err", sendErr, "next", next)
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the lease expires and it is tried again
	}
	return s.Store.RecordReportRun(ctx, rs.AccountID, rs.ID, run)
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
