// Package lease keeps leases on accounts (or anything with a key) in a
// NATS JetStream key-value bucket, so that one node of a cluster at a
// time owns an account's live state.
//
// A lease is a key whose value names its holder. Acquire creates it and
// fails with callfloor.ErrLeaseHeld while another holds it; Renew
// rewrites it under the revision the holder's last write left, and
// Release deletes it under that revision: a revision that moved on
// means another node took the key, and the answer is
// callfloor.ErrLeaseLost. The bucket's TTL (the stream's MaxAge) removes
// a value nobody renewed, so the lease of a node that died frees itself.
//
// A Keeper renews a lease every TTL/3 and calls its lost function at
// once when a renewal fails, or when no renewal came back before the
// lease's local deadline, three quarters of the TTL after the last good
// renewal was sent: the holder stops deciding before the server can
// hand the key to another. The lease alone cannot stop a paused process
// from writing late; the journal's ownership epoch does
// (callfloor.Ownership): a node takes the epoch after it acquires the
// lease and fences its appends with it.
package lease
