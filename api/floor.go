package api

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/attendance"
	"github.com/callfloor/callfloor/floor"
)

// floorRoutes are the floor engine's endpoints: agent and supervisor
// commands, the floor's state, time and attendance, and the simulated
// telephony plane.
func floorRoutes() []route {
	const (
		ok   = http.StatusOK
		none = http.StatusNoContent
	)
	routes := []route{
		{"GET", "/api/v1/floor/me", agent, ok, "getMyFloor", "floor", "The caller's agent: state and since when, lines, wrap-up with its outcomes, incomplete dispositions and today's performance toolbar", read((*Server).getMyFloor)},
		{"POST", "/api/v1/floor/me/login", agent, ok, "agentLogin", "floor", "Log the caller's agent in", read((*Server).agentLogin)},
		{"POST", "/api/v1/floor/me/logoff", agent, ok, "agentLogoff", "floor", "Log the caller's agent off; during a call or wrap-up it is pending until they end", read((*Server).agentLogoff)},
		{"POST", "/api/v1/floor/me/pause", agent, ok, "agentPause", "floor", "Pause with a reason; during a call or wrap-up it is pending until they end", write((*Server).agentPause)},
		{"POST", "/api/v1/floor/me/unpause", agent, ok, "agentUnpause", "floor", "End the pause, or cancel a pending one", read((*Server).agentUnpause)},
		{"PUT", "/api/v1/floor/me/auto-answer", agent, ok, "setAutoAnswer", "floor", "Turn auto answer on or off, where the Agent tab makes it optional", write((*Server).setAutoAnswer)},
		{"POST", "/api/v1/floor/me/dispositions", agent, ok, "submitDisposition", "floor", "Submit the disposition of the call in wrap-up, or complete an incomplete one", write((*Server).submitDisposition)},
		{"POST", "/api/v1/floor/me/dial", agent, ok, "agentDial", "floor", "Place a manual call to an extension or an outside number (outside numbers need an outbound queue)", write((*Server).agentDial)},
		{"GET", "/api/v1/floor/me/phone", agent, ok, "getMyPhone", "floor", "The caller's phone: its engine and, for the page phone (WebRTC), the SIP over WebSocket URL, credentials (digest HA1) and ICE servers to register with", read((*Server).getMyPhone)},
		{"GET", "/api/v1/floor/me/attendance", agent, ok, "getMyAttendance", "attendance", "The caller's time and attendance: sessions, pauses and daily totals between two local dates", read((*Server).getMyAttendance).withQuery(dateRangeParams...)},

		{"GET", "/api/v1/floor/agents", sup, ok, "listFloorAgents", "floor", "Every agent of the account with its live state (the Realtime Agents board)", read((*Server).listFloorAgents)},
		{"POST", "/api/v1/floor/agents/{id}/logoff", sup, ok, "forceLogoff", "floor", "Force an agent (by extension id) to log off; a wrap-up is cut short, and an agent on a call is logged off when the call ends", read((*Server).forceLogoff)},
		{"GET", "/api/v1/reports/attendance", sup, ok, "teamAttendance", "attendance", "Every agent's time and attendance between two local dates: the login time split by state (adding up to it), pauses by reason, the toolbar's counts, first login, last logoff and logoffs by reason", read((*Server).teamAttendance).withQuery(dateRangeParams...)},
		{"GET", "/api/v1/floor/agents/{id}/attendance", sup, ok, "getAgentAttendance", "attendance", "An agent's (by extension id) time and attendance between two local dates", read((*Server).getAgentAttendance).withQuery(dateRangeParams...)},

		{"GET", "/api/v1/floor/participants", sup, ok, "listFloorParticipants", "floor", "Every participant (a queue member that is no agent) with the queues it is paused in, and since when", read((*Server).listFloorParticipants)},
		{"POST", "/api/v1/floor/participants/{id}/pause", agent, none, "pauseParticipant", "floor", "Pause or unpause a participant (by extension id) in one queue; supervisors, or the user bound to the extension", write((*Server).pauseParticipant)},
	}
	routes = append(routes, callRoutes()...)
	return append(routes, simRoutes()...)
}

// MyFloor is the Agent Workspace's view of the caller: its agent, the
// dispositions it still has to complete and today's performance toolbar.
type MyFloor struct {
	AgentView
	Incomplete []IncompleteView    `json:"incomplete"`
	Toolbar    attendance.Counters `json:"toolbar"`
}

// IncompleteView is a disposition nobody chose yet (wrap-up timed out, or
// cut short); the agent completes it through POST /floor/me/dispositions.
type IncompleteView struct {
	Call callfloor.CallRef `json:"call"`
	At   time.Time         `json:"at"`
	// Recorded is what the system recorded meanwhile (Unsure - No agent
	// submission), null when the wrap-up was cut short.
	Recorded *callfloor.Disposition `json:"recorded"`
	// Outcomes are the choices of the call's source, to complete it with.
	Outcomes []callfloor.Outcome `json:"outcomes"`
}

// myExtension returns the extension the calling user is bound to.
func (s *Server) myExtension(ctx context.Context) (int64, error) {
	u, err := s.store.FindUserByID(ctx, actorFromCtx(ctx).UserID)
	if err != nil {
		return 0, err
	}
	if u.ExtensionID == nil {
		return 0, errorf(callfloor.ErrNotAgent, "the caller is not bound to an extension, so it has no agent")
	}
	return *u.ExtensionID, nil
}

// myAgent returns the caller's agent extension: the user's extension, when
// the floor knows it as an agent.
func (s *Server) myAgent(ctx context.Context) (int64, error) {
	ext, err := s.myExtension(ctx)
	if err != nil {
		return 0, err
	}
	isAgent := false
	err = s.floor.View(ctx, actorFromCtx(ctx).AccountID, func(_ *floor.State, cfg *floor.Config) {
		isAgent = cfg.Agents[ext] != nil
	})
	if err != nil {
		return 0, err
	}
	if !isAgent {
		return 0, errorf(callfloor.ErrNotAgent, "the caller's extension is not an agent")
	}
	return ext, nil
}

// oneAgent returns the view of one agent.
func (s *Server) oneAgent(ctx context.Context, accountID, ext int64) (*AgentView, error) {
	_, views, err := s.agentViews(ctx, accountID, ext)
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, errorf(callfloor.ErrNotAgent, "the extension is not an agent")
	}
	return &views[0], nil
}

// agentCommand sends a command for the caller's agent and answers with the
// agent after it. build gets the agent's extension and the user.
func (s *Server) agentCommand(w http.ResponseWriter, r *http.Request, build func(ext, by int64) (floor.Input, error)) (*AgentView, error) {
	ctx, a := r.Context(), actorOf(r)
	ext, err := s.myAgent(ctx)
	if err != nil {
		return nil, err
	}
	in, err := build(ext, a.UserID)
	if err != nil {
		return nil, err
	}
	if err := s.floorDo(w, r, in); err != nil {
		return nil, err
	}
	return s.oneAgent(ctx, a.AccountID, ext)
}

// floorDo sends an input to the caller's account's engine. When it caused
// events, their last sequence number goes in the X-Callfloor-Seq header:
// they are durable, and a stream client has everything when it has seen
// that number.
func (s *Server) floorDo(w http.ResponseWriter, r *http.Request, in floor.Input) error {
	evs, err := s.floor.Do(r.Context(), actorOf(r).AccountID, in)
	if err == nil && len(evs) > 0 {
		w.Header().Set("X-Callfloor-Seq", strconv.FormatInt(evs[len(evs)-1].Seq, 10))
	}
	return err
}

func (s *Server) getMyFloor(_ http.ResponseWriter, r *http.Request) (*MyFloor, error) {
	ctx, a := r.Context(), actorOf(r)
	ext, err := s.myExtension(ctx)
	if err != nil {
		return nil, err
	}
	var (
		me    *MyFloor
		loc   *time.Location
		found bool
	)
	err = s.floor.View(ctx, a.AccountID, func(st *floor.State, cfg *floor.Config) {
		ac := cfg.Agents[ext]
		if ac == nil {
			return
		}
		found, loc = true, cfg.Location
		me = &MyFloor{AgentView: agentView(st.Agent(ext), ac, cfg), Incomplete: []IncompleteView{}}
		for _, inc := range st.Incomplete {
			if inc.ExtensionID != ext {
				continue
			}
			v := IncompleteView{Call: inc.Call, At: inc.At, Outcomes: cfg.OutcomesOf(inc.Call)}
			if inc.Recorded != nil {
				rec := *inc.Recorded
				v.Recorded = &rec
			}
			me.Incomplete = append(me.Incomplete, v)
		}
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorf(callfloor.ErrNotAgent, "the caller's extension is not an agent")
	}
	sort.Slice(me.Incomplete, func(i, j int) bool {
		x, y := me.Incomplete[i], me.Incomplete[j]
		return x.At.Before(y.At) || (x.At.Equal(y.At) && x.Call.ID < y.Call.ID)
	})
	if me.Toolbar, err = s.toolbar(ctx, a.AccountID, ext, loc); err != nil {
		return nil, err
	}
	return me, nil
}

// toolbar returns today's performance counters of the agent, today being
// the account's local day.
func (s *Server) toolbar(ctx context.Context, accountID, ext int64, loc *time.Location) (attendance.Counters, error) {
	now := s.clock.Now()
	rep, err := foldAttendance(ctx, s.store, accountID, ext, loc, localMidnight(now, loc, 0), localMidnight(now, loc, 1), now)
	if err != nil {
		return attendance.Counters{}, err
	}
	today := now.In(loc).Format(dateLayout)
	for _, d := range rep.Days {
		if d.Date == today {
			return d.Counters, nil
		}
	}
	return attendance.Counters{}, nil
}

func (s *Server) agentLogin(w http.ResponseWriter, r *http.Request) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		return floor.Login{Ext: ext, By: by}, nil
	})
}

func (s *Server) agentLogoff(w http.ResponseWriter, r *http.Request) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		return floor.Logoff{Ext: ext, By: by}, nil
	})
}

func (s *Server) agentUnpause(w http.ResponseWriter, r *http.Request) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		return floor.Unpause{Ext: ext, By: by}, nil
	})
}

type pauseInput struct {
	ReasonID int64 `json:"reason_id" api:"required"`
}

func (s *Server) agentPause(w http.ResponseWriter, r *http.Request, dec decoder[pauseInput]) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		var in pauseInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		if in.ReasonID == 0 {
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "reason_id", "reason_id is required: the id of a pause reason")
		}
		return floor.Pause{Ext: ext, By: by, ReasonID: in.ReasonID}, nil
	})
}

type autoAnswerInput struct {
	On *bool `json:"on" api:"required"`
}

func (s *Server) setAutoAnswer(w http.ResponseWriter, r *http.Request, dec decoder[autoAnswerInput]) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		var in autoAnswerInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		if in.On == nil {
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "on", "on is required: true or false")
		}
		return floor.SetAutoAnswer{Ext: ext, By: by, On: *in.On}, nil
	})
}

// dispositionInput names the outcome by outcome_id (as the wrap-up lists
// them) or by category and outcome name. Omitted notes and tags keep
// those typed during the call.
type dispositionInput struct {
	CallID    string             `json:"call_id" api:"required"`
	OutcomeID int64              `json:"outcome_id"`
	Category  callfloor.Category `json:"category"`
	Outcome   string             `json:"outcome"`
	Notes     string             `json:"notes"`
	Tags      []string           `json:"tags"`
	// CallbackAt is when a campaign lead is called back, for an outcome
	// that sets a callback.
	CallbackAt *time.Time `json:"callback_at"`
}

func (s *Server) submitDisposition(w http.ResponseWriter, r *http.Request, dec decoder[dispositionInput]) (*AgentView, error) {
	return s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		var in dispositionInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		switch {
		case in.CallID == "":
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "call_id", "call_id is required")
		case in.OutcomeID < 0:
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, "outcome_id", "outcome_id is the id of one of the call's outcomes")
		case in.OutcomeID == 0 && in.Category == "":
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "category", "category is required (fail, unsure or success), or outcome_id")
		case in.OutcomeID == 0 && in.Outcome == "":
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "outcome", "outcome is required, or outcome_id")
		}
		return floor.Dispose{Ext: ext, By: by, CallID: in.CallID, OutcomeID: in.OutcomeID, Category: in.Category, CallbackAt: in.CallbackAt,
			Outcome: in.Outcome, Notes: in.Notes, Tags: in.Tags}, nil
	})
}

type dialInput struct {
	// Number is an extension number of the account (an internal call) or
	// an outside number.
	Number string `json:"number" api:"required"`
}

// dialNumberRe is a dialable number: digits, * and #, an optional leading +.
var dialNumberRe = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)

func (s *Server) agentDial(w http.ResponseWriter, r *http.Request, dec decoder[dialInput]) (*AgentView, error) {
	ctx := r.Context()
	var dial floor.Dial
	view, err := s.agentCommand(w, r, func(ext, by int64) (floor.Input, error) {
		var in dialInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		switch {
		case in.Number == "":
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "number", "number is required")
		case !dialNumberRe.MatchString(in.Number):
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, "number", "number must be 1 to 32 digits, * or #, optionally starting with +")
		}
		queue := int64(0)
		if err := s.floor.View(ctx, actorOf(r).AccountID, func(_ *floor.State, cfg *floor.Config) { queue = cfg.QueueNumbers[in.Number] }); err != nil {
			return nil, err
		}
		if queue != 0 {
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, "number",
				"%s is a queue: a queue is called from the phone, or a call handed to it with a blind transfer", in.Number)
		}
		exts, err := s.store.ListExtensions(ctx)
		if err != nil {
			return nil, err
		}
		internal := false
		for _, e := range exts {
			if e.Number != in.Number {
				continue
			}
			if e.ID == ext {
				return nil, callfloor.FieldError(callfloor.ErrInvalidField, "number", "%s is the agent's own extension", in.Number)
			}
			internal = true
		}
		dial = floor.Dial{Ext: ext, By: by, CallID: newCallID(), Number: in.Number, Internal: internal}
		return dial, nil
	})
	if err != nil || s.calls == nil {
		return view, err
	}
	// The telephony plane places the call: a new line on the agent's
	// phone, or click to dial. When it cannot, the line ends at once.
	me, err := s.store.FindExtensionByID(ctx, dial.Ext)
	if err == nil {
		err = s.calls.Dial(ctx, actorOf(r).AccountID, me, dial.CallID, dial.Number)
	}
	if err != nil {
		if _, herr := s.floor.Do(ctx, actorOf(r).AccountID, floor.Hangup{Ext: dial.Ext, CallID: dial.CallID, Reason: "failed"}); herr != nil {
			s.log.Warn("failed dial not ended on the floor", "call", dial.CallID, "err", herr)
		}
		return nil, err
	}
	return s.oneAgent(ctx, actorOf(r).AccountID, dial.Ext)
}

// newCallID returns a new random call ID.
func newCallID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails
	return "call-" + hex.EncodeToString(b)
}

func (s *Server) listFloorAgents(_ http.ResponseWriter, r *http.Request) (list[AgentView], error) {
	_, views, err := s.agentViews(r.Context(), actorOf(r).AccountID, 0)
	return listOf(views, err)
}

// pathExtension returns the {id} extension of the path, which must be in
// the caller's account.
func (s *Server) pathExtension(r *http.Request) (*callfloor.Extension, error) {
	id, err := pathID(r, "extension")
	if err != nil {
		return nil, err
	}
	return s.store.FindExtensionByID(r.Context(), id)
}

func (s *Server) forceLogoff(w http.ResponseWriter, r *http.Request) (*AgentView, error) {
	ctx, a := r.Context(), actorOf(r)
	e, err := s.pathExtension(r)
	if err != nil {
		return nil, err
	}
	if err := s.floorDo(w, r, floor.Logoff{Ext: e.ID, By: a.UserID, Force: true}); err != nil {
		return nil, err
	}
	return s.oneAgent(ctx, a.AccountID, e.ID)
}

// ParticipantView is a participant's queues and its pause in each.
type ParticipantView struct {
	ExtensionID int64 `json:"extension_id"`
	// Queues are the queues it is a member of; Paused those it is paused
	// in, by queue ID, since when.
	Queues []int64              `json:"queues"`
	Paused map[string]time.Time `json:"paused"`
}

// listFloorParticipants lists the participants with their queue pauses.
func (s *Server) listFloorParticipants(_ http.ResponseWriter, r *http.Request) (list[ParticipantView], error) {
	var out []ParticipantView
	err := s.floor.View(r.Context(), actorOf(r).AccountID, func(st *floor.State, cfg *floor.Config) {
		for ext, pc := range cfg.Participants {
			v := ParticipantView{ExtensionID: ext, Queues: []int64{}, Paused: map[string]time.Time{}}
			for q := range pc.Queues {
				v.Queues = append(v.Queues, q)
			}
			slices.Sort(v.Queues)
			for q, since := range st.Participants[ext] {
				v.Paused[strconv.FormatInt(q, 10)] = since
			}
			out = append(out, v)
		}
	})
	slices.SortFunc(out, func(a, b ParticipantView) int { return cmp.Compare(a.ExtensionID, b.ExtensionID) })
	return listOf(out, err)
}

type participantPauseInput struct {
	QueueID int64 `json:"queue_id" api:"required"`
	Paused  *bool `json:"paused" api:"required"`
}

// pauseParticipant pauses a participant in one queue. Supervisors may
// pause anyone; an agent-role user only its own extension.
func (s *Server) pauseParticipant(w http.ResponseWriter, r *http.Request, dec decoder[participantPauseInput]) (noContent, error) {
	ctx, a := r.Context(), actorOf(r)
	e, err := s.pathExtension(r)
	if err != nil {
		return noContent{}, err
	}
	if !a.Role.AtLeast(callfloor.RoleSupervisor) {
		own, err := s.myExtension(ctx)
		if err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotAgent {
			return noContent{}, err
		}
		if err != nil || own != e.ID {
			return noContent{}, errorf(callfloor.ErrForbidden, "an agent may pause only its own extension in a queue")
		}
	}
	var in participantPauseInput
	if err := dec(&in); err != nil {
		return noContent{}, err
	}
	switch {
	case in.QueueID == 0:
		return noContent{}, callfloor.FieldError(callfloor.ErrFieldRequired, "queue_id", "queue_id is required")
	case in.Paused == nil:
		return noContent{}, callfloor.FieldError(callfloor.ErrFieldRequired, "paused", "paused is required: true or false")
	}
	return noContent{}, s.floorDo(w, r, floor.ParticipantPause{Ext: e.ID, By: a.UserID, QueueID: in.QueueID, Paused: *in.Paused})
}

// actorFromCtx returns the caller of an authenticated route.
func actorFromCtx(ctx context.Context) callfloor.Actor {
	a, _ := callfloor.ActorFrom(ctx)
	return a
}
