// Package forward carries API requests for an account from the node of a
// cluster that received them to the node that owns the account, over NATS
// request and reply, and brings the answer back as if the request had
// run where it arrived.
//
// The owner's Server subscribes to <prefix>.api.<account> for each
// account it serves (Serve, Stop) and runs each request through the
// node's API handler, with a context marked Forwarded so that the API
// never forwards it again. The Client (Forward) sends the method, the
// request URI, the header fields but the hop-by-hop ones, the remote
// address and the body, and passes the answer on: a head (status and
// header fields), then the body in chunks that fit NATS' message size,
// which the client acknowledges every few chunks so that a long answer
// (a CSV report) travels at the pace its reader takes it. A body too
// large for the request's message is pulled by the owner from the
// client in chunks. Bodies above MaxBody are refused before anything is
// sent, with callfloor.ErrPayloadTooLarge.
//
// While nobody serves the account (NATS answers "no responders") or the
// node that answered says it no longer owns it (HeaderNotOwner, or an
// error answer of code callfloor.ErrNotOwner), the client sends the
// request again, waiting 10 ms and then twice as long each time up to
// 250 ms, until RetryFor has passed: then it answers not_owner (503). A
// request the owner received but did not answer within Timeout is
// answered callfloor.ErrOwnerTimeout (504) and never sent again, since
// it may have run.
//
// A Router puts the two together for the API: it forwards what this
// node does not own and leaves the rest, and every forwarded request, to
// the caller.
package forward
