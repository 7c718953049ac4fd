package callfloor

import "context"

// Role is what a user may do in an account.
type Role string

// Roles, from least to most privileged.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Roles lists every valid role.
var Roles = []Role{RoleAgent, RoleSupervisor, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is at least as privileged as min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

func (r Role) rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Actor is who is making a request: the account every read and write is
// scoped to, the user (0 for the system itself) and the user's role.
type Actor struct {
	AccountID int64
	UserID    int64
	Role      Role
	// TokenID is set when the request was authenticated with an API token.
	TokenID int64
}

type actorKey struct{}

// NewContext returns a context carrying the actor.
func NewContext(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok && a.AccountID != 0
}

// AccountFrom returns the account ctx is scoped to, or an ErrUnauthorized
// error when ctx carries no actor. Stores call it first in every
// account-scoped method.
func AccountFrom(ctx context.Context) (int64, error) {
	a, ok := ActorFrom(ctx)
	if !ok {
		return 0, Errorf(ErrUnauthorized, "no account in request context")
	}
	return a.AccountID, nil
}

// SystemContext returns a context acting as the system itself inside one
// account, with admin rights: used by the command line and demo seeding.
func SystemContext(ctx context.Context, accountID int64) context.Context {
	return NewContext(ctx, Actor{AccountID: accountID, Role: RoleAdmin})
}
