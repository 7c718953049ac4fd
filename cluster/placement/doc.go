// Package placement decides which node of a cluster should own which
// account, and drives each node's owner manager (cluster/owner) toward
// that.
//
// The Registry is two NATS JetStream key-value buckets. The bucket of
// nodes holds one entry per live node (key: its name; value: a JSON
// Node), which the node rewrites every TTL/3 once it has joined (Join);
// the bucket's TTL removes the entry of a node that stopped, and a node
// that closes deletes it at once. The bucket of draining nodes has no
// TTL: a key per node an operator drained (Drain, Undrain), live or not.
//
// Pick places an account by rendezvous hashing: every node weighs each
// (node, account) pair with the same fixed hash and the heaviest node
// wins, so the nodes agree without talking, and a node that joins or
// leaves moves only the accounts it wins or held. The candidates are the
// live nodes that do not drain, or, when every live node drains, all the
// live nodes: an account is never left without one.
//
// A Placer runs on each node, one round every Interval and one at once
// when a node joins or leaves or a drain starts or ends. A round reads
// the live and draining nodes, the accounts and who holds each lease,
// and for each account, with its candidates in their order of weight
// (the designated node first):
//
//   - placed here, the lease free: take it (Owner.Own). A lease another
//     node holds is left alone; that node hands it over when idle, or
//     the lease expires when that node died.
//   - owned here, placed elsewhere (or this node drains): give it up
//     (Owner.Disown), but only while it is not busy (no call in
//     progress). No node takes an account mid-call: a node that comes
//     back, or joins, waits until the owner is idle.
//   - the lease free for a while: the node n-th in the account's order
//     takes it once the lease has been free n Graces, as this node saw
//     it (the second after one Grace, the third after two). An account
//     whose designated node is slow or fails to take it is soon owned
//     by another; the designated node's placer does not need to be up.
//     The node that took it so keeps it ten Graces before handing it
//     to the designated node (when idle), so that an account does not
//     bounce every Grace between a node that fails and the next one.
//
// A node that does not see itself in the registry does nothing, so that
// it never places accounts by another view than the others'. A failed
// Own is tried again a Grace later, which lets the next in line take the
// account meanwhile. At most Parallel calls of Own or Disown run at
// once; a round waits for them before the next. Decisions are logged at
// Info (account, from, to, why), failures at Warn, quiet rounds not at
// all.
package placement
