// Package sipview answers the look-ups of every REGISTER and INVITE from
// memory: SIP credentials by username, extensions by id and by number,
// trunks by source address and inbound numbers by the number dialled. The
// server's wiring (cmd/callfloor) hands a View to the registrar, the
// B2BUA and the trunk router in place of the store, so that no call waits
// for the database.
//
// A View holds every account's extensions, trunks and inbound numbers,
// loaded in full at start rather than per account on first use: the
// look-ups by SIP username, source address and dialled number do not name
// the account, so a lazy view would still query the database on every
// miss, including each unknown username a scanner tries. An extension
// costs about 1 KB in memory (see BenchmarkMemory): a server hosting 300
// accounts of 3,000 extensions holds some 900 MB... no: see the README of
// the figure measured; trunks and inbound numbers are few beside them.
//
// It never serves a change late. Apply loads one changed object again
// (and forgets it when it is gone); the store calls it after each commit,
// before the write returns to the API (sqlstore.Store.OnChange), so the
// REGISTER or INVITE that follows sees the change. Other servers of the
// same PostgreSQL database hear the change through postgres.Listener,
// which calls Apply too, and Reload when it has listened again after a
// lost connection; Run reloads everything now and then besides, in case
// a change was missed all the same. Loads run one at a time, so a later
// load always installs newer data than an earlier one.
//
// Every answer is a copy: a caller may change it freely.
package sipview
