package api

import (
	"net/http"
	"regexp"
	"unicode/utf8"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// The simulated telephony plane: endpoints through which a test, the crash
// test or a demo script reports what the real SIP and WebRTC plane would
// (a call offered, answered, held, ended; a lead previewed). They exist
// only when the server runs with Simulate; otherwise they answer 404
// simulation_off.

func simRoutes() []route {
	const ok = http.StatusOK
	sim := func(e endpoint) endpoint { return e.simulation() }
	return []route{
		{"POST", "/api/v1/sim/offer", admin, ok, "simOffer", "simulation", "Simulated telephony: offer a call to an agent (it rings)", sim(write((*Server).simOffer))},
		{"POST", "/api/v1/sim/answer", admin, ok, "simAnswer", "simulation", "Simulated telephony: the agent answered the call", sim(write((*Server).simAnswer))},
		{"POST", "/api/v1/sim/hold", admin, ok, "simHold", "simulation", "Simulated telephony: the call was put on hold, or resumed", sim(write((*Server).simHold))},
		{"POST", "/api/v1/sim/hangup", admin, ok, "simHangup", "simulation", "Simulated telephony: the call ended for the agent", sim(write((*Server).simHangup))},
		{"POST", "/api/v1/sim/preview", admin, ok, "simPreview", "simulation", "Simulated dialler: show a campaign lead to an idle agent", sim(write((*Server).simPreview))},
		{"POST", "/api/v1/sim/preview-end", admin, ok, "simPreviewEnd", "simulation", "Simulated dialler: take the lead in preview back", sim(write((*Server).simPreviewEnd))},
	}
}

// errSimulationOff is the answer of every simulation endpoint when the
// server runs without Simulate.
func errSimulationOff() error {
	return errorf(callfloor.ErrSimulationOff, "the simulated telephony plane is off; start the server with --simulate")
}

type simCallInput struct {
	ExtensionID int64  `json:"extension_id" api:"required"`
	CallID      string `json:"call_id" api:"required"`
}

type simOfferInput struct {
	simCallInput
	Direction  callfloor.Direction `json:"direction" api:"required"`
	QueueID    int64               `json:"queue_id"`
	CampaignID int64               `json:"campaign_id"`
	From       string              `json:"from"`
	To         string              `json:"to"`
}

type simHoldInput struct {
	simCallInput
	Held bool `json:"held"`
}

type simHangupInput struct {
	simCallInput
	Reason string `json:"reason"`
}

type simPreviewInput struct {
	ExtensionID int64 `json:"extension_id" api:"required"`
	LeadID      int64 `json:"lead_id" api:"required"`
	CampaignID  int64 `json:"campaign_id" api:"required"`
}

type simExtensionInput struct {
	ExtensionID int64 `json:"extension_id" api:"required"`
}

// callIDRe is a call ID: 1 to 64 letters, digits and . _ - : @.
var callIDRe = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,64}$`)

// checkExtension requires extension_id to name an extension of the
// caller's account.
func (s *Server) checkExtension(r *http.Request, id int64) error {
	if id == 0 {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "extension_id", "extension_id is required")
	}
	if _, err := s.store.FindExtensionByID(r.Context(), id); err != nil {
		if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
			return callfloor.FieldError(callfloor.ErrInvalidReference, "extension_id", "extension %d does not exist", id)
		}
		return err
	}
	return nil
}

func (in *simCallInput) check(s *Server, r *http.Request) error {
	if err := s.checkExtension(r, in.ExtensionID); err != nil {
		return err
	}
	switch {
	case in.CallID == "":
		return callfloor.FieldError(callfloor.ErrFieldRequired, "call_id", "call_id is required")
	case !callIDRe.MatchString(in.CallID):
		return callfloor.FieldError(callfloor.ErrInvalidField, "call_id", "call_id must be 1 to 64 letters, digits or . _ - : @")
	}
	return nil
}

// positive requires an optional id to be 0 or positive.
func positive(field string, id int64) error {
	if id < 0 {
		return callfloor.FieldError(callfloor.ErrInvalidField, field, "%s must be a positive id", field)
	}
	return nil
}

// simDo sends a checked input to the engine and answers with the agent
// after it.
func (s *Server) simDo(w http.ResponseWriter, r *http.Request, ext int64, in floor.Input) (*AgentView, error) {
	if err := s.floorDo(w, r, in); err != nil {
		return nil, err
	}
	return s.oneAgent(r.Context(), actorOf(r).AccountID, ext)
}

func (s *Server) simOffer(w http.ResponseWriter, r *http.Request, dec decoder[simOfferInput]) (*AgentView, error) {
	var in simOfferInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if err := in.check(s, r); err != nil {
		return nil, err
	}
	switch {
	case in.Direction == "":
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "direction", "direction is required")
	case !in.Direction.Valid():
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "direction", "direction %q is not one of %v", in.Direction, callfloor.Directions)
	case in.Direction == callfloor.DirQueueIn && in.QueueID == 0:
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "queue_id", "a queue call needs queue_id")
	case in.Direction == callfloor.DirCampaign && in.CampaignID == 0:
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "campaign_id", "a campaign call needs campaign_id")
	}
	if err := positive("campaign_id", in.CampaignID); err != nil {
		return nil, err
	}
	if in.QueueID != 0 {
		if _, err := s.store.FindQueueByID(r.Context(), in.QueueID); err != nil {
			if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
				return nil, callfloor.FieldError(callfloor.ErrInvalidReference, "queue_id", "queue %d does not exist", in.QueueID)
			}
			return nil, err
		}
	}
	for _, f := range []struct{ name, v string }{{"from", in.From}, {"to", in.To}} {
		if f.v != "" && !dialNumberRe.MatchString(f.v) {
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, f.name, "%s must be 1 to 32 digits, * or #, optionally starting with +", f.name)
		}
	}
	call := callfloor.CallRef{ID: in.CallID, Direction: in.Direction, QueueID: in.QueueID, CampaignID: in.CampaignID, From: in.From, To: in.To}
	return s.simDo(w, r, in.ExtensionID, floor.Offer{Ext: in.ExtensionID, Call: call})
}

func (s *Server) simAnswer(w http.ResponseWriter, r *http.Request, dec decoder[simCallInput]) (*AgentView, error) {
	var in simCallInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if err := in.check(s, r); err != nil {
		return nil, err
	}
	return s.simDo(w, r, in.ExtensionID, floor.Answer{Ext: in.ExtensionID, CallID: in.CallID})
}

func (s *Server) simHold(w http.ResponseWriter, r *http.Request, dec decoder[simHoldInput]) (*AgentView, error) {
	var in simHoldInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if err := in.check(s, r); err != nil {
		return nil, err
	}
	return s.simDo(w, r, in.ExtensionID, floor.Hold{Ext: in.ExtensionID, CallID: in.CallID, Held: in.Held})
}

// maxEndReason is the longest hangup reason.
const maxEndReason = 64

func (s *Server) simHangup(w http.ResponseWriter, r *http.Request, dec decoder[simHangupInput]) (*AgentView, error) {
	var in simHangupInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if err := in.check(s, r); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(in.Reason) > maxEndReason || !printableText(in.Reason) {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "reason", "reason is at most %d printable characters", maxEndReason)
	}
	return s.simDo(w, r, in.ExtensionID, floor.Hangup{Ext: in.ExtensionID, CallID: in.CallID, Reason: in.Reason})
}

func (s *Server) simPreview(w http.ResponseWriter, r *http.Request, dec decoder[simPreviewInput]) (*AgentView, error) {
	var in simPreviewInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if err := s.checkExtension(r, in.ExtensionID); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		id   int64
	}{{"lead_id", in.LeadID}, {"campaign_id", in.CampaignID}} {
		if f.id == 0 {
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, f.name, "%s is required", f.name)
		}
		if err := positive(f.name, f.id); err != nil {
			return nil, err
		}
	}
	return s.simDo(w, r, in.ExtensionID, floor.StartPreview{Ext: in.ExtensionID, LeadID: in.LeadID, CampaignID: in.CampaignID})
}

func (s *Server) simPreviewEnd(w http.ResponseWriter, r *http.Request, dec decoder[simExtensionInput]) (*AgentView, error) {
	var in simExtensionInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if err := s.checkExtension(r, in.ExtensionID); err != nil {
		return nil, err
	}
	return s.simDo(w, r, in.ExtensionID, floor.EndPreview{Ext: in.ExtensionID})
}

// printableText reports whether s has no control characters and is valid
// UTF-8.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
