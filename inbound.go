package callfloor

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// ErrInboundNumberTaken: an inbound number reaches one account only.
const ErrInboundNumberTaken = "inbound_number_taken"

func init() {
	Errors = append(Errors,
		ErrorInfo{ErrInboundNumberTaken, "The number is already an inbound number, of this account or another: a number dialled from outside reaches exactly one account."},
	)
}

// DestinationKind is what an inbound number rings.
type DestinationKind string

// Destination kinds.
const (
	DestinationExtension DestinationKind = "extension"
	DestinationQueue     DestinationKind = "queue"
)

// DestinationKinds lists every valid kind.
var DestinationKinds = []DestinationKind{DestinationExtension, DestinationQueue}

// Valid reports whether k is a known kind.
func (k DestinationKind) Valid() bool { return k == DestinationExtension || k == DestinationQueue }

// Destination is where an inbound number's calls go: an extension or a
// queue of the account.
type Destination struct {
	Kind DestinationKind `json:"kind"`
	ID   int64           `json:"id"`
}

// InboundNumber (a DID) routes calls from the carrier for one number to an
// extension or a queue.
//
// Numbers are unique across the whole platform, ignoring a leading "+":
// the SIP plane finds the account of an inbound call by its number alone
// (FindInboundNumber).
type InboundNumber struct {
	ID        int64 `json:"id"`
	AccountID int64 `json:"account_id"`
	// Number is the dialled number as the carrier sends it in the
	// Request-URI (or To) user part: digits, optionally after a "+".
	Number string `json:"number"`
	// Name is an optional label ("Main line").
	Name string `json:"name"`
	// TrunkID, when set, is the only trunk the number's calls are taken
	// from.
	TrunkID     *int64      `json:"trunk_id"`
	Destination Destination `json:"destination"`
	Enabled     bool        `json:"enabled"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

var inboundNumberRe = regexp.MustCompile(`^\+?[0-9]{1,32}$`)

// Validate checks the inbound number's own fields.
func (n *InboundNumber) Validate() error {
	n.Number = strings.TrimSpace(n.Number)
	if n.Number == "" {
		return FieldError(ErrFieldRequired, "number", "number is required")
	}
	if !inboundNumberRe.MatchString(n.Number) {
		return FieldError(ErrInvalidField, "number", "number must be 1 to 32 digits, optionally starting with +")
	}
	n.Name = strings.TrimSpace(n.Name)
	if err := checkOptionalText("name", n.Name, 100); err != nil {
		return err
	}
	if n.Destination.Kind == "" {
		return FieldError(ErrFieldRequired, "destination.kind", "destination.kind is required: extension or queue")
	}
	if !n.Destination.Kind.Valid() {
		return FieldError(ErrInvalidField, "destination.kind", "destination.kind must be extension or queue")
	}
	if n.Destination.ID <= 0 {
		return FieldError(ErrFieldRequired, "destination.id", "destination.id is required")
	}
	if n.TrunkID != nil && *n.TrunkID <= 0 {
		return FieldError(ErrInvalidReference, "trunk_id", "trunk_id %d does not exist in the account", *n.TrunkID)
	}
	return nil
}

// InboundNumberKey is the form numbers are unique and looked up by: the
// number without a leading "+", or "" when it is not a valid inbound
// number.
func InboundNumberKey(number string) string {
	if !inboundNumberRe.MatchString(number) {
		return ""
	}
	return strings.TrimPrefix(number, "+")
}

// InboundNumberService manages the inbound numbers of the caller's
// account, and finds the one an inbound call dialled, across accounts.
type InboundNumberService interface {
	// CreateInboundNumber stores a number; ErrInboundNumberTaken when any
	// account already has it.
	CreateInboundNumber(ctx context.Context, n *InboundNumber) error
	FindInboundNumberByID(ctx context.Context, id int64) (*InboundNumber, error)
	ListInboundNumbers(ctx context.Context) ([]*InboundNumber, error)
	UpdateInboundNumber(ctx context.Context, id int64, fn func(*InboundNumber) error) (*InboundNumber, error)
	DeleteInboundNumber(ctx context.Context, id int64) error

	// FindInboundNumber finds the enabled inbound number an inbound call
	// dialled, in any account (with or without a leading "+"). It needs
	// no actor: it is how the SIP plane learns the call's account.
	// Disabled numbers are not found.
	FindInboundNumber(ctx context.Context, number string) (*InboundNumber, error)
}
