package floor

import "github.com/callfloor/callfloor"

// ControlAction is an in-call control of the Agent Workspace.
type ControlAction string

// In-call controls, each allowed by one permission of the Agent tab.
const (
	ControlHangup     ControlAction = "hangup"
	ControlHold       ControlAction = "hold"
	ControlMute       ControlAction = "mute"
	ControlDTMF       ControlAction = "dtmf"
	ControlTransfer   ControlAction = "transfer"
	ControlConference ControlAction = "conference"
)

// Control asks whether the agent may use an in-call control on one of its
// calls. It changes nothing: accepted, the telephony plane carries the
// control out and reports what happened (held, ended...). Extensions that
// are not agents have no Agent tab and may use every control.
type Control struct {
	Ext    int64
	CallID string
	Action ControlAction
}

func (i Control) agent() int64 { return i.Ext }

// permitted reports whether the Agent tab permits action.
func permitted(p callfloor.Permissions, action ControlAction) bool {
	switch action {
	case ControlHangup:
		return p.Hangup
	case ControlHold:
		return p.Hold
	case ControlMute:
		return p.Mute
	case ControlDTMF:
		return p.DTMF
	case ControlTransfer:
		return p.Transfer
	case ControlConference:
		return p.Conference
	}
	return false
}

func (d *decider) control(in Control) ([]callfloor.Event, error) {
	ac := d.cfg.Agents[in.Ext]
	if ac == nil {
		return nil, nil
	}
	if !permitted(ac.Permissions, in.Action) {
		return nil, callfloor.Errorf(callfloor.ErrNotPermitted, "the Agent tab does not permit %s for this agent", in.Action)
	}
	if d.s.Agent(in.Ext).line(in.CallID) == nil {
		return nil, callfloor.Errorf(callfloor.ErrUnknownCall, "the agent has no call %s", in.CallID)
	}
	return nil, nil
}

// record journals a call step.
func (d *decider) record(in Record) ([]callfloor.Event, error) {
	if in.Call.CallID == "" || in.Call.Step == "" {
		return nil, callfloor.Errorf(callfloor.ErrFieldRequired, "a call record needs a call ID and a step")
	}
	ev := d.event(callfloor.EventCallRecord, 0, 0)
	rec := in.Call
	rec.Parties = append([]int64(nil), in.Call.Parties...)
	ev.Record = &rec
	return []callfloor.Event{ev}, nil
}

// TransferOut asks whether the agent may hand call CallID over to an
// outside number (a blind transfer through a trunk). Like a manual call
// out, it goes through the agent's outbound queue: without one it is
// refused with no_outbound_queue; accepted, it is journaled as that
// queue's outbound step (reason "transfer"), which the ACD counts.
// Extensions that are not agents are not the floor's business.
type TransferOut struct {
	Ext    int64
	CallID string
	Number string
}

func (i TransferOut) agent() int64 { return i.Ext }

func (d *decider) transferOut(in TransferOut) ([]callfloor.Event, error) {
	ac := d.cfg.Agents[in.Ext]
	if ac == nil {
		return nil, nil
	}
	switch {
	case in.CallID == "" || in.Number == "":
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "number", "a number to transfer to is required")
	case !ac.Permissions.Transfer:
		return nil, callfloor.Errorf(callfloor.ErrNotPermitted, "the Agent tab does not permit transfer for this agent")
	case d.s.Agent(in.Ext).line(in.CallID) == nil:
		return nil, callfloor.Errorf(callfloor.ErrUnknownCall, "the agent has no call %s", in.CallID)
	case ac.OutboundQueueID == 0:
		return nil, callfloor.Errorf(callfloor.ErrNoOutboundQueue, "the agent has no outbound queue, so a transfer out cannot be counted and is refused")
	}
	ev := d.event(callfloor.EventCallRecord, 0, 0)
	ev.Record = &callfloor.CallRecord{CallID: in.CallID, Step: "outbound", Reason: OutboundTransfer,
		QueueID: ac.OutboundQueueID, Ext: in.Ext, Number: in.Number}
	return []callfloor.Event{ev}, nil
}

// OutboundTransfer is the Reason of the outbound step of a transfer out
// (a manual call's has none).
const OutboundTransfer = "transfer"
