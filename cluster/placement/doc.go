// Package placement decides which node of a cluster should own which
// account.
//
// The Registry is two NATS JetStream key-value buckets. The bucket of
// nodes holds one entry per live node (key: its name; value: a JSON
// Node), which the node rewrites every TTL/3 (Join); the bucket's TTL
// removes the entry of a node that stopped, and a node that closes
// deletes it. The bucket of draining nodes has no TTL: a key per node
// an operator drained (Drain, Undrain).
//
// Pick places an account on a node by rendezvous hashing: every node
// weighs each (node, account) pair with the same fixed hash and the
// heaviest node wins, so all nodes agree without talking, and a node
// that joins or leaves moves only the accounts it wins or held.
package placement
