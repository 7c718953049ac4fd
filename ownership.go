package callfloor

import "time"

// Error codes of account ownership between the nodes of a cluster.
// lease_held and lease_lost are not in Errors: the nodes answer each other
// with them, and no endpoint sends them. A cluster node's API may answer
// not_owner, owner_timeout and fenced (see the init below).
const (
	// ErrFenced is the journal's refusal of an append whose ownership
	// epoch is not the account's current one: another node has taken
	// the account since, and the append wrote nothing.
	ErrFenced = "fenced"
	// ErrLeaseHeld answers a node that asks for a lease another holds.
	ErrLeaseHeld = "lease_held"
	// ErrLeaseLost tells a holder that its lease is gone: a renewal
	// failed, came too late, or found another's revision.
	ErrLeaseLost = "lease_lost"
	// ErrNotOwner answers a command for an account whose floor this node
	// does not run: it never owned the account, or gave it up, or lost
	// it (its lease, or a fenced append).
	ErrNotOwner = "not_owner"
	// ErrOwnerTimeout answers a request forwarded to an account's owner
	// that received it but did not answer in time: it may have been
	// carried out, so it is not sent again.
	ErrOwnerTimeout = "owner_timeout"
)

func init() {
	Errors = append(Errors,
		ErrorInfo{ErrNotOwner, "No node of the cluster owns the account at the moment (one was lost, and another is taking the account over, within seconds): nothing was done; try again."},
		ErrorInfo{ErrOwnerTimeout, "The node that owns the account received the request but did not answer in time: it may have been carried out, so check before trying again."},
		ErrorInfo{ErrFenced, "The account moved to another node of the cluster while the request was decided: nothing was done; try again."},
	)
}

// Ownership tells which node of a cluster owns an account's live state
// (its floor engine, waiting lists, dialler, calls) and since when. Epoch
// rises by one each time a node takes the account; it is the fencing
// token of that node's journal appends (AccountEvents.Epoch), so a node
// that was overtaken cannot write to the account's journal any more. A
// single server never takes ownership: its appends carry epoch 0.
type Ownership struct {
	AccountID int64
	// Node names the owner; empty with Epoch 0 when no node ever took
	// the account.
	Node  string
	Epoch int64
	Since time.Time
}
