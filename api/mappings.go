package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
)

// Mapper is the dialler's side of the mappings.
type Mapper interface {
	Mappings(ctx context.Context, account, ext int64) ([]dialer.CampaignMapping, error)
}

func mappingRoutes() []route {
	const ok = http.StatusOK
	return []route{
		{"GET", "/api/v1/floor/me/mappings", agent, ok, "getMyMappings", "floor",
			"Why the caller's agent is or is not given calls and leads now: their state, each queue they are a member of, and each campaign with the leads it holds for them",
			read((*Server).getMyMappings)},
		{"GET", "/api/v1/floor/agents/{id}/mappings", sup, ok, "getAgentMappings", "floor",
			"The same mappings for any agent (by extension id): \"why no calls\"",
			read((*Server).getAgentMappings)},
	}
}

// Mappings explain what reaches an agent now.
type Mappings struct {
	ExtensionID int64                `json:"extension_id"`
	State       callfloor.AgentState `json:"state"`
	// Reasons are why nothing at all is offered to the agent now (logged
	// off, paused, phone not ready, busy); empty when they are free.
	Reasons   []dialer.Reason          `json:"reasons"`
	Queues    []QueueMapping           `json:"queues"`
	Campaigns []dialer.CampaignMapping `json:"campaigns"`
}

// QueueMapping is a queue the agent is a member of.
type QueueMapping struct {
	QueueID int64  `json:"queue_id"`
	Number  string `json:"number"`
	Name    string `json:"name"`
	Penalty int    `json:"penalty"`
	// Waiting is how many callers wait in it now (-1: unknown, no ACD).
	Waiting int `json:"waiting"`
	// Reasons are why this queue offers the agent no call now, beyond
	// the agent's own.
	Reasons []dialer.Reason `json:"reasons"`
}

func (s *Server) getMyMappings(_ http.ResponseWriter, r *http.Request) (*Mappings, error) {
	ext, err := s.myAgent(r.Context())
	if err != nil {
		return nil, err
	}
	return s.mappings(r.Context(), actorOf(r).AccountID, ext)
}

func (s *Server) getAgentMappings(_ http.ResponseWriter, r *http.Request) (*Mappings, error) {
	e, err := s.pathExtension(r)
	if err != nil {
		return nil, err
	}
	return s.mappings(r.Context(), actorOf(r).AccountID, e.ID)
}

func (s *Server) mappings(ctx context.Context, account, ext int64) (*Mappings, error) {
	out := &Mappings{ExtensionID: ext, Reasons: []dialer.Reason{}, Queues: []QueueMapping{}, Campaigns: []dialer.CampaignMapping{}}
	isAgent := false
	err := s.floor.View(ctx, account, func(st *floor.State, cfg *floor.Config) {
		ac := cfg.Agents[ext]
		if ac == nil {
			return
		}
		isAgent = true
		a := st.Agent(ext)
		out.State = a.State
		out.Reasons = agentReasons(a, ac, cfg)
		for _, id := range sortedQueueIDs(cfg) {
			q := cfg.Queues[id].Queue
			for _, m := range q.Members {
				if m.ExtensionID != ext {
					continue
				}
				qm := QueueMapping{QueueID: q.ID, Number: q.Number, Name: q.Name, Penalty: m.Penalty, Waiting: -1, Reasons: []dialer.Reason{}}
				if lower := freeWithLowerPenalty(st, cfg, q, m.Penalty); lower > 0 {
					qm.Reasons = append(qm.Reasons, dialer.Reason{Code: "penalty_tier",
						Message: fmt.Sprintf("%d free member(s) with a lower penalty are offered this queue's calls first.", lower)})
				}
				out.Queues = append(out.Queues, qm)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if !isAgent {
		return nil, errorf(callfloor.ErrNotAgent, "the extension is not an agent")
	}
	if s.queues != nil {
		if stats, err := s.queues.Stats(ctx, account); err == nil {
			for i := range out.Queues {
				for _, qs := range stats {
					if qs.QueueID == out.Queues[i].QueueID {
						out.Queues[i].Waiting = qs.Waiting
					}
				}
			}
		}
	}
	if m, ok := s.previews.(Mapper); ok && m != nil {
		cms, err := m.Mappings(ctx, account, ext)
		if err != nil {
			return nil, err
		}
		out.Campaigns = cms
	}
	return out, nil
}

// agentReasons are why nothing reaches agent a now.
func agentReasons(a *floor.Agent, ac *floor.AgentConfig, cfg *floor.Config) []dialer.Reason {
	rs := []dialer.Reason{}
	add := func(code, msg string) { rs = append(rs, dialer.Reason{Code: code, Message: msg}) }
	switch {
	case !a.LoggedIn:
		add(callfloor.ErrAgentLoggedOff, "Logged off: log in to be offered calls and leads.")
	case a.Pause != nil:
		add(callfloor.ErrAgentPaused, "Paused ("+a.Pause.Name+"): unpause to be offered calls and leads.")
	case a.State != callfloor.StateIdle:
		add(callfloor.ErrAgentBusy, "Busy ("+string(a.State)+"): the next call or lead comes when this one is over.")
	}
	if cfg.RequirePhone && !a.PhoneRegistered {
		msg := "Your softphone is not registered: no call can reach you."
		if ac.PhoneEngine == callfloor.PhoneWebRTC {
			msg = "The page's phone is not ready (no microphone, or not registered): no call is offered until it is."
		}
		add(callfloor.ErrPhoneOffline, msg)
	}
	return rs
}

// freeWithLowerPenalty counts the queue's free agent members whose
// penalty is lower than penalty.
func freeWithLowerPenalty(st *floor.State, cfg *floor.Config, q *callfloor.Queue, penalty int) int {
	n := 0
	for _, m := range q.Members {
		if m.Penalty >= penalty || cfg.Agents[m.ExtensionID] == nil {
			continue
		}
		a := st.Agent(m.ExtensionID)
		if a.LoggedIn && a.State == callfloor.StateIdle && (!cfg.RequirePhone || a.PhoneRegistered) {
			n++
		}
	}
	return n
}

// sortedQueueIDs are the queues of cfg by number.
func sortedQueueIDs(cfg *floor.Config) []int64 {
	var ids []int64
	for id, q := range cfg.Queues {
		if q.Queue != nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return cfg.Queues[ids[i]].Queue.Number < cfg.Queues[ids[j]].Queue.Number })
	return ids
}
