package callfloor

// AgentState is what an agent is doing. Every state has a start time, so
// every surface can show "state and for how long".
type AgentState string

// Agent states.
const (
	StateLoggedOff AgentState = "logged_off"
	StateIdle      AgentState = "idle"
	StateRinging   AgentState = "ringing"
	StateOnCall    AgentState = "on_call"
	// StateWrapup is the system's productive pause after a call whose
	// source has dispositions.
	StateWrapup AgentState = "wrapup"
	StatePaused AgentState = "paused"
	// StatePreview: the agent is looking at a campaign lead before dialling.
	StatePreview AgentState = "preview"
)

// AgentStates lists every state.
var AgentStates = []AgentState{StateLoggedOff, StateIdle, StateRinging, StateOnCall, StateWrapup, StatePaused, StatePreview}

// Valid reports whether s is a known state.
func (s AgentState) Valid() bool {
	for _, v := range AgentStates {
		if s == v {
			return true
		}
	}
	return false
}

// Direction tells what kind of call a call is, for records and the icons of
// Most Recent Activity.
type Direction string

// Directions.
const (
	DirInternalIn  Direction = "internal_in"
	DirInternalOut Direction = "internal_out"
	DirQueueIn     Direction = "queue_in"
	DirCampaign    Direction = "campaign"
	DirExternalOut Direction = "external_out"
	DirExternalIn  Direction = "external_in"
)

// Directions lists every direction.
var Directions = []Direction{DirInternalIn, DirInternalOut, DirQueueIn, DirCampaign, DirExternalOut, DirExternalIn}

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool {
	for _, v := range Directions {
		if d == v {
			return true
		}
	}
	return false
}

// LogoffReason tells why a login session ended.
type LogoffReason string

// Logoff reasons.
const (
	LogoffAgent      LogoffReason = "agent"
	LogoffSupervisor LogoffReason = "supervisor"
	LogoffMidnight   LogoffReason = "midnight"
)
