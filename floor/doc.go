// Package floor is the floor engine: the agent state machine and the rules
// of the contact-centre floor (login, pause, calls, wrap-up, dispositions,
// midnight logoff).
//
// The rules are one pure function, Decide, from the engine's State, an
// Input (an agent's command, a telephony event or a due timer) and the time
// to the Events that follow; State.Apply folds an event into the state.
// Recovery is replaying the journal through Apply, and every timer is
// derived from the state (State.NextDue), so a restart resumes them where
// they were.
package floor
