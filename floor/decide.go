package floor

import (
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/callfloor/callfloor"
)

// Limits of what an agent may type into a disposition.
const (
	MaxNotes  = 4000
	MaxTags   = 20
	MaxTagLen = 64
)

// Decide returns the events that follow from in, given the configuration
// and the state at now. It does not change s: the caller applies the
// events in order with s.Apply. An error means the input is refused and
// nothing happened.
func Decide(cfg *Config, s *State, in Input, now time.Time) ([]callfloor.Event, error) {
	d := decider{cfg: cfg, s: s, now: now}
	switch in := in.(type) {
	case Login:
		return d.login(in)
	case Logoff:
		return d.logoff(in)
	case Pause:
		return d.pause(in)
	case Unpause:
		return d.unpause(in)
	case SystemPause:
		return d.systemPause(in)
	case SetAutoAnswer:
		return d.setAutoAnswer(in)
	case Dispose:
		return d.dispose(in)
	case Dial:
		return d.dial(in)
	case ParticipantPause:
		return d.participantPause(in)
	case Offer:
		return d.offer(in)
	case Answer:
		return d.answer(in)
	case Hold:
		return d.hold(in)
	case Mute:
		return d.mute(in)
	case Notes:
		return d.notes(in)
	case Hangup:
		return d.hangup(in)
	case StartPreview:
		return d.startPreview(in)
	case EndPreview:
		return d.endPreview(in)
	case Phone:
		return d.phone(in)
	case Timer:
		return d.timer()
	case Control:
		return d.control(in)
	case Record:
		return d.record(in)
	case TransferOut:
		return d.transferOut(in)
	}
	return nil, callfloor.Errorf(callfloor.ErrInternal, "unknown input %T", in)
}

type decider struct {
	cfg *Config
	s   *State
	now time.Time
}

func (d *decider) event(t callfloor.EventType, ext, by int64) callfloor.Event {
	return callfloor.Event{Type: t, ExtensionID: ext, UserID: by, At: d.now}
}

// agent returns the agent's config and state, refusing non-agents.
func (d *decider) agent(ext int64) (*AgentConfig, *Agent, error) {
	ac := d.cfg.Agents[ext]
	if ac == nil {
		return nil, nil, callfloor.Errorf(callfloor.ErrNotAgent, "extension %d is not an agent", ext)
	}
	return ac, d.s.Agent(ext), nil
}

// loggedIn is agent() for inputs that need a logged-in agent.
func (d *decider) loggedIn(ext int64) (*AgentConfig, *Agent, error) {
	ac, a, err := d.agent(ext)
	if err == nil && !a.LoggedIn {
		err = callfloor.Errorf(callfloor.ErrAgentLoggedOff, "the agent is logged off")
	}
	return ac, a, err
}

func (d *decider) login(in Login) ([]callfloor.Event, error) {
	_, a, err := d.agent(in.Ext)
	if err != nil || a.LoggedIn {
		return nil, err
	}
	return []callfloor.Event{d.event(callfloor.EventLoggedIn, in.Ext, in.By)}, nil
}

func (d *decider) logoff(in Logoff) ([]callfloor.Event, error) {
	ac, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	if !in.Force && !ac.Permissions.Logoff {
		return nil, callfloor.Errorf(callfloor.ErrNotPermitted, "this agent may not log off from the workspace")
	}
	if !a.LoggedIn {
		return nil, nil
	}
	reason := callfloor.LogoffAgent
	if in.Force {
		reason = callfloor.LogoffSupervisor
	}
	if len(a.Lines) > 0 || (len(a.Wrapups) > 0 && !in.Force) {
		return d.setPending(a, in.By, callfloor.Pending{Logoff: reason}), nil
	}
	return d.logoffNow(a, in.By, reason), nil
}

// logoffNow ends the session at d.now: wrap-ups are cut short (their
// dispositions stay incomplete), a preview or a pause is closed first.
func (d *decider) logoffNow(a *Agent, by int64, reason callfloor.LogoffReason) []callfloor.Event {
	var evs []callfloor.Event
	for _, w := range a.Wrapups {
		ev := d.event(callfloor.EventDisposition, a.ExtensionID, 0)
		ev.Call = ref(w.Call)
		ev.Disposition = &callfloor.Disposition{CallID: w.Call.ID, Incomplete: true}
		evs = append(evs, ev)
	}
	evs = append(evs, d.closeActivity(a, by)...)
	ev := d.event(callfloor.EventLoggedOff, a.ExtensionID, by)
	ev.LogoffReason = reason
	return append(evs, ev)
}

// closeActivity ends a preview or a pause.
func (d *decider) closeActivity(a *Agent, by int64) []callfloor.Event {
	var evs []callfloor.Event
	if a.Preview != nil {
		evs = append(evs, d.event(callfloor.EventPreviewEnded, a.ExtensionID, by))
	}
	if a.Pause != nil {
		ev := d.event(callfloor.EventUnpaused, a.ExtensionID, by)
		ev.Pause = a.Pause
		evs = append(evs, ev)
	}
	return evs
}

func (d *decider) setPending(a *Agent, by int64, p callfloor.Pending) []callfloor.Event {
	if p.Logoff == "" {
		p.Logoff = a.Pending.Logoff
	}
	if p.Pause == nil && p.Logoff != "" {
		p.Pause = a.Pending.Pause
	}
	ev := d.event(callfloor.EventPending, a.ExtensionID, by)
	ev.Pending = &p
	return []callfloor.Event{ev}
}

func (d *decider) pause(in Pause) ([]callfloor.Event, error) {
	ac, a, err := d.loggedIn(in.Ext)
	if err != nil {
		return nil, err
	}
	if !ac.Permissions.Pause {
		return nil, callfloor.Errorf(callfloor.ErrNotPermitted, "this agent may not pause")
	}
	r := d.cfg.PauseReasons[in.ReasonID]
	switch {
	case r == nil:
		return nil, callfloor.FieldError(callfloor.ErrInvalidReference, "reason_id", "pause reason %d does not exist", in.ReasonID)
	case r.System:
		return nil, callfloor.FieldError(callfloor.ErrSystemReason, "reason_id", "%s is entered by the system after a call", r.Name)
	}
	p := &callfloor.PauseRef{ReasonID: r.ID, Code: r.Code, Name: r.Name, Productive: r.Productive, ThresholdSeconds: r.ThresholdSeconds}
	if len(a.Lines) > 0 || len(a.Wrapups) > 0 {
		return d.setPending(a, in.By, callfloor.Pending{Pause: p, Logoff: a.Pending.Logoff}), nil
	}
	if a.Pause != nil && a.Pause.ReasonID == r.ID {
		return nil, nil
	}
	evs := d.closeActivity(a, in.By)
	ev := d.event(callfloor.EventPaused, in.Ext, in.By)
	ev.Pause = p
	return append(evs, ev), nil
}

func (d *decider) systemPause(in SystemPause) ([]callfloor.Event, error) {
	_, a, err := d.loggedIn(in.Ext)
	if err != nil || a.Pause != nil || a.Pending.Pause != nil {
		return nil, err
	}
	if in.Reason == "" {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "reason", "a system pause needs a reason")
	}
	p := &callfloor.PauseRef{Name: in.Reason, System: true}
	if len(a.Lines) > 0 || len(a.Wrapups) > 0 {
		return d.setPending(a, 0, callfloor.Pending{Pause: p, Logoff: a.Pending.Logoff}), nil
	}
	evs := d.closeActivity(a, 0)
	ev := d.event(callfloor.EventPaused, in.Ext, 0)
	ev.Pause = p
	return append(evs, ev), nil
}

func (d *decider) unpause(in Unpause) ([]callfloor.Event, error) {
	_, a, err := d.loggedIn(in.Ext)
	if err != nil {
		return nil, err
	}
	if a.Pending.Pause != nil {
		ev := d.event(callfloor.EventPending, in.Ext, in.By)
		ev.Pending = &callfloor.Pending{Logoff: a.Pending.Logoff}
		return []callfloor.Event{ev}, nil
	}
	if a.Pause == nil {
		return nil, nil
	}
	ev := d.event(callfloor.EventUnpaused, in.Ext, in.By)
	ev.Pause = a.Pause
	return []callfloor.Event{ev}, nil
}

func (d *decider) setAutoAnswer(in SetAutoAnswer) ([]callfloor.Event, error) {
	ac, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	if ac.AutoAnswer != callfloor.AutoAnswerOptional {
		return nil, callfloor.Errorf(callfloor.ErrAutoAnswerFixed, "auto answer is set to %q by the administrator", ac.AutoAnswer)
	}
	if a.AutoAnswer == in.On {
		return nil, nil
	}
	ev := d.event(callfloor.EventAutoAnswer, in.Ext, in.By)
	on := in.On
	ev.AutoAnswer = &on
	return []callfloor.Event{ev}, nil
}

// phone records the agent's phone becoming ready and going away: ready
// when a device of the agent's phone engine is registered. Other
// extensions' phones are not the floor's business.
func (d *decider) phone(in Phone) ([]callfloor.Event, error) {
	ac := d.cfg.Agents[in.Ext]
	if ac == nil || d.s.Agent(in.Ext).PhoneRegistered == in.ready(ac.PhoneEngine) {
		return nil, nil
	}
	ev := d.event(callfloor.EventPhone, in.Ext, 0)
	r := in.ready(ac.PhoneEngine)
	ev.PhoneRegistered = &r
	return []callfloor.Event{ev}, nil
}

func (d *decider) participantPause(in ParticipantPause) ([]callfloor.Event, error) {
	p := d.cfg.Participants[in.Ext]
	if p == nil {
		return nil, callfloor.Errorf(callfloor.ErrNotParticipant, "extension %d is not a participant; agents pause globally", in.Ext)
	}
	if !p.Queues[in.QueueID] {
		return nil, callfloor.FieldError(callfloor.ErrNotQueueMember, "queue_id", "extension %d is not a member of queue %d", in.Ext, in.QueueID)
	}
	_, paused := d.s.Participants[in.Ext][in.QueueID]
	if paused == in.Paused {
		return nil, nil
	}
	t := callfloor.EventParticipantResume
	if in.Paused {
		t = callfloor.EventParticipantPaused
	}
	ev := d.event(t, in.Ext, in.By)
	ev.QueueID = in.QueueID
	return []callfloor.Event{ev}, nil
}

// available refuses an agent who cannot take or make a call now.
func (d *decider) available(a *Agent) error {
	switch {
	case !a.LoggedIn:
		return callfloor.Errorf(callfloor.ErrAgentLoggedOff, "the agent is logged off")
	case a.Pause != nil:
		return callfloor.Errorf(callfloor.ErrAgentPaused, "the agent is paused (%s)", a.Pause.Name)
	case len(a.Wrapups) > 0 && len(a.Lines) == 0:
		return callfloor.Errorf(callfloor.ErrInWrapup, "the agent is in wrap-up")
	case d.cfg.RequirePhone && !a.PhoneRegistered:
		return callfloor.Errorf(callfloor.ErrPhoneOffline, "the agent's phone is not registered")
	}
	return nil
}

func (d *decider) dial(in Dial) ([]callfloor.Event, error) {
	ac, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	if in.CallID != "" && a.line(in.CallID) != nil {
		// Asked again for the line it has (the API asks, then the
		// telephony plane as it places the call): nothing changes.
		return nil, nil
	}
	if err := d.available(a); err != nil {
		return nil, err
	}
	if in.CampaignID != 0 {
		return d.campaignDial(a, in)
	}
	switch {
	case !ac.Permissions.ManualDial:
		return nil, callfloor.Errorf(callfloor.ErrNotPermitted, "this agent may not dial manually")
	case a.Preview != nil || (len(a.Lines) > 0 && !a.Lines[0].Answered && !a.Lines[0].Outbound):
		return nil, callfloor.Errorf(callfloor.ErrAgentBusy, "the agent has a call ringing or a lead in preview")
	case len(a.Lines) > 0 && !ac.Permissions.Line:
		return nil, callfloor.Errorf(callfloor.ErrNotPermitted, "this agent may not add a line")
	case !in.Internal && ac.OutboundQueueID == 0:
		return nil, callfloor.Errorf(callfloor.ErrNoOutboundQueue, "the agent has no outbound queue, so outbound calls cannot be counted and are refused")
	case in.CallID == "" || in.Number == "":
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "number", "a number to dial is required")
	case a.line(in.CallID) != nil:
		return nil, nil
	}
	call := callfloor.CallRef{ID: in.CallID, Direction: callfloor.DirInternalOut, To: in.Number}
	if !in.Internal {
		call.Direction, call.QueueID = callfloor.DirExternalOut, ac.OutboundQueueID
	}
	ev := d.event(callfloor.EventDialRequested, in.Ext, in.By)
	ev.Call = &call
	return []callfloor.Event{ev}, nil
}

// campaignDial places the dialler's call to a campaign lead for an agent:
// the one in their preview of that campaign, or any while they are free
// (a power campaign's call is offered instead).
func (d *decider) campaignDial(a *Agent, in Dial) ([]callfloor.Event, error) {
	switch {
	case a.Preview != nil && (a.Preview.CampaignID != in.CampaignID || a.Preview.LeadID != in.LeadID):
		return nil, callfloor.Errorf(callfloor.ErrAgentBusy, "the agent has another lead in preview")
	case len(a.Lines) > 0:
		return nil, callfloor.Errorf(callfloor.ErrAgentBusy, "the agent is on a call")
	case in.CallID == "" || in.Number == "":
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "number", "a number to dial is required")
	}
	call := callfloor.CallRef{ID: in.CallID, Direction: callfloor.DirCampaign, To: in.Number, CampaignID: in.CampaignID, LeadID: in.LeadID}
	ev := d.event(callfloor.EventDialRequested, in.Ext, in.By)
	ev.Call = &call
	return []callfloor.Event{ev}, nil
}

func (d *decider) offer(in Offer) ([]callfloor.Event, error) {
	_, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	if a.line(in.Call.ID) != nil {
		return nil, nil
	}
	if err := d.available(a); err != nil {
		return nil, err
	}
	fromPreview := a.Preview != nil && in.Call.CampaignID == a.Preview.CampaignID
	if len(a.Lines) > 0 || (a.Preview != nil && !fromPreview) {
		return nil, callfloor.Errorf(callfloor.ErrAgentBusy, "the agent is on another call")
	}
	ev := d.event(callfloor.EventCallOffered, in.Ext, 0)
	ev.Call = ref(in.Call)
	return []callfloor.Event{ev}, nil
}

func (d *decider) answer(in Answer) ([]callfloor.Event, error) {
	_, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	l := a.line(in.CallID)
	if l == nil {
		return nil, callfloor.Errorf(callfloor.ErrUnknownCall, "the agent has no call %s", in.CallID)
	}
	if l.Answered {
		return nil, nil
	}
	ev := d.event(callfloor.EventCallAnswered, in.Ext, 0)
	ev.Call = ref(l.Call)
	return []callfloor.Event{ev}, nil
}

func (d *decider) hold(in Hold) ([]callfloor.Event, error) {
	return d.toggleLine(in.Ext, in.CallID, func(l *Line) bool { return l.Held }, in.Held,
		callfloor.EventCallHeld, callfloor.EventCallResumed)
}

func (d *decider) mute(in Mute) ([]callfloor.Event, error) {
	return d.toggleLine(in.Ext, in.CallID, func(l *Line) bool { return l.Muted }, in.Muted,
		callfloor.EventCallMuted, callfloor.EventCallUnmuted)
}

// toggleLine turns a flag of an answered line (held, muted) to want: the
// on or off event, or none when the line has it already.
func (d *decider) toggleLine(ext int64, callID string, has func(*Line) bool, want bool, on, off callfloor.EventType) ([]callfloor.Event, error) {
	_, a, err := d.agent(ext)
	if err != nil {
		return nil, err
	}
	l := a.line(callID)
	switch {
	case l == nil || !l.Answered:
		return nil, callfloor.Errorf(callfloor.ErrUnknownCall, "the agent has no answered call %s", callID)
	case has(l) == want:
		return nil, nil
	}
	t := off
	if want {
		t = on
	}
	ev := d.event(t, ext, 0)
	ev.Call = ref(l.Call)
	return []callfloor.Event{ev}, nil
}

func (d *decider) notes(in Notes) ([]callfloor.Event, error) {
	_, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	var call *callfloor.CallRef
	if l := a.line(in.CallID); l != nil {
		call = &l.Call
	}
	for _, w := range a.Wrapups {
		if w.Call.ID == in.CallID {
			call = &w.Call
		}
	}
	if call == nil {
		return nil, callfloor.FieldError(callfloor.ErrUnknownCall, "call_id", "the agent has no call %s up or in wrap-up", in.CallID)
	}
	if err := validNotes(in.Notes, in.Tags); err != nil {
		return nil, err
	}
	ev := d.event(callfloor.EventCallNotes, in.Ext, in.By)
	ev.Call = ref(*call)
	ev.Notes = &callfloor.CallNotes{Notes: in.Notes, Tags: slices.Clone(in.Tags)}
	if ev.Notes.Tags == nil {
		ev.Notes.Tags = []string{}
	}
	return []callfloor.Event{ev}, nil
}

// validNotes checks notes and CRM tags against their limits.
func validNotes(notes string, tags []string) error {
	if err := callfloor.CheckText("notes", notes, MaxNotes); err != nil {
		return err
	}
	if len(tags) > MaxTags {
		return callfloor.FieldError(callfloor.ErrInvalidField, "tags", "at most %d CRM tags", MaxTags)
	}
	for _, t := range tags {
		if t == "" || utf8.RuneCountInString(t) > MaxTagLen {
			return callfloor.FieldError(callfloor.ErrInvalidField, "tags", "a CRM tag has 1 to %d characters", MaxTagLen)
		}
		if err := callfloor.CheckLine("tags", t, MaxTagLen); err != nil {
			return err
		}
	}
	return nil
}

func (d *decider) hangup(in Hangup) ([]callfloor.Event, error) {
	ac, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	l := a.line(in.CallID)
	if l == nil {
		return nil, nil // the telephony plane may report an end twice
	}
	ev := d.event(callfloor.EventCallEnded, in.Ext, 0)
	ev.Call, ev.EndReason = ref(l.Call), in.Reason
	evs := []callfloor.Event{ev}
	needs := l.Answered && d.cfg.source(l.Call) != nil
	if needs {
		evs = append(evs, d.wrapup(in.Ext, l.Call, time.Time{}, l.Notes))
	}
	if len(a.Lines) > 1 {
		return evs, nil
	}
	// The last line ended: the oldest waiting disposition goes into
	// wrap-up, or what the agent asked for meanwhile takes effect.
	switch {
	case len(a.Wrapups) > 0:
		evs = append(evs, d.wrapup(in.Ext, a.Wrapups[0].Call, d.now.Add(ac.WrapupTimeout), a.Wrapups[0].Notes))
	case needs:
		evs[len(evs)-1] = d.wrapup(in.Ext, l.Call, d.now.Add(ac.WrapupTimeout), l.Notes)
	default:
		evs = append(evs, d.afterCalls(a)...)
	}
	return evs, nil
}

// wrapup queues a call for its disposition; a non-zero due makes it the
// active wrap-up. The notes typed during the call go with it.
func (d *decider) wrapup(ext int64, call callfloor.CallRef, due time.Time, notes *callfloor.CallNotes) callfloor.Event {
	ev := d.event(callfloor.EventWrapupStarted, ext, 0)
	ev.Call = ref(call)
	if notes != nil {
		n := *notes
		ev.Notes = &n
	}
	if !due.IsZero() {
		ev.DueAt = &due
	}
	return ev
}

// afterCalls applies what the agent asked for while busy.
func (d *decider) afterCalls(a *Agent) []callfloor.Event {
	switch {
	case a.Pending.Logoff != "":
		return d.logoffNow(&Agent{ExtensionID: a.ExtensionID, Pause: a.Pause}, 0, a.Pending.Logoff)
	case a.Pending.Pause != nil:
		var evs []callfloor.Event
		if a.Pause != nil {
			ev := d.event(callfloor.EventUnpaused, a.ExtensionID, 0)
			ev.Pause = a.Pause
			evs = append(evs, ev)
		}
		ev := d.event(callfloor.EventPaused, a.ExtensionID, 0)
		ev.Pause = a.Pending.Pause
		return append(evs, ev)
	}
	return nil
}

func (d *decider) dispose(in Dispose) ([]callfloor.Event, error) {
	ac, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, w := range a.Wrapups {
		if w.Call.ID == in.CallID {
			idx = i
		}
	}
	var call callfloor.CallRef
	switch inc := d.s.Incomplete[in.CallID]; {
	case idx >= 0:
		call = a.Wrapups[idx].Call
		// Notes and tags typed during the call are kept unless the
		// disposition brings its own.
		if n := a.Wrapups[idx].Notes; n != nil {
			if in.Notes == "" {
				in.Notes = n.Notes
			}
			if in.Tags == nil {
				in.Tags = n.Tags
			}
		}
	case inc != nil && inc.ExtensionID == in.Ext:
		call = inc.Call
	default:
		return nil, callfloor.FieldError(callfloor.ErrNoWrapup, "call_id", "call %s is not waiting for this agent's disposition", in.CallID)
	}
	disp, err := d.validDisposition(in, call)
	if err != nil {
		return nil, err
	}
	if idx < 0 {
		ev := d.event(callfloor.EventDispositionLater, in.Ext, in.By)
		ev.Call, ev.Disposition = ref(call), disp
		return []callfloor.Event{ev}, nil
	}
	ev := d.event(callfloor.EventDisposition, in.Ext, in.By)
	ev.Call, ev.Disposition = ref(call), disp
	evs := []callfloor.Event{ev}
	if idx != 0 || len(a.Lines) > 0 {
		return evs, nil
	}
	if len(a.Wrapups) > 1 {
		return append(evs, d.wrapup(in.Ext, a.Wrapups[1].Call, d.now.Add(ac.WrapupTimeout), a.Wrapups[1].Notes)), nil
	}
	return append(evs, d.afterCalls(a)...), nil
}

func (d *decider) validDisposition(in Dispose, call callfloor.CallRef) (*callfloor.Disposition, error) {
	src := d.cfg.sourceOf(call)
	if in.OutcomeID != 0 {
		var byID callfloor.Outcome
		found := false
		if src != nil {
			for _, o := range src.Outcomes {
				if o.ID == in.OutcomeID {
					byID, found = o, true
				}
			}
		}
		switch {
		case !found:
			return nil, callfloor.FieldError(callfloor.ErrInvalidOutcome, "outcome_id", "outcome %d is not an outcome of this call's source", in.OutcomeID)
		case in.Category != "" && in.Category != byID.Category, in.Outcome != "" && in.Outcome != byID.Name:
			return nil, callfloor.FieldError(callfloor.ErrInvalidOutcome, "outcome_id", "outcome %d is %s %q, not the category and outcome given", in.OutcomeID, byID.Category, byID.Name)
		}
		in.Category, in.Outcome = byID.Category, byID.Name
	}
	if !in.Category.Valid() {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "category", "category must be fail, unsure or success")
	}
	var o callfloor.Outcome
	ok := false
	if src != nil {
		o, ok = src.outcome(in.Category, in.Outcome)
	}
	if !ok {
		return nil, callfloor.FieldError(callfloor.ErrInvalidOutcome, "outcome", "%q is not a %s outcome of this call's source", in.Outcome, in.Category)
	}
	if err := validNotes(in.Notes, in.Tags); err != nil {
		return nil, err
	}
	if cb := in.CallbackAt; cb != nil && (!cb.After(d.now) || cb.After(d.now.AddDate(1, 0, 0))) {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "callback_at", "callback_at must be in the future, within a year")
	}
	return &callfloor.Disposition{CallID: call.ID, Category: o.Category, Outcome: o.Name, FailScope: o.FailScope,
		Notes: in.Notes, Tags: in.Tags, By: in.By, CallbackAt: in.CallbackAt}, nil
}

func (d *decider) startPreview(in StartPreview) ([]callfloor.Event, error) {
	_, a, err := d.agent(in.Ext)
	if err != nil {
		return nil, err
	}
	if err := d.available(a); err != nil {
		return nil, err
	}
	if len(a.Lines) > 0 || a.Preview != nil {
		return nil, callfloor.Errorf(callfloor.ErrAgentBusy, "the agent is busy")
	}
	ev := d.event(callfloor.EventPreview, in.Ext, 0)
	ev.LeadID, ev.CampaignID = in.LeadID, in.CampaignID
	return []callfloor.Event{ev}, nil
}

func (d *decider) endPreview(in EndPreview) ([]callfloor.Event, error) {
	_, a, err := d.agent(in.Ext)
	if err != nil || a.Preview == nil {
		return nil, err
	}
	return []callfloor.Event{d.event(callfloor.EventPreviewEnded, in.Ext, 0)}, nil
}

func ref(c callfloor.CallRef) *callfloor.CallRef { return &c }

// sortedAgents returns the agents ordered by extension, so that decisions
// over several agents are deterministic.
func (s *State) sortedAgents() []*Agent {
	out := make([]*Agent, 0, len(s.Agents))
	for _, a := range s.Agents {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExtensionID < out[j].ExtensionID })
	return out
}
