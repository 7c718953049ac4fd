package callfloor

import (
	"context"
	"strings"
	"time"
)

// LicenceKind is the agent activation an account holds. Without one, no
// extension of the account may enable the agent feature.
type LicenceKind string

// Licence kinds.
const (
	LicenceNone                LicenceKind = "none"
	LicenceAgentExtensions     LicenceKind = "agent_extensions"
	LicenceQueueAgentAnalytics LicenceKind = "queue_agent_analytics"
)

// LicenceKinds lists every valid licence kind.
var LicenceKinds = []LicenceKind{LicenceNone, LicenceAgentExtensions, LicenceQueueAgentAnalytics}

// Valid reports whether k is a known licence kind.
func (k LicenceKind) Valid() bool {
	return k == LicenceNone || k == LicenceAgentExtensions || k == LicenceQueueAgentAnalytics
}

// Account is one organisation. Every other object belongs to exactly one.
type Account struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	// LicenceKind and AgentLicences are set by the platform operator
	// (command line), read-only through the account API.
	LicenceKind   LicenceKind `json:"licence_kind"`
	AgentLicences int         `json:"agent_licences"`
	// AgentsInUse is how many extensions have the agent feature enabled.
	AgentsInUse int       `json:"agents_in_use"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Activated reports whether the account holds an agent activation.
func (a *Account) Activated() bool {
	return a.LicenceKind == LicenceAgentExtensions || a.LicenceKind == LicenceQueueAgentAnalytics
}

// Location returns the account's time zone.
func (a *Account) Location() *time.Location {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate checks the account's own fields.
func (a *Account) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	if err := checkName("name", a.Name, 64); err != nil {
		return err
	}
	if a.TimeZone == "" {
		return FieldError(ErrFieldRequired, "time_zone", "time_zone is required, e.g. Europe/London")
	}
	if _, err := time.LoadLocation(a.TimeZone); err != nil || a.TimeZone == "Local" {
		return FieldError(ErrInvalidField, "time_zone", "time_zone %q is not an IANA time zone name", a.TimeZone)
	}
	if a.LicenceKind == "" {
		a.LicenceKind = LicenceNone
	}
	if !a.LicenceKind.Valid() {
		return FieldError(ErrInvalidField, "licence_kind", "licence_kind must be one of none, agent_extensions, queue_agent_analytics")
	}
	if a.AgentLicences < 0 || a.AgentLicences > 100000 {
		return FieldError(ErrInvalidField, "agent_licences", "agent_licences must be between 0 and 100000")
	}
	if a.LicenceKind == LicenceNone && a.AgentLicences != 0 {
		return FieldError(ErrInvalidField, "agent_licences", "an account without an activation cannot hold agent licences")
	}
	return nil
}

// AccountService manages accounts. Creating accounts and changing licences
// is the platform operator's job (command line); account admins may read
// and rename their own account and change its time zone.
type AccountService interface {
	CreateAccount(ctx context.Context, a *Account) error
	FindAccountByID(ctx context.Context, id int64) (*Account, error)
	FindAccountByName(ctx context.Context, name string) (*Account, error)
	ListAccounts(ctx context.Context) ([]*Account, error)
	// UpdateAccount loads the account, lets fn change it and stores it, all
	// in one transaction. Lowering licences below the agents in use fails.
	UpdateAccount(ctx context.Context, id int64, fn func(*Account) error) (*Account, error)
}
