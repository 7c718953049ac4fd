package trunk

import "time"

// State is where a trunk's registration stands.
type State string

// States of a registration.
const (
	// StateRegistering: the first REGISTER is under way.
	StateRegistering State = "registering"
	// StateRegistered: the carrier accepted the registration; it lasts
	// until Status.Expires and is refreshed before.
	StateRegistered State = "registered"
	// StateFailing: the last attempt failed (Status.LastError says why);
	// the next is at Status.NextAttempt. An earlier registration may
	// still hold until Status.Expires.
	StateFailing State = "failing"
	// StateStopped: the trunk was removed, disabled or changed, or the
	// client closed; its registration was withdrawn. Reported once to the
	// callback; Status no longer lists the trunk.
	StateStopped State = "stopped"
)

// Status is one trunk's registration, as the client last saw it.
type Status struct {
	TrunkID   int64 `json:"trunk_id"`
	AccountID int64 `json:"account_id"`
	State     State `json:"state"`
	// LastError is why the last attempt failed; empty once registered.
	// It never holds a credential.
	LastError string `json:"last_error,omitempty"`
	// Failures counts the failed attempts since the last success.
	Failures int `json:"failures"`
	// RegisteredAt is when the carrier last accepted the registration,
	// and Expires when that registration runs out (zero: never).
	RegisteredAt time.Time `json:"registered_at"`
	Expires      time.Time `json:"expires"`
	// NextAttempt is when the next REGISTER goes out (a refresh or a
	// retry).
	NextAttempt time.Time `json:"next_attempt"`
}
