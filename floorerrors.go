package callfloor

// Error codes of the floor engine.
const (
	ErrNotAgent        = "not_agent"
	ErrAgentLoggedOff  = "agent_logged_off"
	ErrAgentPaused     = "agent_paused"
	ErrAgentBusy       = "agent_busy"
	ErrInWrapup        = "in_wrapup"
	ErrNoOutboundQueue = "no_outbound_queue"
	ErrNotPermitted    = "control_not_permitted"
	ErrAutoAnswerFixed = "auto_answer_not_optional"
	ErrNoWrapup        = "no_wrapup"
	ErrInvalidOutcome  = "invalid_outcome"
	ErrUnknownCall     = "unknown_call"
	ErrNotQueueMember  = "not_queue_member"
	ErrNotParticipant  = "not_participant"
	ErrSimulationOff   = "simulation_off"
	ErrPhoneOffline    = "phone_not_registered"
)

func init() {
	Errors = append(Errors,
		ErrorInfo{ErrNotAgent, "The extension is not an agent (no agent feature, or the caller has no agent extension)."},
		ErrorInfo{ErrAgentLoggedOff, "The agent is logged off: no calls in or out, no pause."},
		ErrorInfo{ErrAgentPaused, "The agent is paused: no calls in or out until unpaused."},
		ErrorInfo{ErrAgentBusy, "The agent has a call ringing, a call in progress or a lead in preview."},
		ErrorInfo{ErrInWrapup, "The agent is in wrap-up: submit the disposition first."},
		ErrorInfo{ErrNoOutboundQueue, "The agent has no outbound queue on its Agent tab, so outbound calls are refused."},
		ErrorInfo{ErrNotPermitted, "The Agent tab does not permit this control for the agent."},
		ErrorInfo{ErrAutoAnswerFixed, "Auto answer is set by the administrator; agents choose only where it is Optional."},
		ErrorInfo{ErrNoWrapup, "That call is not waiting for this agent's disposition."},
		ErrorInfo{ErrInvalidOutcome, "The outcome is not one of the call source's outcomes in that category."},
		ErrorInfo{ErrUnknownCall, "The agent has no such call."},
		ErrorInfo{ErrNotQueueMember, "The extension is not a member of that queue."},
		ErrorInfo{ErrNotParticipant, "Only participants pause per queue; agents pause globally."},
		ErrorInfo{ErrPhoneOffline, "The agent's phone is not registered: for the page phone engine the Agent Workspace page, for External Client a softphone. No call can reach them."},
		ErrorInfo{ErrSimulationOff, "The simulated telephony plane is off; start the server with --simulate."},
	)
}
