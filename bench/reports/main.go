// Command reports is the managers' reports benchmark (make bench-reports).
// In a fresh store (SQLite in a temporary directory, or PostgreSQL with
// -database) it makes an account of -agents agents in 10 queues and 5
// campaigns, and writes -days days of its floor before today: each agent
// works a shift of -calls/(agents*days) calls with their wrap-ups and
// dispositions, pauses, a login and a logoff, journaled as the floor
// engine journals them, with the ACD's call records of the queue calls.
//
// Everything goes straight into the tables (see loader), as the store
// writes it but without the engine: the journal as AppendEvents stores
// events; the call history and its daily rollups as history.Apply makes
// them of the same events, each day's at once (its calls end within it),
// with the cursor at the journal's end as history.Late moves it. The
// secondary indexes are made after the load.
//
// Then it times, through the HTTP API on a loopback test server, the
// day's agent summary (GET /api/v1/reports/attendance for yesterday, every
// agent) and a 30-day disposition report (GET /api/v1/reports/dispositions
// over the last 30 days), checking both against what it wrote; and the
// projection's catch-up: a second account with -catchup-days days of the
// same floor in its journal alone, rebuilt by history.Projector.Rebuild
// (drop, then catch up from the first event), in events a second.
//
// It prints the settings as "# ..." lines and one figure a line as
// "name: value unit". Each report is asked for once cold, then -runs
// times, each timed until its answer is read; the figure is the median of
// the warm runs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/api"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/bench/internal/benchstore"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/history"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

func main() {
	agents := flag.Int("agents", 1000, "agents of the account")
	days := flag.Int("days", 100, "days of the floor before today")
	calls := flag.Int("calls", 10_000_000, "calls over all agents and days")
	catchupDays := flag.Int("catchup-days", 3, "days of the second account, whose projection is rebuilt and timed")
	runs := flag.Int("runs", 5, "warm runs of each report")
	timeout := flag.Duration("timeout", 10*time.Minute, "the longest a report may take; one that takes longer is printed as more than this")
	database := flag.String("database", "", "postgres:// URL; empty for SQLite in a temporary directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed reports and catch-up to this file")
	flag.Parse()
	if *agents < 1 || *days < 30 || *calls < *agents**days || *catchupDays < 1 || *runs < 1 {
		log.Fatal("-agents, -catchup-days and -runs must be positive, -days at least 30, -calls at least one per agent and day")
	}
	b := &bench{agents: *agents, days: *days, perDay: *calls / (*agents * *days), catchupDays: *catchupDays, runs: *runs,
		timeout: *timeout, profile: *cpuprofile}
	if err := b.run(*database); err != nil {
		log.Fatal(err)
	}
}

type bench struct {
	agents, days, perDay, catchupDays, runs int
	timeout                                 time.Duration
	profile                                 string

	st     *sqlstore.Store
	srv    *httptest.Server
	token  string
	client *http.Client
}

func (b *bench) run(database string) error {
	ctx := context.Background()
	st, at, done, err := benchstore.OpenAt(ctx, database, "bench-reports")
	if err != nil {
		return err
	}
	defer done()
	w, err := setup(ctx, st, "bench", b.agents)
	if err != nil {
		return err
	}
	cw, err := setup(ctx, st, "catch-up", b.agents)
	if err != nil {
		return err
	}
	fmt.Printf("# %s, %d agents, %d days, %d calls an agent a day (%d calls)\n", benchstore.Name(database), b.agents, b.days, b.perDay,
		b.agents*b.days*b.perDay)
	today := localMidnight(time.Now(), w.loc, 0)
	first := localMidnight(today, w.loc, -b.days)
	cfirst := localMidnight(today, w.loc, -b.catchupDays)

	// Both accounts' journals, and the first's call history and rollups,
	// straight into the tables (SQLite's with the store closed: the
	// loader runs without the WAL).
	t0 := time.Now()
	var l loader
	if database == "" {
		st.Close()
		l, err = openSQLiteLoader(ctx, at)
	} else {
		l, err = openPGLoader(ctx, at)
	}
	if err != nil {
		return err
	}
	expect := map[string]*dayOf{}
	events, cevents, rows := 0, 0, 0
	var cur callfloor.HistoryCursor
	for d := range w.days(first, b.days, 0, b.perDay, true) {
		if d.err != nil {
			return d.err
		}
		if err := l.load(ctx, w.acc.ID, d); err != nil {
			return err
		}
		events, rows, cur = events+len(d.events), rows+len(d.rows), d.cursor
		expect[d.date] = &dayOf{answered: d.answered, disposed: d.disposed}
	}
	if err := l.cursor(ctx, w.acc.ID, cur); err != nil {
		return err
	}
	cdisposed := 0
	for d := range cw.days(cfirst, b.catchupDays, b.days, b.perDay, false) {
		if d.err != nil {
			return d.err
		}
		if err := l.load(ctx, cw.acc.ID, d); err != nil {
			return err
		}
		cevents += len(d.events)
		cdisposed += d.disposed
	}
	loaded := time.Since(t0)
	t1 := time.Now()
	if err := l.finish(ctx); err != nil {
		return err
	}
	indexed := time.Since(t1)
	if database == "" {
		if st, err = sqlite.Open(ctx, at, sqlstore.Options{}); err != nil {
			return err
		}
		defer st.Close()
	}
	b.st = st
	t2 := time.Now()
	byExt, err := st.IndexJournals(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("journal_index_events_per_second: %.0f events/s\n", float64(byExt)/time.Since(t2).Seconds())
	fmt.Printf("# loaded %d journal events (%d of the catch-up account) and %d call history rows in %s (%.0f events/s); indexes in %s\n",
		events+cevents, cevents, rows, loaded.Round(time.Second), float64(events+cevents)/loaded.Seconds(), indexed.Round(time.Second))
	fmt.Printf("# seeded in %s\n", time.Since(t0).Round(time.Second))

	if err := b.serve(ctx, w); err != nil {
		return err
	}
	defer b.srv.Close()
	if b.profile != "" {
		f, err := os.Create(b.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	last := localMidnight(today, w.loc, -1).Format("2006-01-02")
	from := localMidnight(today, w.loc, -30).Format("2006-01-02")
	want := expect[last]
	var summary []api.AgentAttendance
	ms, err := b.time("/api/v1/reports/attendance?from="+last+"&to="+last, &summary)
	switch {
	case errors.Is(err, errSlow):
		fmt.Printf("report_summary_ms: >%d ms\n", b.timeout.Milliseconds())
	case err != nil:
		return err
	default:
		got := 0
		for _, a := range summary {
			got += a.Total.Calls
		}
		if len(summary) != b.agents || got != want.answered {
			return fmt.Errorf("the summary of %s has %d agents and %d calls, want %d and %d", last, len(summary), got, b.agents, want.answered)
		}
		fmt.Printf("# summary of %s: %d agents, %d calls\n", last, len(summary), got)
		fmt.Printf("report_summary_ms: %.1f ms\n", ms)
	}

	var counts []api.DispositionCount
	ms, err = b.time("/api/v1/reports/dispositions?from="+from+"&to="+last, &counts)
	switch {
	case errors.Is(err, errSlow):
		fmt.Printf("report_range_ms: >%d ms\n", b.timeout.Milliseconds())
	case err != nil:
		return err
	default:
		got, wantCalls := 0, 0
		for _, c := range counts {
			got += c.Calls
		}
		for date, d := range expect {
			if date >= from && date <= last {
				wantCalls += d.disposed
			}
		}
		if got != wantCalls {
			return fmt.Errorf("the disposition report from %s to %s counts %d calls, want %d", from, last, got, wantCalls)
		}
		fmt.Printf("# dispositions from %s to %s: %d lines, %d calls\n", from, last, len(counts), got)
		fmt.Printf("report_range_ms: %.1f ms\n", ms)
	}
	if b.profile != "" {
		defer pprof.StopCPUProfile()
	}
	return b.catchUp(ctx, cw, cevents, cdisposed)
}

// time asks for path once cold and b.runs times warm, each timed until
// the whole answer is read, then decodes the answer's items into out, and
// returns the warm runs' median in ms. A report that takes longer than
// b.timeout is not asked again: errSlow.
func (b *bench) time(path string, out any) (float64, error) {
	var lat []time.Duration
	var body []byte
	for i := range b.runs + 1 {
		start := time.Now()
		var err error
		if body, err = b.get(path); errors.Is(err, context.DeadlineExceeded) {
			fmt.Printf("# %s: no answer in %s\n", path, b.timeout)
			return 0, errSlow
		} else if err != nil {
			return 0, err
		}
		took := time.Since(start)
		if i == 0 {
			fmt.Printf("# %s: cold %.1f ms\n", path, ms(took))
			continue
		}
		lat = append(lat, took)
	}
	slices.Sort(lat)
	fmt.Printf("# %s: warm min %.1f ms, max %.1f ms over %d runs; %d bytes\n", path, ms(lat[0]), ms(lat[len(lat)-1]), len(lat), len(body))
	return ms(lat[len(lat)/2]), json.Unmarshal(body, &struct {
		Items any `json:"items"`
	}{out})
}

// errSlow is time's answer for a report slower than the timeout.
var errSlow = errors.New("no answer in time")

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (b *bench) get(path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", b.srv.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return body, nil
}

// serve starts the API on a loopback test server, signed in with an API
// token of the account's administrator.
func (b *bench) serve(ctx context.Context, w *world) error {
	hub := bus.NewHub(1000, 100)
	fl := floor.New(floor.FloorConfig{Journal: b.st, Clock: callfloor.SystemClock{}, Publish: hub.Publish, LoadConfig: floor.StoreConfig(b.st)})
	authSvc := auth.NewService(auth.Config{Store: b.st, Hasher: password.New(password.Fast), Clock: callfloor.SystemClock{}})
	actx := callfloor.NewContext(ctx, callfloor.Actor{AccountID: w.acc.ID, UserID: w.admin.ID, Role: callfloor.RoleAdmin})
	tok, _, err := authSvc.CreateAPIToken(actx, "bench-reports")
	if err != nil {
		return err
	}
	b.token = tok
	b.srv = httptest.NewServer(api.New(api.Config{Store: b.st, Auth: authSvc, Floor: fl, Hub: hub}))
	b.client = b.srv.Client()
	return nil
}

// catchUp times the rebuild of the catch-up account's projection from
// its journal of events events.
func (b *bench) catchUp(ctx context.Context, w *world, events, disposed int) error {
	p := history.New(b.st)
	start := time.Now()
	if err := p.Rebuild(ctx, w.acc.ID); err != nil {
		return err
	}
	took := time.Since(start)
	rows, err := countCategorised(ctx, b.st, w)
	if err != nil {
		return err
	}
	if rows != disposed {
		return fmt.Errorf("the rebuilt call history has %d rows with a disposition, want %d", rows, disposed)
	}
	fmt.Printf("# rebuilt the call history of %d days (%d events, %d calls with a disposition) in %s\n", b.catchupDays, events, rows,
		took.Round(time.Millisecond))
	fmt.Printf("rollup_catch_up_events_per_second: %.0f events/s\n", float64(events)/took.Seconds())
	return nil
}

// countCategorised counts the account's call history rows with a
// disposition, agent by agent, a page at a time.
func countCategorised(ctx context.Context, st *sqlstore.Store, w *world) (int, error) {
	n := 0
	for _, a := range w.agents {
		f := callfloor.CallFilter{ExtensionID: a.ext, Limit: 1000}
		for {
			page, err := st.ListCallRows(ctx, w.acc.ID, f)
			if err != nil {
				return 0, err
			}
			for _, r := range page {
				if r.Category != "" {
					n++
				}
			}
			if len(page) < f.Limit {
				break
			}
			last := page[len(page)-1]
			f.Before = &callfloor.CallCursor{Start: last.Start, CallID: last.CallID, ExtensionID: last.ExtensionID}
		}
	}
	return n, nil
}

// localMidnight is the start of the day days after t's in loc.
func localMidnight(t time.Time, loc *time.Location, days int) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+days, 0, 0, 0, 0, loc)
}
