package carrier

import (
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor/sip/sdp"
)

// call is a call in progress (answered, or about to be), either way.
type call struct {
	id     string // the dialog ID
	callID string
	dialog *sipgo.Dialog
	srv    *sipgo.DialogServerSession // a call callfloor placed
	cli    *sipgo.DialogClientSession // a call the carrier placed
	media  *stream

	mu      sync.Mutex
	session uint64 // the SDP session ID
	version uint64 // the SDP version, one up with each answer to a re-INVITE
}

// add registers a call so that its in-dialog requests find it.
func (c *Carrier) add(cl *call) {
	c.mu.Lock()
	c.calls[cl.id] = cl
	c.mu.Unlock()
}

func (c *Carrier) remove(cl *call) {
	c.mu.Lock()
	delete(c.calls, cl.id)
	c.mu.Unlock()
}

// find finds the call of an in-dialog request, from either side's point
// of view.
func (c *Carrier) find(req *sip.Request) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if cl := c.calls[id]; cl != nil {
			return cl
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		return c.calls[id]
	}
	return nil
}

// onAck confirms the answer to a call from callfloor (or to a
// re-INVITE).
func (c *Carrier) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if cl := c.find(req); cl != nil && cl.srv != nil {
		_ = cl.srv.ReadAck(req, tx)
	}
}

// onBye ends a call from callfloor's side: the call's goroutine sees
// its dialog end.
func (c *Carrier) onBye(req *sip.Request, tx sip.ServerTransaction) {
	cl := c.find(req)
	if cl == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	var err error
	if cl.srv != nil {
		err = cl.srv.ReadBye(req, tx)
	} else {
		err = cl.cli.ReadBye(req, tx)
	}
	if err != nil {
		c.log.Debug("carrier: BYE", "call", cl.callID, "err", err)
		respond(tx, req, sip.StatusOK, "OK")
	}
}

// onCancel gets the CANCELs that match no INVITE (the transaction layer
// answers the others, and their INVITE gets 487).
func (c *Carrier) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// onOptions answers keep-alives and capability queries.
func (c *Carrier) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	respond(tx, req, sip.StatusOK, "OK",
		sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REGISTER"),
		sip.NewHeader("Accept", "application/sdp"))
}

// onInfo accepts INFO inside a call (SIP INFO DTMF is not counted:
// digits count when they come as RFC 4733 events).
func (c *Carrier) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if c.find(req) == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, sip.StatusOK, "OK")
}

// onReinvite answers a new offer inside a call (callfloor holding or
// resuming the carrier's side, or moving its media).
func (c *Carrier) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	cl := c.find(req)
	if cl == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if err := cl.dialog.ReadRequest(req, tx); err != nil {
		respond(tx, req, sip.StatusInternalServerError, "Server Internal Error")
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	cl.mu.Lock()
	cl.version++
	local := cl.media.local(cl.session)
	local.Version = cl.version
	cl.mu.Unlock()
	ans, n, err := sdp.Answer(offer, local)
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	ans.Origin = origin(local)
	cl.media.negotiated(n)
	c.log.Info("carrier: re-INVITE", "call", cl.callID, "direction", string(n.Direction))
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", ans.Marshal())
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	contact := c.dua.ContactHDR
	res.AppendHeader(&contact)
	_ = tx.Respond(res)
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}
