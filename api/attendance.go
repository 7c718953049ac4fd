package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/attendance"
)

// dateLayout is the format of a local date in queries and reports.
const dateLayout = "2006-01-02"

// maxReportDays is the longest period one attendance report covers.
const maxReportDays = 92

// minYear and maxYear bound the dates a query may name: nothing happened
// before, and past the last a report's day boundaries would not fit in a
// timestamp (9999-12-31 ends in the year 10000).
const (
	minYear = 2000
	maxYear = 2999
)

// dateRangeParams are the query parameters of the attendance reports.
var dateRangeParams = []queryParam{
	{Name: "from", Format: "date", Description: "First day of the report, a date (YYYY-MM-DD) in the account's time zone; default: the to date."},
	{Name: "to", Format: "date", Description: "Last day of the report, included (YYYY-MM-DD, the account's time zone); default: today. At most 92 days after from."},
}

func (s *Server) getMyAttendance(_ http.ResponseWriter, r *http.Request) (*attendance.Report, error) {
	ext, err := s.myAgent(r.Context())
	if err != nil {
		return nil, err
	}
	return s.attendanceReport(r, ext)
}

func (s *Server) getAgentAttendance(_ http.ResponseWriter, r *http.Request) (*attendance.Report, error) {
	e, err := s.pathExtension(r)
	if err != nil {
		return nil, err
	}
	return s.attendanceReport(r, e.ID)
}

// attendanceReport folds the extension's journal over the local dates of
// the query's from and to.
func (s *Server) attendanceReport(r *http.Request, ext int64) (*attendance.Report, error) {
	ctx, a := r.Context(), actorOf(r)
	acc, err := s.store.FindAccountByID(ctx, a.AccountID)
	if err != nil {
		return nil, err
	}
	loc, now := acc.Location(), s.clock.Now()
	from, to, err := dateRange(r, now, loc)
	if err != nil {
		return nil, err
	}
	rep, err := foldAttendance(ctx, s.store, a.AccountID, ext, loc, from, to, now)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

// foldAttendance reads the extension's events from a day before from (to
// know its state at from) and folds them over [from, to).
func foldAttendance(ctx context.Context, j callfloor.Journal, accountID, ext int64, loc *time.Location, from, to, now time.Time) (attendance.Report, error) {
	evs, err := j.ReadExtensionEvents(ctx, accountID, ext, from.AddDate(0, 0, -1), to)
	if err != nil {
		return attendance.Report{}, err
	}
	return attendance.Fold(ext, evs, loc, from, to, now), nil
}

// dateRange returns the period of the query's from and to dates, both
// included: from the start of from to the start of the day after to, in
// loc.
func dateRange(r *http.Request, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	q := r.URL.Query()
	to, err := parseDate(q.Get("to"), "to", now.In(loc).Format(dateLayout))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	from, err := parseDate(q.Get("from"), "from", to.Format(dateLayout))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	switch days := int(to.Sub(from).Hours()/24) + 1; {
	case days < 1:
		return time.Time{}, time.Time{}, callfloor.FieldError(callfloor.ErrInvalidField, "to", "to must not be before from")
	case days > maxReportDays:
		return time.Time{}, time.Time{}, callfloor.FieldError(callfloor.ErrInvalidField, "to", "a report covers at most %d days", maxReportDays)
	}
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	end := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	return start, end, nil
}

// parseDate parses a YYYY-MM-DD date as a UTC midnight (a calendar date,
// not yet an instant); an empty value is def.
func parseDate(v, field, def string) (time.Time, error) {
	if v == "" {
		v = def
	}
	d, err := time.Parse(dateLayout, v)
	if err != nil {
		return time.Time{}, callfloor.FieldError(callfloor.ErrInvalidField, field, "%s must be a date as YYYY-MM-DD", field)
	}
	if d.Year() < minYear || d.Year() > maxYear {
		return time.Time{}, callfloor.FieldError(callfloor.ErrInvalidField, field, "%s must be a date from %d to %d", field, minYear, maxYear)
	}
	return d, nil
}

// localMidnight returns the start of the day days after t's day in loc.
func localMidnight(t time.Time, loc *time.Location, days int) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+days, 0, 0, 0, 0, loc)
}

// AgentAttendance is one agent's line of the team's time and attendance:
// their totals over the period, each day, and the login summary.
type AgentAttendance struct {
	ExtensionID int64            `json:"extension_id"`
	Number      string           `json:"number"`
	Name        string           `json:"name"`
	Total       attendance.Day   `json:"total"`
	Days        []attendance.Day `json:"days"`
	// FirstLogin and LastLogoff are the period's first login and last
	// logoff; Logoffs counts the logoffs by reason (agent, supervisor,
	// midnight).
	FirstLogin *time.Time                     `json:"first_login"`
	LastLogoff *time.Time                     `json:"last_logoff"`
	Logoffs    map[callfloor.LogoffReason]int `json:"logoffs"`
	// Pauses sums the pause time by reason; PauseDays by day and reason.
	Pauses    map[string]float64 `json:"pauses"`
	PauseDays []PauseDay         `json:"pause_days"`
}

// PauseDay is one agent's time in one pause reason on one local day (a
// pause counts on the day it began: a session ends at midnight).
type PauseDay struct {
	Date       string  `json:"date"`
	Reason     string  `json:"reason"`
	Productive bool    `json:"productive"`
	Seconds    float64 `json:"seconds"`
	Pauses     int     `json:"pauses"`
}

// teamAttendance is every agent's time and attendance over the query's
// dates, each folded from the journal like the agent's own. A single
// past day is kept once folded (see pastDay).
func (s *Server) teamAttendance(_ http.ResponseWriter, r *http.Request) (list[AgentAttendance], error) {
	ctx, a := r.Context(), actorOf(r)
	acc, err := s.store.FindAccountByID(ctx, a.AccountID)
	if err != nil {
		return list[AgentAttendance]{}, err
	}
	loc, now := acc.Location(), s.clock.Now()
	from, to, err := dateRange(r, now, loc)
	if err != nil {
		return list[AgentAttendance]{}, err
	}
	exts, err := s.store.ListExtensions(ctx)
	if err != nil {
		return list[AgentAttendance]{}, err
	}
	var agents []*callfloor.Extension
	for _, e := range exts {
		if e.Agent.Enabled {
			agents = append(agents, e)
		}
	}
	if to.Equal(localMidnight(from, loc, 1)) && !to.After(now) {
		return listOf(s.pastDay(ctx, a.AccountID, agents, loc, from, to, now))
	}
	var out []AgentAttendance
	for _, e := range agents {
		rep, err := foldAttendance(ctx, s.store, a.AccountID, e.ID, loc, from, to, now)
		if err != nil {
			return list[AgentAttendance]{}, err
		}
		out = append(out, summarise(e, rep, loc))
	}
	return listOf(out, nil)
}

// foldWorkers is how many agents' days pastDay folds at once (the SQLite
// store reads on 4 connections).
const foldWorkers = 4

// daySummary is an AgentAttendance without its agent: what is kept of a
// past day (callfloor.AttendanceDay).
type daySummary struct {
	Total      attendance.Day                 `json:"total"`
	Days       []attendance.Day               `json:"days"`
	FirstLogin *time.Time                     `json:"first_login"`
	LastLogoff *time.Time                     `json:"last_logoff"`
	Logoffs    map[callfloor.LogoffReason]int `json:"logoffs"`
	Pauses     map[string]float64             `json:"pauses"`
	PauseDays  []PauseDay                     `json:"pause_days"`
}

// pastDay is the team's time and attendance of the past day [from, to):
// each agent's summary as kept, or folded from the journal and then kept,
// once the history has folded an event of a later date (the day is over
// in the journal too, whatever the clocks) and no late event since (see
// callfloor.HistoryCursor).
func (s *Server) pastDay(ctx context.Context, account int64, agents []*callfloor.Extension, loc *time.Location,
	from, to, now time.Time) ([]AgentAttendance, error) {
	if err := s.history.CatchUp(ctx, account); err != nil {
		return nil, err
	}
	cur, err := s.store.CallHistoryCursor(ctx, account)
	if err != nil {
		return nil, err
	}
	date, zone := from.Format(dateLayout), loc.String()
	days, err := s.store.ListAttendanceDays(ctx, account, date, zone)
	if err != nil {
		return nil, err
	}
	kept := make(map[int64][]byte, len(days))
	for _, d := range days {
		kept[d.ExtensionID] = d.Summary
	}
	out := make([]AgentAttendance, len(agents))
	var missing []int
	for i, e := range agents {
		body, ok := kept[e.ID]
		if !ok {
			missing = append(missing, i)
			continue
		}
		var d daySummary
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, fmt.Errorf("api: kept attendance of %d on %s: %w", e.ID, date, err)
		}
		out[i] = AgentAttendance{ExtensionID: e.ID, Number: e.Number, Name: e.Name, Total: d.Total, Days: d.Days,
			FirstLogin: d.FirstLogin, LastLogoff: d.LastLogoff, Logoffs: d.Logoffs, Pauses: d.Pauses, PauseDays: d.PauseDays}
		if out[i].PauseDays == nil {
			out[i].PauseDays = []PauseDay{}
		}
	}
	// The others are folded from the journal, foldWorkers at a time.
	fresh := make([]callfloor.AttendanceDay, len(missing))
	errs := make([]error, len(missing))
	next := make(chan int, len(missing))
	for j := range missing {
		next <- j
	}
	close(next)
	var wg sync.WaitGroup
	for range min(foldWorkers, len(missing)) {
		wg.Go(func() {
			for j := range next {
				e := agents[missing[j]]
				rep, err := foldAttendance(ctx, s.store, account, e.ID, loc, from, to, now)
				if err != nil {
					errs[j] = err
					continue
				}
				v := summarise(e, rep, loc)
				out[missing[j]] = v
				body, err := json.Marshal(daySummary{Total: v.Total, Days: v.Days, FirstLogin: v.FirstLogin, LastLogoff: v.LastLogoff,
					Logoffs: v.Logoffs, Pauses: v.Pauses, PauseDays: v.PauseDays})
				fresh[j], errs[j] = callfloor.AttendanceDay{Date: date, ExtensionID: e.ID, TimeZone: zone, Summary: body}, err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(fresh) > 0 && cur.TimeZone == zone && !cur.LastAt.Before(to) {
		if err := s.store.SaveAttendanceDays(ctx, account, cur.Seq, fresh); err != nil && !errors.Is(err, callfloor.ErrHistoryMoved) {
			return nil, err
		}
	}
	return out, nil
}

// summarise totals an agent's report.
func summarise(e *callfloor.Extension, rep attendance.Report, loc *time.Location) AgentAttendance {
	v := AgentAttendance{ExtensionID: e.ID, Number: e.Number, Name: e.Name, Days: rep.Days,
		Logoffs: map[callfloor.LogoffReason]int{}, Pauses: map[string]float64{}}
	for _, d := range rep.Days {
		v.Total.Add(d)
	}
	for _, ss := range rep.Sessions {
		if v.FirstLogin == nil || ss.Start.Before(*v.FirstLogin) {
			t := ss.Start
			v.FirstLogin = &t
		}
		if ss.End != nil {
			if v.LastLogoff == nil || ss.End.After(*v.LastLogoff) {
				t := *ss.End
				v.LastLogoff = &t
			}
			v.Logoffs[ss.EndReason]++
		}
	}
	byDay := map[[2]string]int{} // index in PauseDays
	v.PauseDays = []PauseDay{}
	for _, p := range rep.Pauses {
		if p.QueueID != 0 {
			continue
		}
		v.Pauses[p.Reason] += p.Seconds
		k := [2]string{p.Start.In(loc).Format(dateLayout), p.Reason}
		i, ok := byDay[k]
		if !ok {
			i = len(v.PauseDays)
			byDay[k] = i
			v.PauseDays = append(v.PauseDays, PauseDay{Date: k[0], Reason: p.Reason, Productive: p.Productive})
		}
		v.PauseDays[i].Seconds += p.Seconds
		v.PauseDays[i].Pauses++
	}
	slices.SortFunc(v.PauseDays, func(a, b PauseDay) int { return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Reason, b.Reason)) })
	return v
}
