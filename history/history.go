// Package history projects the floor's journal into the call history:
// one row per call and agent (start, answer, end, direction, number,
// queue, disposition, notes and tags, incomplete), the read model of the
// workspace's Most Recent Activity and of the supervisors' call list;
// and into the daily rollups that count those rows with a disposition
// by local date, agent, queue or campaign, category and outcome, which
// the disposition report reads.
//
// The journal stays the truth: rows are folded from its events by Fold,
// a pure function, and stored with the journal sequence they reached
// (the cursor), in the same transaction as the rollups' change (Apply),
// so that rows and rollups never disagree. A Projector catches an
// account up before its rows are read, so a page that reloads after an
// event finds that event in the history; Rebuild starts an account over
// from its first event, and so does a catch-up that finds the rollups
// dated in another time zone than the account's.
package history

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

// Rows are call history rows by key, as Fold changes them.
type Rows map[callfloor.CallKey]*callfloor.CallRow

// Key is the row an event changes, and whether it changes one.
func Key(ev *callfloor.Event) (callfloor.CallKey, bool) {
	switch ev.Type {
	case callfloor.EventCallOffered, callfloor.EventDialRequested, callfloor.EventCallAnswered, callfloor.EventCallEnded,
		callfloor.EventCallNotes, callfloor.EventDisposition, callfloor.EventDispositionLater:
	default:
		return callfloor.CallKey{}, false
	}
	id := ""
	switch {
	case ev.Call != nil:
		id = ev.Call.ID
	case ev.Disposition != nil:
		id = ev.Disposition.CallID
	}
	if id == "" || ev.ExtensionID == 0 {
		return callfloor.CallKey{}, false
	}
	return callfloor.CallKey{ExtensionID: ev.ExtensionID, CallID: id}, true
}

// Fold applies one journal event to rows and returns the key of the row
// it changed, if any.
func Fold(rows Rows, ev *callfloor.Event) (callfloor.CallKey, bool) {
	k, ok := Key(ev)
	if !ok {
		return k, false
	}
	r := rows[k]
	if r == nil {
		r = &callfloor.CallRow{AccountID: ev.AccountID, ExtensionID: k.ExtensionID, CallID: k.CallID, Start: ev.At, Tags: []string{}}
		if ev.Call != nil {
			describe(r, ev.Call, ev.Type == callfloor.EventDialRequested)
		}
		rows[k] = r
	}
	r.Seq = ev.Seq
	switch ev.Type {
	case callfloor.EventCallOffered, callfloor.EventDialRequested:
		r.Start = ev.At
		describe(r, ev.Call, ev.Type == callfloor.EventDialRequested)
	case callfloor.EventCallAnswered:
		if r.AnsweredAt == nil {
			t := ev.At
			r.AnsweredAt = &t
		}
	case callfloor.EventCallEnded:
		t := ev.At
		r.EndedAt, r.EndReason = &t, ev.EndReason
	case callfloor.EventCallNotes:
		if ev.Notes != nil {
			r.Notes, r.Tags = ev.Notes.Notes, nonNil(ev.Notes.Tags)
		}
	case callfloor.EventDisposition, callfloor.EventDispositionLater:
		if d := ev.Disposition; d != nil {
			if d.Category != "" {
				r.Category, r.Outcome = d.Category, d.Outcome
			}
			if d.Notes != "" || d.Tags != nil {
				r.Notes, r.Tags = d.Notes, nonNil(d.Tags)
			}
			r.Incomplete = ev.Type == callfloor.EventDisposition && d.Incomplete
		}
	}
	return k, true
}

// Apply folds evs into rows, which hold the stored rows the events
// change (none for a call not seen yet), and returns what to save: the
// rows changed, and the change to the daily rollups, dated in loc, in
// key order.
func Apply(rows Rows, evs []callfloor.Event, loc *time.Location) ([]*callfloor.CallRow, []callfloor.DayCount) {
	was := make(map[callfloor.CallKey]callfloor.DayCount, len(rows))
	for k, r := range rows {
		if d, ok := DayOf(r, loc); ok {
			was[k] = d
		}
	}
	changed := map[callfloor.CallKey]bool{}
	for i := range evs {
		if k, ok := Fold(rows, &evs[i]); ok {
			changed[k] = true
		}
	}
	out := make([]*callfloor.CallRow, 0, len(changed))
	delta := map[callfloor.DayCount]int{}
	for k := range changed {
		r := rows[k]
		out = append(out, r)
		if d, ok := was[k]; ok {
			delta[d]--
		}
		if d, ok := DayOf(r, loc); ok {
			delta[d]++
		}
	}
	days := make([]callfloor.DayCount, 0, len(delta))
	for d, n := range delta {
		if n != 0 {
			d.Calls = n
			days = append(days, d)
		}
	}
	slices.SortFunc(days, func(a, b callfloor.DayCount) int {
		return cmp.Or(strings.Compare(a.Date, b.Date), cmp.Compare(a.ExtensionID, b.ExtensionID), cmp.Compare(a.QueueID, b.QueueID),
			cmp.Compare(a.CampaignID, b.CampaignID), cmp.Compare(a.Category, b.Category), strings.Compare(a.Outcome, b.Outcome))
	})
	return out, days
}

// DayOf is the rollup line a row counts in (Calls 0), dated in loc; a
// row without a disposition counts in none.
func DayOf(r *callfloor.CallRow, loc *time.Location) (callfloor.DayCount, bool) {
	if r.Category == "" {
		return callfloor.DayCount{}, false
	}
	return callfloor.DayCount{Date: r.Start.In(loc).Format(time.DateOnly), ExtensionID: r.ExtensionID, QueueID: r.QueueID,
		CampaignID: r.CampaignID, Category: r.Category, Outcome: r.Outcome}, true
}

// describe sets what the call reference says: direction, the other
// party's number as the agent sees it, the queue or campaign.
func describe(r *callfloor.CallRow, c *callfloor.CallRef, outbound bool) {
	r.Direction, r.QueueID, r.CampaignID = c.Direction, c.QueueID, c.CampaignID
	r.Number = c.From
	if outbound || c.Direction == callfloor.DirInternalOut || c.Direction == callfloor.DirExternalOut {
		r.Number = c.To
	}
	if r.Number == "" {
		r.Number = c.From + c.To
	}
}

func nonNil(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return slices.Clone(tags)
}
