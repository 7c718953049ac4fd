package registrar

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// storeTimeout bounds the credential look-up of one REGISTER.
const storeTimeout = 5 * time.Second

// register handles a REGISTER: authenticate, then change the bindings.
func (r *Registrar) register(req *sip.Request, tx sip.ServerTransaction, src netip.AddrPort) {
	now := r.clock.Now()
	ext := r.authenticate(req, tx, src, now)
	if ext == nil {
		return
	}
	if to := req.To(); to == nil || (to.Address.User != ext.SIPUsername && to.Address.User != ext.Number) {
		// The credentials are good but for another address of record.
		r.respond(req, tx, sip.StatusForbidden, "Forbidden")
		return
	}
	if r.cfg.Owns != nil && !r.cfg.Owns(ext.AccountID) {
		r.respond(req, tx, sip.StatusServiceUnavailable, "Service Unavailable", sip.NewHeader("Retry-After", "1"))
		return
	}
	u, code, hs := r.parseUpdate(req)
	if code != 0 {
		r.respond(req, tx, code, reasonFor(code), hs...)
		return
	}
	k := aor{ext.AccountID, ext.ID}
	u.template.AccountID, u.template.ExtensionID = k.account, k.ext
	var bs []Binding
	if u.contacts == nil && !u.wildcard {
		bs = r.table.contacts(k, now) // a query: list, change nothing
	} else {
		var res applyResult
		bs, res = r.table.apply(k, now, u)
		switch res {
		case outOfOrder:
			r.respond(req, tx, sip.StatusInternalServerError, "Request Out Of Order")
			return
		case tooMany:
			r.log.Info("sip registration refused: too many contacts", "account", k.account, "ext", k.ext)
			r.respond(req, tx, sip.StatusForbidden, "Too Many Contacts")
			return
		}
	}
	hs = make([]sip.Header, 0, len(bs)+1)
	for _, b := range bs {
		secs := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		hs = append(hs, sip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(secs)))
	}
	hs = append(hs, sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	r.respond(req, tx, sip.StatusOK, "OK", hs...)
}

// authenticate checks the digest credentials of req and returns the
// extension they prove, or answers req itself and returns nil.
func (r *Registrar) authenticate(req *sip.Request, tx sip.ServerTransaction, src netip.AddrPort, now time.Time) *callfloor.Extension {
	cred, ok := authorization(req, r.cfg.Realm)
	if !ok {
		r.challenge(req, tx, now, false)
		return nil
	}
	switch r.nonces.check(cred.Nonce, now) {
	case nil:
	case errNonceStale:
		// Stale says nothing about the user: it is decided from the nonce
		// alone, so it cannot tell known usernames apart.
		r.challenge(req, tx, now, true)
		return nil
	default:
		r.challenge(req, tx, now, false)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	ext, err := r.cfg.Store.FindSIPCredentials(ctx, cred.Username)
	if err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotFound {
		r.log.Error("sip credentials look-up failed", "err", err)
		r.respond(req, tx, sip.StatusInternalServerError, "Server Internal Error")
		return nil
	}
	if !verify(cred, ext, req.Method.String()) {
		ip := src.Addr()
		attrs := []any{"source", ip.String()}
		if ext != nil {
			attrs = append(attrs, "account", ext.AccountID, "ext", ext.ID)
		}
		r.log.Info("sip authentication failed", attrs...)
		if !r.exempt(src) && r.guard.fail(ip, cred.Username, now) {
			r.log.Warn("sip source banned after failed authentications", "source", ip.String(), "until", now.Add(r.cfg.BanTime))
		}
		r.challenge(req, tx, now, false)
		return nil
	}
	r.guard.succeed(src.Addr(), cred.Username)
	return ext
}

// verify checks cred against ext's HA1 for its algorithm. An unknown user
// (ext nil) is checked against a dummy hash so that both take as long.
func verify(cred *digest.Credentials, ext *callfloor.Extension, method string) bool {
	ha1 := strings.Repeat("0", 32)
	if strings.EqualFold(cred.Algorithm, "SHA-256") {
		ha1 = strings.Repeat("0", 64)
	}
	if ext != nil {
		ha1 = ext.SIPHA1
		if strings.EqualFold(cred.Algorithm, "SHA-256") {
			ha1 = ext.SIPHA1SHA256
		}
	}
	return checkResponse(cred, ha1, method) && ext != nil
}

// challenge answers 401 with a fresh nonce.
func (r *Registrar) challenge(req *sip.Request, tx sip.ServerTransaction, now time.Time, stale bool) {
	r.respond(req, tx, sip.StatusUnauthorized, "Unauthorized", challenge(r.cfg.Algorithms, r.cfg.Realm, r.nonces.issue(now), stale)...)
}

// parseUpdate reads the contacts and expiries of a REGISTER. A non-zero
// code is the error answer, with its headers.
func (r *Registrar) parseUpdate(req *sip.Request) (update, int, []sip.Header) {
	u := update{max: r.cfg.MaxContacts, template: Binding{
		Source: req.Source(), Transport: strings.ToUpper(req.Transport()),
	}}
	if h := req.CallID(); h != nil {
		u.template.CallID = h.Value()
	}
	if h := req.CSeq(); h != nil {
		u.template.CSeq = h.SeqNo
	}
	if h := req.GetHeader("User-Agent"); h != nil {
		u.template.UserAgent = h.Value()
	}
	def, hasExpires := r.cfg.DefaultExpires, false
	if h := req.GetHeader("Expires"); h != nil {
		secs, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return u, sip.StatusBadRequest, nil
		}
		def, hasExpires = time.Duration(secs)*time.Second, true
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return u, sip.StatusBadRequest, nil
		}
		if c.Address.Wildcard {
			u.wildcard = true
			continue
		}
		if c.Address.Host == "" {
			return u, sip.StatusBadRequest, nil
		}
		exp := def
		if v, ok := c.Params.Get("expires"); ok {
			secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return u, sip.StatusBadRequest, nil
			}
			exp = time.Duration(secs) * time.Second
		}
		if exp > 0 && exp < r.cfg.MinExpires {
			return u, sip.StatusIntervalToBrief, []sip.Header{
				sip.NewHeader("Min-Expires", strconv.Itoa(int(r.cfg.MinExpires/time.Second))),
			}
		}
		u.contacts = append(u.contacts, contactReq{
			uri: c.Address.String(), host: c.Address.Host, expires: min(exp, r.cfg.MaxExpires),
		})
	}
	// "Contact: *" removes everything, and only with Expires: 0 and alone
	// (RFC 3261 10.2.2).
	if u.wildcard && (len(u.contacts) > 0 || !hasExpires || def != 0) {
		return u, sip.StatusBadRequest, nil
	}
	return u, 0, nil
}

func reasonFor(code int) string {
	switch code {
	case sip.StatusBadRequest:
		return "Bad Request"
	case sip.StatusIntervalToBrief:
		return "Interval Too Brief"
	}
	return "Error"
}
