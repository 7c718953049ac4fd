// Package sqlstore implements callfloor.Store once, over database/sql, for
// every SQL database callfloor runs on. The sqlite and postgres packages open
// their database, apply their own migrations and hand the connections to New
// with a Dialect that tells the few things that differ: placeholder style,
// row locking and how a driver reports a unique violation.
//
// Every mutation runs in one transaction. An account-scoped write first
// locks the account's row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has a
// single writer), so the rules that span rows, such as agent licences and
// numbers shared by extensions and queues, hold under concurrency. Times are
// stored as Unix milliseconds.
//
// A write to what the SIP plane looks up (accounts, extensions, trunks and
// their sources, inbound numbers, caller-ID pools) records each object it changes with
// conn.changed: the store's watchers (Store.OnChange, the server's
// in-memory SIP view) hear of it once the transaction commits, and a
// Dialect with NotifyChange (PostgreSQL) tells the other processes on the
// database in the same transaction. A write that forgets it leaves every
// server's view stale until its next full reload.
package sqlstore
