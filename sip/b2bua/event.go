package b2bua

import "time"

// EventKind is the kind of a call Event.
type EventKind int

// Kinds of call events, in the order a call goes through them.
const (
	Ringing EventKind = iota + 1
	Answered
	Ended
)

func (k EventKind) String() string {
	switch k {
	case Ringing:
		return "ringing"
	case Answered:
		return "answered"
	case Ended:
		return "ended"
	}
	return "unknown"
}

// Reasons a call ended (Event.Reason).
const (
	ReasonCallerHangup  = "caller_hangup"  // BYE from the caller
	ReasonCalleeHangup  = "callee_hangup"  // BYE from the callee
	ReasonCanceled      = "canceled"       // CANCEL from the caller before the answer
	ReasonNotFound      = "not_found"      // no extension with that number
	ReasonUnavailable   = "unavailable"    // callee not registered, or no answer in time
	ReasonRejected      = "rejected"       // callee answered with an error (busy, declined...)
	ReasonNotAcceptable = "not_acceptable" // no common codec
	ReasonRefused       = "refused"        // Admit refused it (the floor's rules)
	ReasonError         = "error"          // a failure of ours or of the network
	ReasonShutdown      = "shutdown"       // the B2BUA was closed
)

// Event reports a step of a call, for the floor.
type Event struct {
	Kind EventKind
	// CallID is the SIP Call-ID of the caller's leg.
	CallID    string
	AccountID int64
	// From is the caller's extension ID; To the callee's (0 when unknown).
	From, To int64
	// Number is the number the caller dialled.
	Number string
	// Reason says why an Ended call ended; Status is the SIP status the
	// caller was answered with, when the call ended before an answer.
	Reason string
	Status int
	At     time.Time
}
