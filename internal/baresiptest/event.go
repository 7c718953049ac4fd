package baresiptest

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// EventType is the type of a baresip event, as baresip 1.0 names it.
type EventType string

// The events of baresip 1.0 a test waits for.
const (
	Registering     EventType = "REGISTERING"
	RegisterOK      EventType = "REGISTER_OK"
	RegisterFail    EventType = "REGISTER_FAIL"
	Unregistering   EventType = "UNREGISTERING"
	CallIncoming    EventType = "CALL_INCOMING" // only when answering by hand
	CallRinging     EventType = "CALL_RINGING"  // an outgoing call rings
	CallProgress    EventType = "CALL_PROGRESS" // early media
	CallEstablished EventType = "CALL_ESTABLISHED"
	CallClosed      EventType = "CALL_CLOSED"   // Param is the reason
	CallRTPEstab    EventType = "CALL_RTPESTAB" // the first RTP packet came
	CallRTCP        EventType = "CALL_RTCP"     // RTCP statistics, every few seconds
	// CallTransfer is a REFER received: Param is the Refer-To URI that
	// baresip calls.
	CallTransfer   EventType = "TRANSFER"
	TransferFailed EventType = "TRANSFER_FAILED"
	// DTMFStart is a digit received (RFC 4733 or SIP INFO): Param is the
	// digit; DTMFEnd its end.
	DTMFStart     EventType = "CALL_DTMF_START"
	DTMFEnd       EventType = "CALL_DTMF_END"
	CallLocalSDP  EventType = "CALL_LOCAL_SDP"  // Param is offer or answer
	CallRemoteSDP EventType = "CALL_REMOTE_SDP" // Param is offer or answer
)

// Event is an event baresip reported on its control port.
type Event struct {
	Type      EventType `json:"type"`
	Class     string    `json:"class"`      // call, register, other...
	Account   string    `json:"accountaor"` // the account's address of record
	Direction string    `json:"direction"`  // incoming or outgoing (call events)
	Peer      string    `json:"peeruri"`    // the other party (call events)
	CallID    string    `json:"id"`         // the SIP Call-ID (call events)
	Param     string    `json:"param"`
}

func (e Event) String() string {
	s := string(e.Type)
	if e.Param != "" {
		s += "(" + e.Param + ")"
	}
	return s
}

// Is returns a predicate matching events of the given types.
func Is(types ...EventType) func(Event) bool {
	return func(e Event) bool {
		for _, t := range types {
			if e.Type == t {
				return true
			}
		}
		return false
	}
}

// eventLog keeps every event of a phone in order; each is handed to at
// most one waiter.
type eventLog struct {
	mu      sync.Mutex
	events  []Event
	taken   []bool
	changed chan struct{} // closed and replaced when an event arrives
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{})} }

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.taken = append(l.taken, false)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

func (l *eventLog) skip() {
	l.mu.Lock()
	for i := range l.taken {
		l.taken[i] = true
	}
	l.mu.Unlock()
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// wait returns the oldest event not yet taken that matches, waiting for
// one until ctx is done or gone (baresip went away).
func (l *eventLog) wait(ctx context.Context, gone <-chan struct{}, match func(Event) bool) (Event, error) {
	for {
		l.mu.Lock()
		for i, e := range l.events {
			if !l.taken[i] && match(e) {
				l.taken[i] = true
				l.mu.Unlock()
				return e, nil
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-gone:
			return Event{}, fmt.Errorf("baresiptest: baresip went away; events so far: %s", l.summary())
		case <-ctx.Done():
			return Event{}, fmt.Errorf("baresiptest: event not seen (%w); events so far: %s", ctx.Err(), l.summary())
		}
	}
}

// summary lists the events so far, skipping the chatty SDP ones.
func (l *eventLog) summary() string {
	var s []string
	for _, e := range l.all() {
		if e.Type != CallLocalSDP && e.Type != CallRemoteSDP && e.Type != CallRTCP {
			s = append(s, e.String())
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}
