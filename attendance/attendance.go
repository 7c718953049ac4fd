// Package attendance computes time and attendance from the floor's events:
// login sessions, pauses with their reason and productive flag, wrap-up
// time, and per-day counters of the performance toolbar. It is a pure fold
// over the journal, so reports and the live floor can never disagree.
package attendance

import (
	"sort"
	"time"

	"github.com/callfloor/callfloor"
)

// Session is one login session.
type Session struct {
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end"` // nil while logged in
	// EndReason: agent, supervisor or midnight.
	EndReason callfloor.LogoffReason `json:"end_reason,omitempty"`
	Seconds   float64                `json:"seconds"`
}

// Pause is one pause; wrap-up appears as the system's productive pause.
type Pause struct {
	Start      time.Time  `json:"start"`
	End        *time.Time `json:"end"`
	Reason     string     `json:"reason"`
	Code       int        `json:"code"`
	Productive bool       `json:"productive"`
	System     bool       `json:"system"`
	Seconds    float64    `json:"seconds"`
	// QueueID is set for a participant's pause in one queue.
	QueueID int64 `json:"queue_id,omitempty"`
}

// Day is one agent's totals for one day in the account's time zone.
//
// The login time is split by state, and the parts add up to it:
// idle + ringing + talk + preview + wrap-up + productive and unproductive
// pauses = login.
type Day struct {
	Date                     string  `json:"date"` // YYYY-MM-DD
	LoginSeconds             float64 `json:"login_seconds"`
	IdleSeconds              float64 `json:"idle_seconds"`
	RingingSeconds           float64 `json:"ringing_seconds"`
	TalkSeconds              float64 `json:"talk_seconds"`
	PreviewSeconds           float64 `json:"preview_seconds"`
	ProductivePauseSeconds   float64 `json:"productive_pause_seconds"`
	UnproductivePauseSeconds float64 `json:"unproductive_pause_seconds"`
	WrapupSeconds            float64 `json:"wrapup_seconds"`
	Counters
}

// Add adds o's times and counts to d (totals over several days).
func (d *Day) Add(o Day) {
	d.LoginSeconds += o.LoginSeconds
	d.IdleSeconds += o.IdleSeconds
	d.RingingSeconds += o.RingingSeconds
	d.TalkSeconds += o.TalkSeconds
	d.PreviewSeconds += o.PreviewSeconds
	d.ProductivePauseSeconds += o.ProductivePauseSeconds
	d.UnproductivePauseSeconds += o.UnproductivePauseSeconds
	d.WrapupSeconds += o.WrapupSeconds
	d.Calls += o.Calls
	d.Successful += o.Successful
	d.Unsure += o.Unsure
	d.FailedNumbers += o.FailedNumbers
	d.FailedContacts += o.FailedContacts
}

// Parts is the sum of the day's state times, which equals LoginSeconds.
func (d Day) Parts() float64 {
	return d.IdleSeconds + d.RingingSeconds + d.TalkSeconds + d.PreviewSeconds + d.WrapupSeconds +
		d.ProductivePauseSeconds + d.UnproductivePauseSeconds
}

// Counters are the performance toolbar: calls made or taken, and
// dispositions by category.
type Counters struct {
	Calls          int `json:"calls"`
	Successful     int `json:"successful"`
	Unsure         int `json:"unsure"`
	FailedNumbers  int `json:"failed_numbers"`
	FailedContacts int `json:"failed_contacts"`
}

// Report is an agent's time and attendance over a period.
type Report struct {
	ExtensionID int64     `json:"extension_id"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Sessions    []Session `json:"sessions"`
	Pauses      []Pause   `json:"pauses"`
	Days        []Day     `json:"days"`
}

// Fold computes the report of one extension over [from, to) from its events
// in journal order. Events before from only set the state at from (the
// caller passes at least a day of them: sessions end at midnight). Intervals
// still open end at now, and everything is clipped to [from, to).
func Fold(ext int64, evs []callfloor.Event, loc *time.Location, from, to, now time.Time) Report {
	f := &folder{ext: ext, loc: loc, from: from, to: minTime(to, now), days: map[string]*Day{},
		dialled: map[string]bool{}, recorded: map[string]*callfloor.Disposition{}}
	for i := range evs {
		if evs[i].ExtensionID == ext {
			f.event(&evs[i])
		}
	}
	f.close(f.to)
	r := Report{ExtensionID: ext, From: from, To: to, Sessions: f.sessions, Pauses: f.pauses}
	for _, d := range f.days {
		r.Days = append(r.Days, *d)
	}
	sort.Slice(r.Days, func(i, j int) bool { return r.Days[i].Date < r.Days[j].Date })
	if r.Sessions == nil {
		r.Sessions = []Session{}
	}
	if r.Pauses == nil {
		r.Pauses = []Pause{}
	}
	if r.Days == nil {
		r.Days = []Day{}
	}
	return r
}

type folder struct {
	ext      int64
	loc      *time.Location
	from, to time.Time

	state    callfloor.AgentState
	since    time.Time
	pause    *callfloor.PauseRef
	session  *Session
	open     *Pause // the agent's current pause or wrap-up
	queues   map[int64]*Pause
	sessions []Session
	pauses   []Pause
	days     map[string]*Day
	dialled  map[string]bool
	recorded map[string]*callfloor.Disposition // system dispositions that may be completed later
}

var wrapupRef = &callfloor.PauseRef{Name: callfloor.WrapupReasonName, Productive: true, System: true}

func (f *folder) event(e *callfloor.Event) {
	switch e.Type {
	case callfloor.EventParticipantPaused:
		f.participantPause(e)
		return
	case callfloor.EventParticipantResume:
		f.participantResume(e)
		return
	}
	f.count(e)
	// State timeline: time in each state goes to the day it falls in.
	if e.State != "" {
		f.accrue(f.since, e.At)
		if e.Type == callfloor.EventPaused {
			f.pause = e.Pause
		}
		f.transition(e)
		f.state, f.since = e.State, e.At
	}
}

// transition opens and closes sessions and pauses.
func (f *folder) transition(e *callfloor.Event) {
	was, now := f.state, e.State
	pauseChanged := e.Type == callfloor.EventPaused && was == callfloor.StatePaused
	if f.open != nil && (now != was || pauseChanged) {
		f.endPause(e.At)
	}
	if f.session != nil && now == callfloor.StateLoggedOff {
		end := e.At
		f.session.End, f.session.EndReason = &end, e.LogoffReason
		f.addSession(*f.session)
		f.session = nil
	}
	if f.session == nil && now != callfloor.StateLoggedOff {
		f.session = &Session{Start: e.At}
	}
	if f.open == nil {
		switch now {
		case callfloor.StatePaused:
			f.open = pauseFrom(f.pause, e.At)
		case callfloor.StateWrapup:
			f.open = pauseFrom(wrapupRef, e.At)
		}
	}
}

func pauseFrom(p *callfloor.PauseRef, at time.Time) *Pause {
	if p == nil {
		p = &callfloor.PauseRef{}
	}
	return &Pause{Start: at, Reason: p.Name, Code: p.Code, Productive: p.Productive, System: p.System}
}

func (f *folder) endPause(at time.Time) {
	end := at
	f.open.End = &end
	if p, ok := f.clipPause(*f.open); ok {
		f.pauses = append(f.pauses, p)
	}
	f.open = nil
}

// close ends what is still open at the end of the period, without
// marking it ended.
func (f *folder) close(at time.Time) {
	f.accrue(f.since, at)
	if f.session != nil {
		f.addSession(*f.session)
	}
	if f.open != nil {
		if p, ok := f.clipPause(*f.open); ok {
			f.pauses = append(f.pauses, p)
		}
	}
	for _, p := range f.queues {
		if c, ok := f.clipPause(*p); ok {
			f.pauses = append(f.pauses, c)
		}
	}
	sort.SliceStable(f.pauses, func(i, j int) bool { return f.pauses[i].Start.Before(f.pauses[j].Start) })
}

// addSession keeps a session that overlaps the period, with its seconds
// inside it.
func (f *folder) addSession(s Session) {
	end := f.to
	if s.End != nil && s.End.Before(end) {
		end = *s.End
	}
	if !s.Start.Before(f.to) || !end.After(f.from) {
		return
	}
	s.Seconds = overlap(s.Start, end, f.from, f.to)
	f.sessions = append(f.sessions, s)
}

func (f *folder) clipPause(p Pause) (Pause, bool) {
	end := f.to
	if p.End != nil && p.End.Before(end) {
		end = *p.End
	}
	p.Seconds = overlap(p.Start, end, f.from, f.to)
	inRange := p.Start.Before(f.to) && end.After(f.from) || (p.Start.Equal(end) && !p.Start.Before(f.from) && p.Start.Before(f.to))
	return p, inRange
}

// accrue adds the time in the current state between a and b to the days.
func (f *folder) accrue(a, b time.Time) {
	if f.state == "" || f.state == callfloor.StateLoggedOff {
		return
	}
	if a.Before(f.from) {
		a = f.from
	}
	if b.After(f.to) {
		b = f.to
	}
	for a.Before(b) {
		l := a.In(f.loc)
		next := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, f.loc)
		end := minTime(next, b)
		d := f.day(a)
		secs := end.Sub(a).Seconds()
		d.LoginSeconds += secs
		switch {
		case f.state == callfloor.StateWrapup:
			d.WrapupSeconds += secs
		case f.state == callfloor.StatePaused && f.pause != nil && f.pause.Productive:
			d.ProductivePauseSeconds += secs
		case f.state == callfloor.StatePaused:
			d.UnproductivePauseSeconds += secs
		case f.state == callfloor.StateRinging:
			d.RingingSeconds += secs
		case f.state == callfloor.StateOnCall:
			d.TalkSeconds += secs
		case f.state == callfloor.StatePreview:
			d.PreviewSeconds += secs
		default:
			d.IdleSeconds += secs
		}
		a = end
	}
}

func (f *folder) day(t time.Time) *Day {
	key := t.In(f.loc).Format("2006-01-02")
	d := f.days[key]
	if d == nil {
		d = &Day{Date: key}
		f.days[key] = d
	}
	return d
}

// count updates the performance counters of the event's day.
func (f *folder) count(e *callfloor.Event) {
	if e.At.Before(f.from) || !e.At.Before(f.to) {
		if e.Type == callfloor.EventDialRequested {
			f.dialled[e.Call.ID] = true
		}
		if e.Type == callfloor.EventDisposition && e.Disposition.Incomplete {
			f.recorded[e.Disposition.CallID] = e.Disposition
		}
		return
	}
	switch e.Type {
	case callfloor.EventDialRequested:
		f.dialled[e.Call.ID] = true
		f.day(e.At).Calls++
	case callfloor.EventCallAnswered:
		if !f.dialled[e.Call.ID] {
			f.day(e.At).Calls++
		}
	case callfloor.EventDisposition:
		if e.Disposition.Incomplete {
			f.recorded[e.Disposition.CallID] = e.Disposition
		}
		f.tally(e.At, e.Disposition, e.Call, 1)
	case callfloor.EventDispositionLater:
		if old := f.recorded[e.Disposition.CallID]; old != nil {
			f.tally(e.At, old, e.Call, -1)
			delete(f.recorded, e.Disposition.CallID)
		}
		f.tally(e.At, e.Disposition, e.Call, 1)
	}
}

func (f *folder) tally(at time.Time, d *callfloor.Disposition, call *callfloor.CallRef, n int) {
	c := &f.day(at).Counters
	switch d.Category {
	case callfloor.CategorySuccess:
		c.Successful += n
	case callfloor.CategoryUnsure:
		c.Unsure += n
	case callfloor.CategoryFail:
		if d.FailScope == callfloor.FailContact {
			c.FailedContacts += n
		} else if call != nil && call.CampaignID != 0 {
			c.FailedNumbers += n
		}
	}
}

func (f *folder) participantPause(e *callfloor.Event) {
	if f.queues == nil {
		f.queues = map[int64]*Pause{}
	}
	f.queues[e.QueueID] = &Pause{Start: e.At, QueueID: e.QueueID, Reason: "Paused in queue"}
}

func (f *folder) participantResume(e *callfloor.Event) {
	p := f.queues[e.QueueID]
	if p == nil {
		return
	}
	end := e.At
	p.End = &end
	if c, ok := f.clipPause(*p); ok {
		f.pauses = append(f.pauses, c)
	}
	delete(f.queues, e.QueueID)
}

func overlap(a, b, from, to time.Time) float64 {
	if a.Before(from) {
		a = from
	}
	if b.After(to) {
		b = to
	}
	if !b.After(a) {
		return 0
	}
	return b.Sub(a).Seconds()
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
