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

// HistoryCursor is how far an account's call history has read its
// journal, and the time zone of its daily rollups' dates.
type HistoryCursor struct {
	// Seq is the last journal event of the account folded into its rows
	// (0: none).
	Seq int64
	// TimeZone is the IANA name of the zone the rollups' dates are in:
	// the account's when they were made.
	TimeZone string
	// LastAt is the latest time of the events folded in. LateSeq is the
	// last of those events that came late: dated (in TimeZone) before
	// LastAt's date as it was then, such as a timer the floor journals
	// when it starts again after a stop. Kept attendance days
	// (AttendanceDay) from that date on are dropped with it.
	LastAt  time.Time
	LateSeq int64
}

// DayCount is a line of the daily rollups: how many calls with a
// disposition one agent had on one local date, from one queue or
// campaign, with one category and outcome. As a change to the rollups
// (HistoryBatch), Calls may be negative.
type DayCount struct {
	Date        string // YYYY-MM-DD
	ExtensionID int64
	QueueID     int64
	CampaignID  int64
	Category    Category
	Outcome     string
	Calls       int
}

// HistoryBatch is one step of an account's call history: the rows some
// journal events changed, the change they make to the daily rollups,
// and the cursor's move over those events.
type HistoryBatch struct {
	// From and To are the cursor's seq before and after.
	From, To int64
	// TimeZone is the zone of Days' dates, which the cursor must have
	// (a new cursor, From 0, takes it).
	TimeZone string
	// Rows are inserted or replaced.
	Rows []*CallRow
	// Days are added to the rollups' counts (a line at 0 goes away).
	Days []DayCount
	// LastAt and LateSeq are the cursor's after the batch; LateFrom, when
	// not empty, is the earliest date of the batch's late events, from
	// which the kept attendance days are dropped.
	LastAt   time.Time
	LateSeq  int64
	LateFrom string
}

// AttendanceDay is one agent's time and attendance summary of one past
// local date (JSON; the API makes and reads it), kept so that the day's
// team report need not fold the journal again. It is valid for the zone
// it was made in, while no late event of that date or the one before
// comes (see HistoryCursor).
type AttendanceDay struct {
	Date        string // YYYY-MM-DD
	ExtensionID int64
	TimeZone    string
	Summary     []byte
}

// CallHistory keeps the call history rows, the daily rollups that count
// them, and how far into each account's journal they are.
type CallHistory interface {
	// CallHistoryCursor is the account's cursor (Seq 0 when it has none).
	CallHistoryCursor(ctx context.Context, accountID int64) (HistoryCursor, error)
	// FindCallRows returns the rows of keys that exist.
	FindCallRows(ctx context.Context, accountID int64, keys []CallKey) ([]*CallRow, error)
	// SaveCallRows writes b's rows and rollup changes and moves the
	// account's cursor from b.From to b.To, in one transaction; when the
	// cursor is no longer at b.From in b.TimeZone (another writer),
	// nothing is written and the error is ErrHistoryMoved.
	SaveCallRows(ctx context.Context, accountID int64, b HistoryBatch) error
	// ListCallRows returns the account's rows that f selects, newest first.
	ListCallRows(ctx context.Context, accountID int64, f CallFilter) ([]*CallRow, error)
	// ListDayCounts returns the account's daily rollups from the local
	// date from to to (YYYY-MM-DD, both included), by date, agent,
	// queue, campaign, category and outcome.
	ListDayCounts(ctx context.Context, accountID int64, from, to string) ([]DayCount, error)
	// ResetCallHistory deletes the account's rows, rollups, kept
	// attendance days and cursor, for a rebuild from the journal.
	ResetCallHistory(ctx context.Context, accountID int64) error
	// ListAttendanceDays returns the account's kept attendance days of
	// one date made in the zone.
	ListAttendanceDays(ctx context.Context, accountID int64, date, timeZone string) ([]AttendanceDay, error)
	// SaveAttendanceDays keeps days (replacing those of their date and
	// agent), folded from the journal when the account's cursor was at
	// seq; when an event folded since came late (LateSeq > seq), they
	// may miss it: nothing is kept and the error is ErrHistoryMoved.
	SaveAttendanceDays(ctx context.Context, accountID, seq int64, days []AttendanceDay) error
}
