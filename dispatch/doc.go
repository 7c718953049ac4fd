// Package dispatch is the ACD at work. It keeps the callers waiting in
// each queue (the telephony plane has answered them and plays them
// music), offers each caller to the queue's members as they become free,
// and moves on when an offer is not answered in the queue's ring timeout.
//
// Whom to offer is the acd package's Picker, given the members who could
// take a call now: agents logged in, idle and not paused, read from the
// floor engine's state; participants not paused in that queue, with a
// registered phone and (unless the queue allows it) not on a call. Every
// offer to an agent is an Offer input of the floor engine, which may
// still refuse it; nothing rings that the floor did not admit.
//
// Around the offers it applies the queue's rules: an agent who misses the
// queue's count of offers in a row is paused by the system; a queue that
// is full, or a caller who waited the maximum, overflows to another
// queue, an extension, or a hang-up; a caller who hangs up is abandoned.
// Each step is journaled as a call record with the caller's wait, and each
// queue's live figures (waiting, longest wait, answered, abandoned,
// service level, average speed of answer) are published as queue.stats
// events.
//
// Waiting callers live in memory: they are live SIP calls, which a
// restart ends anyway. What was confirmed (each record) is in the
// journal.
package dispatch
