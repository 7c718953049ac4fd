package callfloor

// Error codes of the in-call controls.
const (
	// ErrCallState: the call is not in a state the control applies to
	// (not connected yet, in a conference, not a consultation).
	ErrCallState = "call_state_conflict"
	// ErrTelephonyOff: the server runs without a telephony plane.
	ErrTelephonyOff = "telephony_unavailable"
)

func init() {
	Errors = append(Errors,
		ErrorInfo{ErrCallState, "The call is not in a state that allows this control (not connected yet, in a conference, or not a consultation)."},
		ErrorInfo{ErrTelephonyOff, "The server runs without its telephony plane (simulation mode), so calls cannot be controlled."},
	)
}
