package callfloor

// Error codes of the floor engine.
const (
	ErrNotAgent          = "not_agent"
	ErrAgentLoggedOff    = "agent_logged_off"
	ErrAgentPaused       = "agent_paused"
	ErrAgentBusy         = "agent_busy"
	ErrInWrapup          = "in_wrapup"
	ErrNoOutboundQueue   = "no_outbound_queue"
	ErrNotPermitted      = "control_not_permitted"
	ErrAutoAnswerFixed   = "auto_answer_not_optional"
	ErrNoWrapup          = "no_wrapup"
	ErrInvalidOutcome    = "invalid_outcome"
	ErrUnknownCall       = "unknown_call"
	ErrNotQueueMember    = "not_queue_member"
	ErrNotParticipant    = "not_participant"
	ErrDispositionClosed = "disposition_complete"
)
