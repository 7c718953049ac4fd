package b2bua

import "time"

// EventKind is the kind of a call Event.
type EventKind int

// Kinds of call events. A call rings, is answered and ends; in between a
// party can hold it, leave it (transferred away) or join it (the target
// of a transfer answering).
const (
	Ringing EventKind = iota + 1
	Answered
	Ended
	// Held: Ext put the call on hold (Held true) or resumed it.
	Held
	// Left: Ext's part in the call ended while the call goes on (Reason
	// says why: transferred).
	Left
	// Offered: Ext is being rung as the new party of a call in progress
	// (a transfer target).
	Offered
	// Joined: Ext answered and is now a party of the call.
	Joined
	// Queued: the B2BUA answered the caller for queue QueueID, where they
	// wait (with music) until a member answers: then Answered.
	Queued
)

func (k EventKind) String() string {
	switch k {
	case Ringing:
		return "ringing"
	case Answered:
		return "answered"
	case Ended:
		return "ended"
	case Held:
		return "held"
	case Left:
		return "left"
	case Offered:
		return "offered"
	case Joined:
		return "joined"
	case Queued:
		return "queued"
	}
	return "unknown"
}

// Reasons a call ended (Event.Reason).
const (
	ReasonCallerHangup  = "caller_hangup"  // BYE from the caller
	ReasonCalleeHangup  = "callee_hangup"  // BYE from the callee
	ReasonHangup        = "hangup"         // hung up with a command (Hangup)
	ReasonCanceled      = "canceled"       // CANCEL from the caller before the answer
	ReasonNotFound      = "not_found"      // no extension with that number
	ReasonUnavailable   = "unavailable"    // callee not registered, or no answer in time
	ReasonNoAnswer      = "no_answer"      // a queue member rang out (RingFailure)
	ReasonRejected      = "rejected"       // callee answered with an error (busy, declined...)
	ReasonNotAcceptable = "not_acceptable" // no common codec
	ReasonRefused       = "refused"        // Admit refused it (the floor's rules)
	ReasonTransferred   = "transferred"    // the party transferred the call away (Left)
	ReasonTransferFail  = "transfer_failed"
	ReasonError         = "error" // a failure of ours or of the network
	// ReasonMediaTimeout: a party sent no RTP and no RTCP for
	// Config.MediaTimeout (gone without a BYE).
	ReasonMediaTimeout = "media_timeout"
	// ReasonSessionExpired: a party's session timer (RFC 4028) ran out
	// unrefreshed, or our refresh of it failed.
	ReasonSessionExpired = "session_expired"
	// ReasonPhoneLost: a page phone lost its media and did not come back
	// within Config.BrowserGrace.
	ReasonPhoneLost = "phone_lost"
	ReasonShutdown  = "shutdown" // the B2BUA was closed
	// ReasonAbandoned: a power campaign's customer answered and no agent
	// was free; they heard the information message (Abandon).
	ReasonAbandoned = "abandoned"
	// ReasonMachine: an answering machine answered a campaign's call,
	// which was hung up (Drop).
	ReasonMachine = "machine"
)

// Event reports a step of a call, for the floor.
type Event struct {
	Kind EventKind
	// CallID identifies the call: the SIP Call-ID of the caller's leg, or
	// one the B2BUA made for calls it placed itself.
	CallID    string
	AccountID int64
	// From is the calling extension's ID; To the called one's (0 when not
	// an extension).
	From, To int64
	// Ext is the extension a Held, Left, Offered or Joined event is about.
	Ext int64
	// Parties are the extensions on the call when it was answered or
	// ended (transfers change them).
	Parties []int64
	// Number is the number dialled.
	Number string
	// QueueID is the queue of a queue call (Queued, and what follows).
	QueueID int64
	// Held tells a Held event from a resume.
	Held bool
	// Reason says why an Ended call ended or a party Left; Status is the
	// SIP status the caller was answered with, when the call ended before
	// an answer.
	Reason string
	Status int
	At     time.Time
}
