// Package sipview answers the look-ups of every REGISTER and INVITE from
// memory: SIP credentials by username, extensions by id and by number,
// trunks by source address, inbound numbers by the number dialled and an
// outside call's caller-ID pool. The
// server's wiring (cmd/callfloor) hands a View to the registrar, the
// B2BUA and the trunk router in place of the store, so that no call waits
// for the database.
//
// A View holds every account's extensions, trunks, inbound numbers and
// caller-ID pools,
// loaded in full at start rather than per account on first use: the
// look-ups by SIP username, source address and dialled number do not name
// the account, so a lazy view would still query the database on every
// miss, including each unknown username a scanner tries. The price is
// memory: about 600 bytes an extension (BenchmarkMemory), so 100 accounts
// of 3,000 extensions take some 180 MB; trunks, inbound numbers and
// pools are few beside them.
//
// A change is seen by the next REGISTER or INVITE after the write that
// made it returns. Apply loads the changed object again (and forgets it
// when it is gone, or when it cannot be loaded: a phone is refused rather
// than let in on old credentials); the store calls it after each commit,
// before the write returns to the API (sqlstore.Store.OnChange). The
// other servers of a PostgreSQL database hear of the commit through
// postgres.Listener, within milliseconds, and call Apply too; a listener
// that lost its connection calls Reload once it listens again. Run
// reloads everything now and then besides, in case a change was missed
// all the same. Loads run one at a time, so a later load always installs
// newer data than an earlier one.
//
// Every answer is a copy: a caller may change it freely.
package sipview
