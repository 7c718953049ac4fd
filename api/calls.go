package api

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// CallControl carries out in-call controls on the telephony plane;
// sip/b2bua.B2BUA implements it. Each names the call and the extension
// whose side acts, and answers with a callfloor error code when it
// cannot (unknown_call, call_state_conflict, not_found...).
type CallControl interface {
	Hangup(ctx context.Context, account, ext int64, callID string) error
	Hold(ctx context.Context, account, ext int64, callID string, held bool) error
	Mute(ctx context.Context, account, ext int64, callID string, muted bool) error
	SendDTMF(ctx context.Context, account, ext int64, callID, keys string) error
	Transfer(ctx context.Context, account, ext int64, callID, number string) error
	Consult(ctx context.Context, account, ext int64, callID, number string) (string, error)
	CompleteTransfer(ctx context.Context, account, ext int64, consultID string) error
	Conference(ctx context.Context, account, ext int64, callIDs []string) error
	Dial(ctx context.Context, account int64, ext *callfloor.Extension, callID, number string) error
}

// Settler is a CallControl that can wait until the call events its
// controls caused have reached the floor.
type Settler interface {
	Settle(ctx context.Context) error
}

// settleWait bounds how long a control's answer waits for its events.
const settleWait = 2 * time.Second

// callRoutes are the in-call controls of the Agent Workspace. The Agent
// tab's permissions apply to agents; participants may use them all.
func callRoutes() []route {
	const ok = http.StatusOK
	return []route{
		{"POST", "/api/v1/floor/me/calls/hangup", agent, ok, "hangupCall", "calls", "Hang up one of the caller's calls", write((*Server).hangupCall)},
		{"POST", "/api/v1/floor/me/calls/hold", agent, ok, "holdCall", "calls", "Put a call on hold: the other party hears music", write((*Server).holdCall)},
		{"POST", "/api/v1/floor/me/calls/resume", agent, ok, "resumeCall", "calls", "Take a call off hold; the caller's other lines go on hold", write((*Server).resumeCall)},
		{"POST", "/api/v1/floor/me/calls/mute", agent, ok, "muteCall", "calls", "Mute the caller's phone on a call: the other party hears silence", write((*Server).muteCall)},
		{"POST", "/api/v1/floor/me/calls/unmute", agent, ok, "unmuteCall", "calls", "Unmute the caller's phone on a call", write((*Server).unmuteCall)},
		{"POST", "/api/v1/floor/me/calls/dtmf", agent, ok, "sendDTMF", "calls", "Send DTMF keys to the other party (RFC 4733)", write((*Server).sendDTMF)},
		{"POST", "/api/v1/floor/me/calls/transfer", agent, ok, "transferCall", "calls", "Transfer a call: blind (Transfer Now), or attended (Call First: the call goes on hold and the target is called on a new line)", write((*Server).transferCall)},
		{"POST", "/api/v1/floor/me/calls/complete-transfer", agent, ok, "completeTransfer", "calls", "Complete an attended transfer from its consultation call: the held party is connected to the target; hang the consultation up instead to cancel", write((*Server).completeTransfer)},
		{"POST", "/api/v1/floor/me/calls/conference", agent, ok, "conferenceCalls", "calls", "Join two or more of the caller's lines into a conference", write((*Server).conferenceCalls)},
		{"PUT", "/api/v1/floor/me/calls/notes", agent, ok, "putCallNotes", "calls", "Set the notes and CRM tags of one of the caller's calls, up or in wrap-up; the disposition takes them up", write((*Server).putCallNotes)},
	}
}

// callInput names one of the caller's calls.
type callInput struct {
	CallID string `json:"call_id" api:"required"`
}

// dtmfInput is keys to send on a call.
type dtmfInput struct {
	CallID string `json:"call_id" api:"required"`
	// Digits are 1 to 32 of 0-9, *, # and A-D.
	Digits string `json:"digits" api:"required"`
}

// transferInput is a transfer of a call to a number.
type transferInput struct {
	CallID string `json:"call_id" api:"required"`
	// Number is the target's extension number.
	Number string `json:"number" api:"required"`
	// Mode is "blind" (the default) or "attended".
	Mode string `json:"mode"`
}

// conferenceInput lists the calls to join.
type conferenceInput struct {
	CallIDs []string `json:"call_ids" api:"required"`
}

// CallResult answers an in-call control: the call it created (an
// attended transfer's consultation) and the caller's agent after it (null
// for an extension that is not an agent).
type CallResult struct {
	CallID string     `json:"call_id,omitempty"`
	Agent  *AgentView `json:"agent"`
}

var digitsRe = regexp.MustCompile(`^[0-9*#A-D]{1,32}$`)

// control checks an in-call control with the floor, then runs it.
func (s *Server) control(w http.ResponseWriter, r *http.Request, callID string, action floor.ControlAction, run func(ctx context.Context, account, ext int64) (string, error)) (*CallResult, error) {
	ctx, a := r.Context(), actorOf(r)
	if callID == "" {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "call_id", "call_id is required")
	}
	ext, err := s.myExtension(ctx)
	if err != nil {
		return nil, err
	}
	if s.calls == nil {
		return nil, errorf(callfloor.ErrTelephonyOff, "the server runs without its telephony plane")
	}
	if err := s.floorDo(w, r, floor.Control{Ext: ext, CallID: callID, Action: action}); err != nil {
		return nil, err
	}
	id, err := run(ctx, a.AccountID, ext)
	if err != nil {
		return nil, err
	}
	if st, ok := s.calls.(Settler); ok {
		// The answer shows the state the control led to; past a short
		// wait it shows what there is, and the stream brings the rest.
		sctx, cancel := context.WithTimeout(ctx, settleWait)
		_ = st.Settle(sctx)
		cancel()
	}
	res := &CallResult{CallID: id}
	if v, err := s.oneAgent(ctx, a.AccountID, ext); err == nil {
		res.Agent = v
	} else if callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
		return nil, err
	}
	return res, nil
}

func (s *Server) hangupCall(w http.ResponseWriter, r *http.Request, dec decoder[callInput]) (*CallResult, error) {
	var in callInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	return s.control(w, r, in.CallID, floor.ControlHangup, func(ctx context.Context, account, ext int64) (string, error) {
		return "", s.calls.Hangup(ctx, account, ext, in.CallID)
	})
}

func (s *Server) holdCall(w http.ResponseWriter, r *http.Request, dec decoder[callInput]) (*CallResult, error) {
	return s.setHold(w, r, dec, true)
}

func (s *Server) resumeCall(w http.ResponseWriter, r *http.Request, dec decoder[callInput]) (*CallResult, error) {
	return s.setHold(w, r, dec, false)
}

func (s *Server) setHold(w http.ResponseWriter, r *http.Request, dec decoder[callInput], held bool) (*CallResult, error) {
	var in callInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	return s.control(w, r, in.CallID, floor.ControlHold, func(ctx context.Context, account, ext int64) (string, error) {
		return "", s.calls.Hold(ctx, account, ext, in.CallID, held)
	})
}

func (s *Server) muteCall(w http.ResponseWriter, r *http.Request, dec decoder[callInput]) (*CallResult, error) {
	return s.setMute(w, r, dec, true)
}

func (s *Server) unmuteCall(w http.ResponseWriter, r *http.Request, dec decoder[callInput]) (*CallResult, error) {
	return s.setMute(w, r, dec, false)
}

func (s *Server) setMute(w http.ResponseWriter, r *http.Request, dec decoder[callInput], muted bool) (*CallResult, error) {
	var in callInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	return s.control(w, r, in.CallID, floor.ControlMute, func(ctx context.Context, account, ext int64) (string, error) {
		if err := s.calls.Mute(ctx, account, ext, in.CallID, muted); err != nil {
			return "", err
		}
		// The phone is muted: the floor records it, so every page shows it.
		return "", s.floorDo(w, r, floor.Mute{Ext: ext, CallID: in.CallID, Muted: muted})
	})
}

func (s *Server) sendDTMF(w http.ResponseWriter, r *http.Request, dec decoder[dtmfInput]) (*CallResult, error) {
	var in dtmfInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if !digitsRe.MatchString(in.Digits) {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "digits", "digits must be 1 to 32 of 0-9, *, # and A-D")
	}
	return s.control(w, r, in.CallID, floor.ControlDTMF, func(ctx context.Context, account, ext int64) (string, error) {
		return "", s.calls.SendDTMF(ctx, account, ext, in.CallID, in.Digits)
	})
}

func (s *Server) transferCall(w http.ResponseWriter, r *http.Request, dec decoder[transferInput]) (*CallResult, error) {
	var in transferInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	switch {
	case in.Number == "":
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "number", "number is required")
	case !dialNumberRe.MatchString(in.Number):
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "number", "number must be 1 to 32 digits, * or #, optionally starting with +")
	case in.Mode != "" && in.Mode != "blind" && in.Mode != "attended":
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "mode", "mode must be blind or attended")
	}
	return s.control(w, r, in.CallID, floor.ControlTransfer, func(ctx context.Context, account, ext int64) (string, error) {
		if in.Mode == "attended" {
			return s.calls.Consult(ctx, account, ext, in.CallID, in.Number)
		}
		return "", s.calls.Transfer(ctx, account, ext, in.CallID, in.Number)
	})
}

func (s *Server) completeTransfer(w http.ResponseWriter, r *http.Request, dec decoder[callInput]) (*CallResult, error) {
	var in callInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	return s.control(w, r, in.CallID, floor.ControlTransfer, func(ctx context.Context, account, ext int64) (string, error) {
		return "", s.calls.CompleteTransfer(ctx, account, ext, in.CallID)
	})
}

func (s *Server) conferenceCalls(w http.ResponseWriter, r *http.Request, dec decoder[conferenceInput]) (*CallResult, error) {
	var in conferenceInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if len(in.CallIDs) < 2 {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "call_ids", "a conference needs at least two calls")
	}
	return s.control(w, r, in.CallIDs[0], floor.ControlConference, func(ctx context.Context, account, ext int64) (string, error) {
		for _, id := range in.CallIDs[1:] {
			if err := s.floorDo(w, r, floor.Control{Ext: ext, CallID: id, Action: floor.ControlConference}); err != nil {
				return "", err
			}
		}
		return "", s.calls.Conference(ctx, account, ext, in.CallIDs)
	})
}

type callNotesInput struct {
	CallID string   `json:"call_id" api:"required"`
	Notes  string   `json:"notes"`
	Tags   []string `json:"tags"`
}

// putCallNotes keeps what the agent types during a call on the server
// (journaled), so that a reload or another device shows it and the
// disposition starts from it.
func (s *Server) putCallNotes(w http.ResponseWriter, r *http.Request, dec decoder[callNotesInput]) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		var in callNotesInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		if in.CallID == "" {
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "call_id", "call_id is required")
		}
		return floor.Notes{Ext: ext, By: by, CallID: in.CallID, Notes: in.Notes, Tags: in.Tags}, nil
	})
}
