package trunk

import "github.com/callfloor/callfloor"

// State is where a trunk's registration stands: the states the API shows
// (callfloor.TrunkState), and StateStopped, which only the callback hears.
type State = callfloor.TrunkState

// States of a registration.
const (
	// StateRegistering: the first REGISTER is under way.
	StateRegistering = callfloor.TrunkRegistering
	// StateRegistered: the carrier accepted the registration; it lasts
	// until Status.Expires and is refreshed before.
	StateRegistered = callfloor.TrunkRegistered
	// StateFailing: the last attempt failed (Status.LastError says why);
	// the next is at Status.NextAttempt. An earlier registration may
	// still hold until Status.Expires.
	StateFailing = callfloor.TrunkFailing
	// StateStopped: the trunk was removed, disabled or changed, or the
	// client closed; its registration was withdrawn. Reported once to the
	// callback; Status no longer lists the trunk.
	StateStopped State = "stopped"
)

// Status is one trunk's registration, as the client last saw it, and
// the account of the trunk. LastError never holds a credential; Expires
// is zero when the registration never runs out.
type Status struct {
	callfloor.TrunkStatus
	AccountID int64 `json:"account_id"`
}
