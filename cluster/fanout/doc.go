// Package fanout carries every account's floor events to every node of a
// cluster, so that a realtime client connected to any node sees them, in
// journal order.
//
// The account's owner hands each batch its engine journaled to a
// Publisher, which sends it to a JetStream stream on the subject
// <prefix>.ev.<account> without waiting for the server's answer: the
// engine's goroutine never waits on NATS. When NATS falls behind, the
// Publisher drops batches rather than hold the engine up, and later tells
// the receivers which sequence numbers it dropped. Live figures (events of
// Seq 0, not journaled) go on core NATS, <prefix>.live.<account>, and are
// not kept.
//
// A Receiver runs on every node, the owner's included. It reads the
// stream with an ordered consumer, from the moment it starts or from
// Replay back, and hands each account's events to its Sink (the node's
// hub) in sequence: events it already delivered are skipped, and events
// missing before a batch (a batch dropped, an answer lost, or a new
// owner whose first batch overtook the old owner's last one) are read
// from the journal first. The journal, not the stream, is the last word:
// a batch reaches the stream only after its events were committed.
//
// Resume serves a client that reconnects, to this node or another, with
// a sequence number the node's hub no longer keeps (or never had): it
// reads what the hub lacks from the journal and subscribes after it.
package fanout
