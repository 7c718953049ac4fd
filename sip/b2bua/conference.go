package b2bua

import "github.com/callfloor/callfloor/media/relay"

// conference joins an agent's lines: the agent's phone leg (the hub) and
// the other party of each call, mixed. When one call is left it becomes
// a plain call again. Guarded by B2BUA.mu.
type conference struct {
	mix   *relay.Conference
	hub   *leg
	calls map[*call]*leg // the other party of each call
}

// remove takes call c out of the conference.
func (cf *conference) remove(c *call) {
	far, ok := cf.calls[c]
	if !ok {
		return
	}
	delete(cf.calls, c)
	c.conf = nil
	if far != nil {
		cf.mix.Remove(far.media)
	}
	if len(cf.calls) > 1 {
		return
	}
	cf.mix.Remove(cf.hub.media)
	for r, rfar := range cf.calls {
		delete(cf.calls, r)
		cf.mix.Remove(rfar.media)
		r.conf = nil
		if !cf.hub.gone {
			cf.hub.active = r
		}
		r.remedia()
	}
	cf.mix.Close()
}

// rehub puts nl in the mix in place of the hub leg, when the agent's page
// phone comes back with a new leg after a reload.
func (cf *conference) rehub(nl *leg) error {
	cf.mix.Remove(cf.hub.media)
	if err := cf.mix.Add(nl.media); err != nil {
		return err
	}
	cf.hub = nl
	return nil
}
