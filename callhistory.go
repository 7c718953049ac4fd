package callfloor

import (
	"context"
	"errors"
	"time"
)

// ErrHistoryMoved is SaveCallRows' answer when another writer moved the
// account's call history first: read the cursor again and retry.
var ErrHistoryMoved = errors.New("call history: the cursor moved")

// CallRow is one call as one agent had it: a row of the call history,
// which the workspace's Most Recent Activity and the supervisors' call
// list read. Rows are a projection of the journal (package history),
// rebuildable from it at any time.
type CallRow struct {
	AccountID   int64     `json:"-"`
	ExtensionID int64     `json:"extension_id"`
	CallID      string    `json:"call_id"`
	Direction   Direction `json:"direction"`
	// Number is the other party's number as the agent saw it.
	Number     string     `json:"number"`
	QueueID    int64      `json:"queue_id,omitempty"`
	CampaignID int64      `json:"campaign_id,omitempty"`
	Start      time.Time  `json:"start"`
	AnsweredAt *time.Time `json:"answered_at"`
	EndedAt    *time.Time `json:"ended_at"`
	EndReason  string     `json:"end_reason,omitempty"`
	Category   Category   `json:"category,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	Notes      string     `json:"notes"`
	Tags       []string   `json:"tags"`
	// Incomplete: the call waits for a disposition nobody chose (the
	// wrap-up timed out or was cut short); the agent can complete it.
	Incomplete bool `json:"incomplete"`
	// Seq is the journal event the row was last changed by.
	Seq int64 `json:"-"`
}

// CallKey names a call history row.
type CallKey struct {
	ExtensionID int64
	CallID      string
}

// CallFilter selects call history rows, newest first.
type CallFilter struct {
	// From and To bound the calls' start (To excluded); zero: unbounded.
	From, To    time.Time
	ExtensionID int64
	QueueID     int64
	Direction   Direction
	Category    Category
	// Number keeps the calls whose number contains it.
	Number string
	// Before continues a listing after its last row (paging).
	Before *CallCursor
	Limit  int
}

// CallCursor is where a page of calls ended: the last row's start and call.
type CallCursor struct {
	Start       time.Time
	CallID      string
	ExtensionID int64
}

// CallHistory keeps the call history rows and how far into each
// account's journal they are.
type CallHistory interface {
	// CallHistoryCursor is the seq of the last journal event of the
	// account folded into its rows (0: none).
	CallHistoryCursor(ctx context.Context, accountID int64) (int64, error)
	// FindCallRows returns the rows of keys that exist.
	FindCallRows(ctx context.Context, accountID int64, keys []CallKey) ([]*CallRow, error)
	// SaveCallRows writes rows (inserted or replaced) and moves the
	// account's cursor from from to to, in one transaction; when the
	// cursor is no longer at from (another writer), nothing is written
	// and the error is ErrHistoryMoved.
	SaveCallRows(ctx context.Context, accountID, from, to int64, rows []*CallRow) error
	// ListCallRows returns the account's rows that f selects, newest first.
	ListCallRows(ctx context.Context, accountID int64, f CallFilter) ([]*CallRow, error)
	// ResetCallHistory deletes the account's rows and its cursor, for a
	// rebuild from the journal.
	ResetCallHistory(ctx context.Context, accountID int64) error
}
