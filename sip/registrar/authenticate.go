package registrar

import (
	"net/netip"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Authenticate checks the digest credentials of a request other than
// REGISTER (an INVITE, say) exactly as REGISTER's are checked: same
// realm, nonces, failure counting and bans. It returns the extension the
// credentials prove; otherwise it has answered req itself (401 with a
// challenge, 403 or 500) and returns false.
func (r *Registrar) Authenticate(req *sip.Request, tx sip.ServerTransaction) (*callfloor.Extension, bool) {
	src, ok := sourceOf(req)
	if !ok {
		r.respond(req, tx, sip.StatusForbidden, "Forbidden")
		return nil, false
	}
	ext := r.authenticate(req, tx, src, r.clock.Now())
	return ext, ext != nil
}

// Handle routes requests of method received by the registrar's SIP server
// to h, behind the same per-address protection as REGISTER (rate limit,
// bans, panics turned into 500). It is how the B2BUA receives INVITE, ACK,
// BYE and CANCEL; call it before serving.
func (r *Registrar) Handle(method sip.RequestMethod, h sipgo.RequestHandler) {
	r.methodsMu.Lock()
	r.methods = append(r.methods, string(method))
	r.methodsMu.Unlock()
	r.srv.OnRequest(method, r.guarded(func(req *sip.Request, tx sip.ServerTransaction, _ netip.AddrPort) { h(req, tx) }))
}

// UserAgent returns the registrar's SIP user agent, whose transports a
// sipgo.Client built on it sends from (the B2BUA's outgoing legs).
func (r *Registrar) UserAgent() *sipgo.UserAgent { return r.ua }
