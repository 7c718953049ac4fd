package floor

import (
	"time"

	"github.com/callfloor/callfloor"
)

// Input is what Decide reacts to: an agent's or supervisor's command, an
// event from the telephony plane or the dialler, or a due timer.
type Input interface{ agent() int64 }

// Login starts the agent's session.
type Login struct{ Ext, By int64 }

// Logoff ends the agent's session; Force is a supervisor's force logoff.
type Logoff struct {
	Ext, By int64
	Force   bool
}

// Pause pauses the agent with a reason.
type Pause struct{ Ext, By, ReasonID int64 }

// Unpause ends the agent's pause, or cancels a pending one.
type Unpause struct{ Ext, By int64 }

// SetAutoAnswer is the agent's choice where the Agent tab says Optional.
type SetAutoAnswer struct {
	Ext, By int64
	On      bool
}

// Dispose submits a disposition for the call in wrap-up, or completes an
// incomplete one.
type Dispose struct {
	Ext, By int64
	CallID  string
	// OutcomeID names the outcome by its id; otherwise Category and
	// Outcome (its name) do. Given both ways, they must agree.
	OutcomeID int64
	Category  callfloor.Category
	Outcome   string
	Notes     string
	// CallbackAt is when a campaign lead is called back (an outcome that
	// sets a callback); in the future, within a year.
	CallbackAt *time.Time
	Tags       []string
}

// Dial asks for a manual call; Internal is a call to an extension.
type Dial struct {
	Ext, By  int64
	CallID   string
	Number   string
	Internal bool
	// CampaignID and LeadID make it a campaign call, placed by the
	// dialler for the agent (from their preview of the lead): no manual
	// dial permission or outbound queue is needed.
	CampaignID, LeadID int64
}

// ParticipantPause pauses or unpauses a participant in one queue.
type ParticipantPause struct {
	Ext, By, QueueID int64
	Paused           bool
}

// Offer is the telephony plane offering a call to the agent (it rings).
type Offer struct {
	Ext  int64
	Call callfloor.CallRef
}

// Answer reports the agent answered the call.
type Answer struct {
	Ext    int64
	CallID string
}

// Notes sets the agent's notes and CRM tags of a call that is up or in
// wrap-up (they replace what was there).
type Notes struct {
	Ext, By int64
	CallID  string
	Notes   string
	Tags    []string
}

func (i Notes) agent() int64 { return i.Ext }

// Mute reports the agent's phone was muted (Muted) or unmuted on a call:
// the other party hears silence from the agent.
type Mute struct {
	Ext    int64
	CallID string
	Muted  bool
}

func (i Mute) agent() int64 { return i.Ext }

// Hold reports the call was put on hold (Held) or resumed.
type Hold struct {
	Ext    int64
	CallID string
	Held   bool
}

// Hangup reports the call ended for the agent.
type Hangup struct {
	Ext    int64
	CallID string
	Reason string
}

// StartPreview is the dialler showing a lead to an idle agent.
type StartPreview struct{ Ext, LeadID, CampaignID int64 }

// EndPreview is the dialler taking the lead back (skipped, or dialled).
type EndPreview struct{ Ext int64 }

// Phone reports which kinds of phone an extension has registered now: a
// softphone (any SIP device but a browser page) and the Agent Workspace
// page. The agent's phone engine decides which of them counts: a WebRTC
// agent's calls ring only the page, an External Client agent's only
// softphones.
type Phone struct {
	Ext                int64
	Softphone, Browser bool
}

// ready reports whether an agent on engine has a phone their calls ring.
func (p Phone) ready(engine callfloor.PhoneEngine) bool {
	switch engine {
	case callfloor.PhoneWebRTC:
		return p.Browser
	case callfloor.PhoneExternal:
		return p.Softphone
	}
	return p.Softphone || p.Browser
}

// Record journals a step of a call from the telephony plane: every call
// and leg, whether or not agents are on it.
type Record struct{ Call callfloor.CallRecord }

// SystemPause pauses an agent for a reason of the system's (too many
// missed queue offers in a row). An agent already paused stays as they
// are; one on a call or in wrap-up pauses when it is over.
type SystemPause struct {
	Ext    int64
	Reason string
}

// Timer fires the earliest due timer (see State.NextDue).
type Timer struct{}

func (i Login) agent() int64            { return i.Ext }
func (i Logoff) agent() int64           { return i.Ext }
func (i Pause) agent() int64            { return i.Ext }
func (i Unpause) agent() int64          { return i.Ext }
func (i SetAutoAnswer) agent() int64    { return i.Ext }
func (i Dispose) agent() int64          { return i.Ext }
func (i Dial) agent() int64             { return i.Ext }
func (i ParticipantPause) agent() int64 { return i.Ext }
func (i Offer) agent() int64            { return i.Ext }
func (i Answer) agent() int64           { return i.Ext }
func (i Hold) agent() int64             { return i.Ext }
func (i Hangup) agent() int64           { return i.Ext }
func (i StartPreview) agent() int64     { return i.Ext }
func (i EndPreview) agent() int64       { return i.Ext }
func (i Phone) agent() int64            { return i.Ext }
func (i SystemPause) agent() int64      { return i.Ext }
func (i Timer) agent() int64            { return 0 }
func (i Record) agent() int64           { return 0 }
