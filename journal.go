package callfloor

import (
	"context"
	"time"
)

// Journal keeps the floor's events: every event the floor engine accepted,
// in order per account. The engine appends; recovery, time and attendance,
// the realtime stream and webhooks read.
type Journal interface {
	// AppendEvents stores events of one account in one transaction. Their
	// Seq must follow the account's last one without gaps; a Seq already
	// taken fails the whole append.
	AppendEvents(ctx context.Context, accountID int64, evs []Event) error
	// AppendFenced is AppendEvents fenced by an ownership epoch: unless
	// epoch is the account's current one (TakeOwnership), it fails with
	// ErrFenced and writes nothing. Epoch 0 is not checked.
	AppendFenced(ctx context.Context, accountID, epoch int64, evs []Event) error
	// AppendBatch appends the events of several accounts in one
	// transaction, with the same rules; each account's Epoch fences it
	// as in AppendFenced, and one fenced account fails the whole batch.
	AppendBatch(ctx context.Context, batch []AccountEvents) error
	// ReadEvents returns up to limit events of the account after seq, in
	// order.
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]Event, error)
	// ReadExtensionEvents returns the events of one extension with
	// from <= At < to, in order.
	ReadExtensionEvents(ctx context.Context, accountID, extensionID int64, from, to time.Time) ([]Event, error)

	// SaveSnapshot keeps body as the account's floor state at seq,
	// replacing an older snapshot (never a newer one).
	SaveSnapshot(ctx context.Context, accountID, seq int64, body []byte) error
	// LoadSnapshot returns the account's latest snapshot, or seq 0 and a
	// nil body when it has none.
	LoadSnapshot(ctx context.Context, accountID int64) (seq int64, body []byte, err error)

	// TakeOwnership makes node the owner of the account: in one
	// transaction it raises the account's ownership epoch by one (to 1
	// the first time) and returns the new ownership. Appends fenced by
	// an older epoch fail from then on; an append that checked its epoch
	// before finishes first, so the new owner reads it in the journal.
	TakeOwnership(ctx context.Context, accountID int64, node string) (Ownership, error)
	// AccountOwnership returns the account's current ownership: Epoch 0
	// when no node ever took it.
	AccountOwnership(ctx context.Context, accountID int64) (Ownership, error)
}

// AccountEvents are events of one account.
type AccountEvents struct {
	AccountID int64
	// Epoch is the ownership epoch the writer believes it holds (see
	// Ownership); the append fails with ErrFenced when it is not the
	// account's current one. 0, the single server's, is not checked.
	Epoch  int64
	Events []Event
}
