package sqlstore

import (
	"database/sql"
	"strings"
	"time"
)

// Times are stored as BIGINT Unix milliseconds and read back in UTC.

func truncMS(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func toMS(t time.Time) int64 { return t.UnixMilli() }

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// timePtr reads an optional time.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// nullID stores an optional reference: nil for NULL.
func nullID(id *int64) any {
	if id == nil {
		return nil
	}
	return *id
}

// idPtr reads an optional reference.
func idPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	id := v.Int64
	return &id
}

func cloneID(id *int64) *int64 {
	if id == nil {
		return nil
	}
	v := *id
	return &v
}

// foldKey is the case-insensitive key of a name: unique names are unique
// by it, and lists are ordered by it, the same way in every database.
func foldKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}
