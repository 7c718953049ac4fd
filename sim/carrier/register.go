package carrier

import (
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// registration is callfloor's registered Contact, where inbound calls go
// when there is one.
type registration struct {
	contact sip.Uri
	expires time.Time
}

// maxExpiry caps the registrations the carrier grants.
const maxExpiry = 3600

// onRegister accepts every REGISTER, without a challenge: the latest
// Contact registered (or withdrawn, with expiry 0) replaces the last.
func (c *Carrier) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	h := req.Contact()
	if h == nil {
		respond(tx, req, sip.StatusOK, "OK") // a query of the bindings: none shown
		return
	}
	expires := maxExpiry
	if e := req.GetHeader("Expires"); e != nil {
		if n, err := strconv.Atoi(e.Value()); err == nil {
			expires = n
		}
	}
	if h.Params != nil {
		if v, ok := h.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				expires = n
			}
		}
	}
	expires = max(0, min(expires, maxExpiry))
	contact := *h.Address.Clone()
	c.mu.Lock()
	if expires == 0 {
		c.reg = nil
	} else {
		c.reg = &registration{contact: contact, expires: c.clock.Now().Add(time.Duration(expires) * time.Second)}
	}
	c.mu.Unlock()
	c.log.Info("carrier: REGISTER", "contact", contact.String(), "expires", expires)
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if expires > 0 {
		granted := &sip.ContactHeader{Address: contact, Params: sip.NewParams()}
		granted.Params.Add("expires", strconv.Itoa(expires))
		res.AppendHeader(granted)
	}
	exp := sip.ExpiresHeader(expires)
	res.AppendHeader(&exp)
	_ = tx.Respond(res)
}

// target is the Request-URI of an inbound call to did: at callfloor's
// registered Contact if there is one, else at Config.PBX; false when
// there is neither.
func (c *Carrier) target(did string) (sip.Uri, bool) {
	c.mu.Lock()
	reg := c.reg
	c.mu.Unlock()
	if reg != nil && c.clock.Now().Before(reg.expires) {
		u := *reg.contact.Clone()
		u.User = did
		return u, true
	}
	if c.cfg.PBX == "" {
		return sip.Uri{}, false
	}
	var u sip.Uri
	if err := sip.ParseUri("sip:"+did+"@"+c.cfg.PBX, &u); err != nil {
		return sip.Uri{}, false
	}
	return u, true
}
