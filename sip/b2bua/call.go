package b2bua

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/callfloor/callfloor/media/relay"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// side is who hung up a call.
type side int

const (
	sideNone side = iota
	sideA
	sideB
)

// byeTimeout bounds the BYE sent to the side that did not hang up.
const byeTimeout = 5 * time.Second

// call is an established call: two dialogs and the bridge between their
// media.
type call struct {
	b      *B2BUA
	id     string // the caller's Call-ID
	base   Event  // the identity fields of the call's events
	a      *sipgo.DialogServerSession
	bs     *sipgo.DialogClientSession
	bridge *relay.Bridge
	// answered is closed once the caller's 200 OK is sent and ACKed (or
	// given up on): a BYE to the caller must not overtake it.
	answered chan struct{}
	end      sync.Once
}

// hangup ends the call once: it forgets the call, BYEs the side that did
// not hang up (both when by is sideNone), closes the bridge and reports
// the end.
func (c *call) hangup(by side, reason string) {
	c.end.Do(func() {
		b := c.b
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		defer cancel()
		b.log.Debug("call hangup", "call", c.id, "by", int(by), "reason", reason)
		if by != sideA {
			select {
			case <-c.answered:
			case <-ctx.Done():
			}
			if err := c.a.Bye(ctx); err != nil {
				b.log.Debug("sip BYE to caller failed", "call", c.id, "err", err)
			}
			c.a.Close()
		}
		if by != sideB {
			if err := c.bs.Bye(ctx); err != nil {
				b.log.Debug("sip BYE to callee failed", "call", c.id, "err", err)
			}
			c.bs.Close()
		}
		// Forgotten only now: a BYE to the caller waits for the ACK of
		// its 200 OK, which must still find the call.
		b.mu.Lock()
		delete(b.byA, c.a.ID)
		delete(b.byB, c.bs.ID)
		b.mu.Unlock()
		if err := c.bridge.Close(); err != nil {
			b.log.Debug("relay close failed", "call", c.id, "err", err)
		}
		e := c.base
		e.Kind, e.Reason = Ended, reason
		b.emit(e)
	})
}

// failure is why a call could not be set up: the status for the caller
// and the reason of the Ended event.
type failure struct {
	status int
	text   string
	reason string
	err    error
}

func (f *failure) Error() string {
	if f.err != nil {
		return f.reason + ": " + f.err.Error()
	}
	return f.reason
}

func fail(status int, text, reason string, err error) *failure {
	return &failure{status: status, text: text, reason: reason, err: err}
}

// isCanceled reports whether err ends a wait for the callee because the
// caller canceled.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, sip.ErrTransactionCanceled)
}
