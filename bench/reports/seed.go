package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/history"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/sqlstore"
)

// world is one account's setup: its agents (extension and user), queues
// with their outcomes, campaigns with theirs, and pause reasons.
type world struct {
	acc       *callfloor.Account
	loc       *time.Location
	agents    []agentOf
	queues    []*callfloor.Queue
	campaigns []*callfloor.Campaign
	lunch     *callfloor.PauseRef
	brk       *callfloor.PauseRef
	training  *callfloor.PauseRef
	admin     *callfloor.User
}

type agentOf struct {
	ext, user int64
	queue     *callfloor.Queue
	campaign  *callfloor.Campaign
}

// Outcomes and how often agents choose them (out of 100).
var (
	queueOutcomes = []weighted{
		{callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Sale"}, 30},
		{callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Resolved"}, 25},
		{callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Call back"}, 15},
		{callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Not interested", FailScope: callfloor.FailContact}, 20},
		{callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number", FailScope: callfloor.FailNumber}, 10},
	}
	campaignOutcomes = []weighted{
		{callfloor.Outcome{Category: callfloor.CategorySuccess, Name: "Renewed"}, 25},
		{callfloor.Outcome{Category: callfloor.CategoryUnsure, Name: "Thinking it over"}, 25},
		{callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Not interested", FailScope: callfloor.FailContact}, 35},
		{callfloor.Outcome{Category: callfloor.CategoryFail, Name: "Wrong number", FailScope: callfloor.FailNumber}, 15},
	}
)

type weighted struct {
	o callfloor.Outcome
	n int
}

func pick(rng *rand.Rand, ws []weighted) callfloor.Outcome {
	n := rng.IntN(100)
	for _, w := range ws {
		if n < w.n {
			return w.o
		}
		n -= w.n
	}
	return ws[len(ws)-1].o
}

// setup makes an account of n agents in 10 queues and 5 preview
// campaigns, through the store as the administrators' pages would.
func setup(ctx context.Context, st *sqlstore.Store, name string, n int) (*world, error) {
	acc := &callfloor.Account{Name: name, TimeZone: "Europe/London", LicenceKind: callfloor.LicenceAgentExtensions, AgentLicences: n}
	if err := st.CreateAccount(ctx, acc); err != nil {
		return nil, err
	}
	ctx = callfloor.SystemContext(ctx, acc.ID)
	w := &world{acc: acc, loc: acc.Location()}
	hash, err := password.New(password.Fast).Hash("bench-reports-password")
	if err != nil {
		return nil, err
	}
	w.admin = &callfloor.User{Username: "admin", Role: callfloor.RoleAdmin, PasswordHash: hash}
	if err := st.CreateUser(ctx, w.admin); err != nil {
		return nil, err
	}
	for i := range n {
		e := &callfloor.Extension{Number: fmt.Sprint(2000 + i), Name: fmt.Sprint("Agent ", i), SIPUsername: callfloor.NewSIPUsername(fmt.Sprint(2000 + i)),
			QueuesFeature: true, Agent: callfloor.DefaultAgentSettings()}
		e.Agent.Enabled = true
		e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
		if err := st.CreateExtension(ctx, e); err != nil {
			return nil, err
		}
		u := &callfloor.User{Username: fmt.Sprint("agent", i), Role: callfloor.RoleAgent, ExtensionID: &e.ID, PasswordHash: hash}
		if err := st.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		w.agents = append(w.agents, agentOf{ext: e.ID, user: u.ID})
	}
	for i := range 10 {
		q := callfloor.NewQueue(fmt.Sprint(600+i), fmt.Sprint("Queue ", i))
		q.DispositionsEnabled = true
		for _, o := range queueOutcomes {
			q.Outcomes = append(q.Outcomes, o.o)
		}
		for j := i; j < n; j += 10 {
			q.Members = append(q.Members, callfloor.QueueMember{ExtensionID: w.agents[j].ext})
		}
		if err := st.CreateQueue(ctx, q); err != nil {
			return nil, err
		}
		w.queues = append(w.queues, q)
	}
	for i := range 5 {
		c := callfloor.NewCampaign(fmt.Sprint("Campaign ", i), callfloor.CampaignPreview)
		for _, o := range campaignOutcomes {
			next := callfloor.NextDone
			switch o.o.FailScope {
			case callfloor.FailContact:
				next = callfloor.NextFailContact
			case callfloor.FailNumber:
				next = callfloor.NextFailNumber
			}
			c.Outcomes = append(c.Outcomes, callfloor.CampaignOutcome{Outcome: o.o, Next: next})
		}
		for j := i; j < n; j += 5 {
			c.Members = append(c.Members, callfloor.CampaignMember{ExtensionID: w.agents[j].ext})
		}
		if err := st.CreateCampaign(ctx, c); err != nil {
			return nil, err
		}
		w.campaigns = append(w.campaigns, c)
	}
	for i := range w.agents {
		w.agents[i].queue, w.agents[i].campaign = w.queues[i%10], w.campaigns[i%5]
	}
	reasons := map[string]**callfloor.PauseRef{"Lunch": &w.lunch, "Break": &w.brk, "Training": &w.training}
	for i, name := range []string{"Lunch", "Break", "Training"} {
		p := &callfloor.PauseReason{Name: name, Code: i + 1, ThresholdSeconds: 3600, Productive: name == "Training"}
		if err := st.CreatePauseReason(ctx, p); err != nil {
			return nil, err
		}
		*reasons[name] = &callfloor.PauseRef{ReasonID: p.ID, Code: p.Code, Name: p.Name, Productive: p.Productive, ThresholdSeconds: p.ThresholdSeconds}
	}
	return w, nil
}

// dayOf is one local day of the account's journal, in order, with what
// the reports must find in it.
type dayOf struct {
	date   string
	events []callfloor.Event
	// answered counts the calls the agents took (the toolbar's calls);
	// disposed the calls with a disposition (the disposition report's).
	answered, disposed int
	// from and to are the seqs before the day's first event and of its
	// last; bodies the events encoded. rows and counts are the call
	// history's rows and rollups of the day as history.Apply makes them
	// of its events (when asked for), and cursor the history's cursor
	// after them.
	from, to int64
	bodies   []string
	rows     []*callfloor.CallRow
	counts   []callfloor.DayCount
	cursor   callfloor.HistoryCursor
	err      error
}

// day makes the journal of the local date start (a midnight in w.loc):
// every agent's shift with perDay calls, as the floor engine journals it
// (see floor: call.offered, call.answered, call.ended, wrapup.started,
// disposition.submitted; pauses; the midnight logoff), and the ACD's
// call records of the queue calls (queued, queue_answered). Seq is not
// set. The same day index gives the same day.
func (w *world) day(idx int, start time.Time, perDay int) *dayOf {
	end := time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, w.loc)
	d := &dayOf{date: start.Format("2006-01-02")}
	evs := make([]callfloor.Event, 0, len(w.agents)*(7*perDay+16))
	var stayed []int64
	for i := range w.agents {
		rng := rand.New(rand.NewPCG(uint64(idx), uint64(i)))
		var stay bool
		evs, stay = w.shift(rng, d, evs, &w.agents[i], i, start, perDay)
		if stay {
			stayed = append(stayed, w.agents[i].ext)
		}
	}
	// The floor's midnight: those still logged in are logged off, then
	// the day is marked.
	slices.Sort(stayed)
	for _, ext := range stayed {
		evs = append(evs, callfloor.Event{Type: callfloor.EventLoggedOff, ExtensionID: ext, At: end, State: callfloor.StateLoggedOff,
			LogoffReason: callfloor.LogoffMidnight})
	}
	next := time.Date(end.Year(), end.Month(), end.Day()+1, 0, 0, 0, 0, w.loc)
	evs = append(evs, callfloor.Event{Type: callfloor.EventMidnight, At: end, DueAt: &next})
	// In time order, the agents' events interleaved; those at one time in
	// the order made.
	order := make([]int32, len(evs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Or(evs[a].At.Compare(evs[b].At), cmp.Compare(a, b)) })
	d.events = make([]callfloor.Event, len(evs))
	for i, j := range order {
		d.events[i] = evs[j]
		d.events[i].AccountID = w.acc.ID
	}
	return d
}

// shift appends one agent's day: a login between 07:00 and 10:00, calls
// (a queue's, one in seven a campaign's) with their wrap-ups, two
// breaks, lunch and on some days training, and a logoff some 8 hours
// later; one agent in 20 stays logged in until the midnight logoff.
func (w *world) shift(rng *rand.Rand, d *dayOf, evs []callfloor.Event, a *agentOf, i int, day time.Time, calls int) ([]callfloor.Event, bool) {
	sec := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Second }
	at := day.Add(7*time.Hour + time.Duration(i%12)*15*time.Minute + sec(0, 300))
	add := func(e callfloor.Event) {
		e.ExtensionID = a.ext
		evs = append(evs, e)
	}
	add(callfloor.Event{Type: callfloor.EventLoggedIn, At: at, UserID: a.user, State: callfloor.StateIdle})
	type pause struct {
		at  time.Time
		ref *callfloor.PauseRef
		len time.Duration
	}
	pauses := []pause{{at.Add(2 * time.Hour), w.brk, sec(600, 900)}, {at.Add(4 * time.Hour), w.lunch, sec(1800, 2700)},
		{at.Add(6 * time.Hour), w.brk, sec(600, 900)}}
	if rng.IntN(5) == 0 {
		pauses = append([]pause{{at.Add(time.Hour), w.training, sec(1500, 2100)}}, pauses...)
	}
	// The time a call takes, on average, so the calls fill the shift.
	budget := max(30, int((8*time.Hour-90*time.Minute)/time.Second)/max(calls, 1))
	const wrapupTimeout = time.Duration(callfloor.DefaultWrapupTimeout) * time.Second
	var incomplete []*callfloor.CallRef // wrap-ups that timed out, to complete later
	for n := range calls {
		for len(pauses) > 0 && !at.Before(pauses[0].at) {
			p := pauses[0]
			pauses = pauses[1:]
			add(callfloor.Event{Type: callfloor.EventPaused, At: at, UserID: a.user, State: callfloor.StatePaused, Pause: p.ref})
			at = at.Add(p.len)
			add(callfloor.Event{Type: callfloor.EventUnpaused, At: at, UserID: a.user, State: callfloor.StateIdle, Pause: p.ref})
		}
		at = at.Add(sec(2, budget/4))
		ref := &callfloor.CallRef{ID: callID(rng)}
		number := fmt.Sprintf("+44%d", 1632960000+rng.IntN(1_000_000))
		outcomes := queueOutcomes
		if n%7 == 3 {
			ref.Direction, ref.CampaignID, ref.To = callfloor.DirCampaign, a.campaign.ID, number
			outcomes = campaignOutcomes
		} else {
			ref.Direction, ref.QueueID, ref.From, ref.To = callfloor.DirQueueIn, a.queue.ID, number, a.queue.Number
		}
		queued := at.Add(-sec(1, 40))
		if ref.QueueID != 0 {
			evs = append(evs, callfloor.Event{Type: callfloor.EventCallRecord, At: queued,
				Record: &callfloor.CallRecord{CallID: ref.ID, Step: "queued", QueueID: ref.QueueID}})
		}
		add(callfloor.Event{Type: callfloor.EventCallOffered, At: at, State: callfloor.StateRinging, Call: ref})
		if rng.IntN(20) == 0 { // rang out: no answer, no wrap-up
			at = at.Add(sec(15, 20))
			add(callfloor.Event{Type: callfloor.EventCallEnded, At: at, State: callfloor.StateIdle, Call: ref, EndReason: "no_answer"})
			continue
		}
		at = at.Add(sec(1, 8))
		d.answered++
		add(callfloor.Event{Type: callfloor.EventCallAnswered, At: at, State: callfloor.StateOnCall, Call: ref})
		if ref.QueueID != 0 {
			evs = append(evs, callfloor.Event{Type: callfloor.EventCallRecord, At: at,
				Record: &callfloor.CallRecord{CallID: ref.ID, Step: "queue_answered", QueueID: ref.QueueID, WaitMillis: at.Sub(queued).Milliseconds()}})
		}
		talk := sec(budget*3/10, budget*6/10)
		var notes *callfloor.CallNotes
		if rng.IntN(10) == 0 {
			notes = &callfloor.CallNotes{Notes: "asked about the renewal date", Tags: []string{"renewal"}}
			add(callfloor.Event{Type: callfloor.EventCallNotes, At: at.Add(talk / 2), Call: ref, Notes: notes})
		}
		at = at.Add(talk)
		reason := "caller hung up"
		if rng.IntN(3) == 0 {
			reason = "agent"
		}
		add(callfloor.Event{Type: callfloor.EventCallEnded, At: at, State: callfloor.StateIdle, Call: ref, EndReason: reason})
		due := at.Add(wrapupTimeout)
		add(callfloor.Event{Type: callfloor.EventWrapupStarted, At: at, State: callfloor.StateWrapup, Call: ref, DueAt: &due, Notes: notes})
		d.disposed++
		if rng.IntN(50) == 0 { // the wrap-up timed out
			at = due
			disp := &callfloor.Disposition{CallID: ref.ID, Category: callfloor.CategoryUnsure, Outcome: callfloor.NoAgentSubmission, Incomplete: true}
			if notes != nil {
				disp.Notes, disp.Tags = notes.Notes, notes.Tags
			}
			add(callfloor.Event{Type: callfloor.EventDisposition, At: at, State: callfloor.StateIdle, Call: ref, Disposition: disp})
			incomplete = append(incomplete, ref)
			continue
		}
		at = at.Add(sec(3, min(50, max(4, budget*15/100))))
		o := pick(rng, outcomes)
		disp := &callfloor.Disposition{CallID: ref.ID, Category: o.Category, Outcome: o.Name, FailScope: o.FailScope, By: a.user}
		if notes != nil {
			disp.Notes, disp.Tags = notes.Notes, notes.Tags
		}
		add(callfloor.Event{Type: callfloor.EventDisposition, At: at, UserID: a.user, State: callfloor.StateIdle, Call: ref, Disposition: disp})
		// Half the incomplete ones are completed after the next call.
		if len(incomplete) > 0 && rng.IntN(2) == 0 {
			old := incomplete[0]
			incomplete = incomplete[1:]
			o := pick(rng, queueOutcomes)
			if old.CampaignID != 0 {
				o = pick(rng, campaignOutcomes)
			}
			at = at.Add(sec(5, 20))
			add(callfloor.Event{Type: callfloor.EventDispositionLater, At: at, UserID: a.user, Call: old,
				Disposition: &callfloor.Disposition{CallID: old.ID, Category: o.Category, Outcome: o.Name, FailScope: o.FailScope, By: a.user}})
		}
	}
	if rng.IntN(20) == 0 {
		return evs, true
	}
	add(callfloor.Event{Type: callfloor.EventLoggedOff, At: at.Add(sec(10, 300)), UserID: a.user, State: callfloor.StateLoggedOff,
		LogoffReason: callfloor.LogoffAgent})
	return evs, false
}

// callID is a call ID as the B2BUA makes them ("cf-" and 24 hex digits).
func callID(rng *rand.Rand) string {
	var b [12]byte
	for i := 0; i < len(b); i += 4 {
		v := rng.Uint32()
		b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	return "cf-" + hex.EncodeToString(b[:])
}

// days makes n days of the account from the local midnight first, in
// order: seeds idx0, idx0+1... (the same seeds make the same days),
// events numbered from 1 and encoded as the journal stores them; with
// project, the call history's rows and rollups too. Two goroutines make
// the days, a few ahead of the reader.
func (w *world) days(first time.Time, n, idx0, perDay int, project bool) <-chan *dayOf {
	const workers, ahead = 2, 2
	out := make(chan *dayOf, 1)
	slots := make([]chan *dayOf, n)
	next := make(chan int, n)
	for i := range n {
		slots[i] = make(chan *dayOf, 1)
		next <- i
	}
	close(next)
	// A worker takes a ticket, then the next day: the days being made
	// are always the ones right after the reader's.
	tickets := make(chan struct{}, ahead)
	for range workers {
		go func() {
			for {
				tickets <- struct{}{}
				i, ok := <-next
				if !ok {
					return
				}
				d := w.day(idx0+i, localMidnight(first, w.loc, i), perDay)
				if project {
					// A day's calls end within it: no row of another day
					// changes, and the rows start empty.
					d.rows, d.counts = history.Apply(history.Rows{}, d.events, w.loc)
					slices.SortFunc(d.rows, func(a, b *callfloor.CallRow) int {
						return cmp.Or(cmp.Compare(a.ExtensionID, b.ExtensionID), strings.Compare(a.CallID, b.CallID))
					})
				}
				slots[i] <- d
			}
		}()
	}
	go func() {
		defer close(out)
		cur := callfloor.HistoryCursor{TimeZone: w.loc.String()}
		for i := range n {
			d := <-slots[i]
			d.from = cur.Seq
			for j := range d.events {
				d.events[j].Seq = d.from + int64(j) + 1
			}
			d.to = d.from + int64(len(d.events))
			cur.LastAt, cur.LateSeq, _ = history.Late(cur, d.events, w.loc)
			cur.Seq = d.to
			d.cursor = cur
			d.bodies, d.err = encodeAll(d.events)
			<-tickets
			out <- d
		}
	}()
	return out
}

// encodeAll encodes the events as the journal stores them, on two
// goroutines.
func encodeAll(evs []callfloor.Event) ([]string, error) {
	half := len(evs) / 2
	var first []string
	var err error
	done := make(chan struct{})
	go func() {
		first, err = bodies(evs[:half])
		close(done)
	}()
	second, err2 := bodies(evs[half:])
	<-done
	return append(first, second...), cmp.Or(err, err2)
}
