package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/callfloor/callfloor"
)

// The managers' reports besides time and attendance: dispositions and
// outcomes, from the call history's daily rollups, and the queues hour by
// hour, from the ACD's call records in the journal. Both cover the
// query's local dates (dateRangeParams) in the account's time zone.

func reportRoutes() []route {
	const ok = http.StatusOK
	return []route{
		{"GET", "/api/v1/reports/dispositions", sup, ok, "dispositionReport", "reports",
			"The dispositions and outcomes between two local dates, counted by day, agent, queue or campaign, category and outcome",
			read((*Server).dispositionReport).withQuery(dateRangeParams...)},
		{"GET", "/api/v1/reports/queues", sup, ok, "queueReport", "reports",
			"Each queue hour by hour between two local dates: callers offered, answered (and within the service level), abandoned and overflowed, the average speed of answer and the average wait of those who abandoned",
			read((*Server).queueReport).withQuery(dateRangeParams...)},
	}
}

// DispositionCount is how many calls got one outcome on one day from one
// agent, for one queue or campaign.
type DispositionCount struct {
	Date        string             `json:"date"`
	ExtensionID int64              `json:"extension_id"`
	QueueID     int64              `json:"queue_id,omitempty"`
	CampaignID  int64              `json:"campaign_id,omitempty"`
	Category    callfloor.Category `json:"category"`
	Outcome     string             `json:"outcome"`
	Calls       int                `json:"calls"`
}

// reportPage is how many call history rows one read takes.
const reportPage = 1000

// eachCallRow gives fn every call history row f selects, read a page at
// a time (f's Limit and Before are set here).
func (s *Server) eachCallRow(ctx context.Context, account int64, f callfloor.CallFilter, fn func(*callfloor.CallRow)) error {
	f.Limit, f.Before = reportPage, nil
	for {
		page, err := s.store.ListCallRows(ctx, account, f)
		if err != nil {
			return err
		}
		for _, row := range page {
			fn(row)
		}
		if len(page) < f.Limit {
			return nil
		}
		last := page[len(page)-1]
		f.Before = &callfloor.CallCursor{Start: last.Start, CallID: last.CallID, ExtensionID: last.ExtensionID}
	}
}

// dispositionReport reads the daily rollups of the call history, which
// count its rows with a disposition by local date, agent, queue or
// campaign, category and outcome, once the history has caught up with
// the journal (in the account's time zone: see history).
func (s *Server) dispositionReport(_ http.ResponseWriter, r *http.Request) (list[DispositionCount], error) {
	ctx, account := r.Context(), actorOf(r).AccountID
	acc, err := s.store.FindAccountByID(ctx, account)
	if err != nil {
		return list[DispositionCount]{}, err
	}
	loc := acc.Location()
	from, to, err := dateRange(r, s.clock.Now(), loc)
	if err != nil {
		return list[DispositionCount]{}, err
	}
	if err := s.history.CatchUp(ctx, account); err != nil {
		return list[DispositionCount]{}, err
	}
	days, err := s.store.ListDayCounts(ctx, account, from.Format(dateLayout), localMidnight(to, loc, -1).Format(dateLayout))
	if err != nil {
		return list[DispositionCount]{}, err
	}
	out := make([]DispositionCount, 0, len(days))
	for _, d := range days {
		out = append(out, DispositionCount{Date: d.Date, ExtensionID: d.ExtensionID, QueueID: d.QueueID, CampaignID: d.CampaignID,
			Category: d.Category, Outcome: d.Outcome, Calls: d.Calls})
	}
	// The store's order is this one but for how the database collates
	// text: sorted again only if it differs.
	byKey := func(a, b DispositionCount) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ExtensionID, b.ExtensionID), cmp.Compare(a.QueueID, b.QueueID),
			cmp.Compare(a.CampaignID, b.CampaignID), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Outcome, b.Outcome))
	}
	if !slices.IsSortedFunc(out, byKey) {
		slices.SortFunc(out, byKey)
	}
	return listOf(out, nil)
}

// QueueHour is one queue's callers in one hour (Hour is its local
// start). Offered counts the callers who came into the queue (an
// overflow's arrivals too); the others count how they left it.
type QueueHour struct {
	QueueID      int64     `json:"queue_id"`
	Hour         time.Time `json:"hour"`
	Offered      int       `json:"offered"`
	Answered     int       `json:"answered"`
	AnsweredInSL int       `json:"answered_in_sl"`
	Abandoned    int       `json:"abandoned"`
	Overflowed   int       `json:"overflowed"`
	// ServiceLevel is AnsweredInSL over the callers answered or abandoned,
	// in percent (100 when there were none), as the live figures count it.
	ServiceLevel float64 `json:"service_level"`
	// ASASeconds is the mean wait of the callers answered;
	// AbandonWaitSeconds that of those who abandoned.
	ASASeconds         float64 `json:"asa_seconds"`
	AbandonWaitSeconds float64 `json:"abandon_wait_seconds"`
	answerWait         float64
	abandonWait        float64
}

func (s *Server) queueReport(_ http.ResponseWriter, r *http.Request) (list[QueueHour], error) {
	ctx, account := r.Context(), actorOf(r).AccountID
	acc, err := s.store.FindAccountByID(ctx, account)
	if err != nil {
		return list[QueueHour]{}, err
	}
	loc := acc.Location()
	from, to, err := dateRange(r, s.clock.Now(), loc)
	if err != nil {
		return list[QueueHour]{}, err
	}
	queues, err := s.store.ListQueues(ctx)
	if err != nil {
		return list[QueueHour]{}, err
	}
	sl := map[int64]time.Duration{}
	for _, q := range queues {
		sl[q.ID] = time.Duration(q.ServiceLevelSeconds) * time.Second
	}
	evs, err := s.store.ReadExtensionEvents(ctx, account, 0, from, to)
	if err != nil {
		return list[QueueHour]{}, err
	}
	type key struct {
		queue int64
		hour  time.Time
	}
	hours := map[key]*QueueHour{}
	for _, ev := range evs {
		rec := ev.Record
		if ev.Type != callfloor.EventCallRecord || rec == nil || rec.QueueID == 0 {
			continue
		}
		l := ev.At.In(loc)
		k := key{rec.QueueID, time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc)}
		h := hours[k]
		if h == nil {
			h = &QueueHour{QueueID: k.queue, Hour: k.hour}
			hours[k] = h
		}
		wait := time.Duration(rec.WaitMillis) * time.Millisecond
		switch rec.Step {
		case "queued":
			h.Offered++
		case "queue_answered":
			h.Answered++
			h.answerWait += wait.Seconds()
			if wait <= sl[rec.QueueID] {
				h.AnsweredInSL++
			}
		case "abandoned":
			h.Abandoned++
			h.abandonWait += wait.Seconds()
		case "overflowed":
			h.Overflowed++
		}
	}
	out := make([]QueueHour, 0, len(hours))
	for _, h := range hours {
		h.ServiceLevel = 100
		if n := h.Answered + h.Abandoned; n > 0 {
			h.ServiceLevel = 100 * float64(h.AnsweredInSL) / float64(n)
		}
		if h.Answered > 0 {
			h.ASASeconds = h.answerWait / float64(h.Answered)
		}
		if h.Abandoned > 0 {
			h.AbandonWaitSeconds = h.abandonWait / float64(h.Abandoned)
		}
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b QueueHour) int { return cmp.Or(cmp.Compare(a.QueueID, b.QueueID), a.Hour.Compare(b.Hour)) })
	return listOf(out, nil)
}
