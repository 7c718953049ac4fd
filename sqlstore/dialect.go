package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect is what differs between the SQL databases the store runs on. The
// store writes its queries with "?" placeholders and portable SQL.
type Dialect struct {
	// Name is the database's name, for logs and errors.
	Name string
	// NumberedPlaceholders rewrites "?" to "$1", "$2"... (PostgreSQL).
	NumberedPlaceholders bool
	// LockRows appends FOR UPDATE to the query that locks an account's row
	// at the start of its write transactions. Without it the database must
	// serialise writers itself (SQLite's single writer connection).
	LockRows bool
	// IsUniqueViolation reports whether err is the driver's unique
	// constraint violation.
	IsUniqueViolation func(err error) bool
	// MigrationLock, when not empty, is run first in the migration
	// transaction so that two processes starting together do not both
	// migrate (PostgreSQL takes an advisory lock with it).
	MigrationLock string
	// AnalyzeLeads, when not empty, is run after a large batch of leads
	// is stored, so that the planner sees the tables' new size at once
	// rather than at the next automatic analysis (PostgreSQL's planner
	// would otherwise scan the whole numbers table for each duplicate
	// check of the next batch).
	AnalyzeLeads string
	// Relaxed is how a write commits without waiting for the disk
	// (Store.writeRelaxed): statements run on the connection before the
	// transaction and after it, and one run first inside it. Empty: such
	// writes commit as every other.
	Relaxed Relaxed
	// NotifyChange, when not empty, is run in every transaction that
	// changes an object the SIP plane looks up, with the change's text
	// (callfloor.Change.String) as its one argument, so that other
	// processes on the database hear of it when it commits (PostgreSQL's
	// pg_notify).
	NotifyChange string
}

// Relaxed are the statements of a commit that does not wait for the
// disk. The database must keep such commits in order and whole: a crash
// of the machine may lose the last of them, never a part of one, and
// never one before a durable commit that followed it.
type Relaxed struct {
	Before, Inside, After string
}

// Rebind rewrites the "?" placeholders of query for the dialect. The
// store's queries never hold "?" in string literals.
func (d *Dialect) Rebind(query string) string {
	if !d.NumberedPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

func (d *Dialect) uniqueViolation(err error) bool {
	return err != nil && d.IsUniqueViolation != nil && d.IsUniqueViolation(err)
}
