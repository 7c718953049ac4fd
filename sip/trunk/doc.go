// Package trunk is callfloor's side of SIP trunks to carriers: the
// registration client and the digest answers of outbound calls.
//
// A Client keeps every enabled registration trunk (callfloor.TrunkRegistration)
// registered with its carrier: one goroutine per trunk sends REGISTER from
// the configured Contact address, answers the carrier's 401 or 407 digest
// challenge with the trunk's credentials, refreshes the binding before the
// granted expiry runs out, backs off exponentially after a failure (a
// refused password, an error answer, no answer) and sends REGISTER with
// Expires: 0 when the trunk goes away or the client closes. Each trunk's
// Status (registered, failing with its last error, the next attempt) is
// readable at any time and reported to a callback as it changes. Reload
// rereads the trunks from the store. All waiting runs on the injected
// clock; only the SIP transactions themselves use real timers.
//
// The registered Contact carries the trunk's ID in the "cftrunk" URI
// parameter, so an INVITE the carrier sends to the registration names
// the trunk it came on (TrunkIDFromURI). IP trunks (callfloor.TrunkIP)
// never register: their inbound calls are recognised by source address
// (callfloor.Store's FindTrunksBySource).
//
// Sources, kept up to date by the client, are the addresses carriers send
// from (ip trunks' allowed sources, registration trunks' hosts), which the
// registrar trusts: a carrier is never rate-limited nor banned.
//
// Credentials answer a carrier's challenge to an outbound INVITE through a
// trunk, for the B2BUA: either directly (Authorize) or through sipgo's
// dialog client (AnswerOptions).
//
// Passwords never appear in logs, errors or Status.
package trunk
