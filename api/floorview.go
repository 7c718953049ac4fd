package api

import (
	"context"
	"sort"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// AgentView is one agent as the workspace and the realtime board show it:
// its state and for how long, its pause and what it asked for meanwhile,
// its lines and its wrap-up.
type AgentView struct {
	ExtensionID int64                `json:"extension_id"`
	Number      string               `json:"number"`
	Name        string               `json:"name"`
	UserID      int64                `json:"user_id,omitempty"`
	State       callfloor.AgentState `json:"state"`
	// Since is when the state began; null for an agent never logged in.
	Since   *time.Time          `json:"since"`
	LoginAt *time.Time          `json:"login_at"`
	Pause   *callfloor.PauseRef `json:"pause"`
	// PauseOverThreshold: the pause has run past its reason's threshold.
	PauseOverThreshold bool              `json:"pause_over_threshold"`
	Pending            callfloor.Pending `json:"pending"`
	AutoAnswer         bool              `json:"auto_answer"`
	// PhoneRegistered: a device of the agent's phone engine is registered
	// (the page for webrtc, a softphone for external); without it no call
	// reaches the agent.
	PhoneRegistered   bool                  `json:"phone_registered"`
	PhoneEngine       callfloor.PhoneEngine `json:"phone_engine"`
	AutoAnswerSetting callfloor.AutoAnswer  `json:"auto_answer_setting"`
	Permissions       callfloor.Permissions `json:"permissions"`
	Lines             []LineView            `json:"lines"`
	Wrapup            *WrapupView           `json:"wrapup"`
	// WaitingDispositions counts the calls whose disposition is due after
	// the current wrap-up.
	WaitingDispositions int          `json:"waiting_dispositions"`
	Preview             *PreviewView `json:"preview"`
	// CallsToday counts the calls the agent placed or answered since the
	// account's midnight (the toolbar's Calls).
	CallsToday int `json:"calls_today"`
}

// LineView is one call of an agent.
type LineView struct {
	Call callfloor.CallRef `json:"call"`
	// QueueName names the call's queue, when it came from or counts
	// against one.
	QueueName string `json:"queue_name,omitempty"`
	// CampaignName names the call's campaign, for a campaign call.
	CampaignName string    `json:"campaign_name,omitempty"`
	Outbound     bool      `json:"outbound"`
	Answered     bool      `json:"answered"`
	Held         bool      `json:"held"`
	Muted        bool      `json:"muted"`
	Since        time.Time `json:"since"`
	// Notes are the agent's notes and CRM tags of the call so far.
	Notes *callfloor.CallNotes `json:"notes"`
}

// WrapupView is the call in wrap-up and when the system submits for the
// agent; Outcomes are the choices of the call's source.
type WrapupView struct {
	Call         callfloor.CallRef   `json:"call"`
	QueueName    string              `json:"queue_name,omitempty"`
	CampaignName string              `json:"campaign_name,omitempty"`
	Since        time.Time           `json:"since"`
	DueAt        time.Time           `json:"due_at"`
	Outcomes     []callfloor.Outcome `json:"outcomes"`
	// Notes are what the agent typed about the call; the disposition
	// form starts from them.
	Notes *callfloor.CallNotes `json:"notes"`
}

// PreviewView is the campaign lead an agent is looking at.
type PreviewView struct {
	LeadID     int64 `json:"lead_id"`
	CampaignID int64 `json:"campaign_id"`
}

// agentViews returns the account's agents (or only extension only, when
// it is not 0) as the floor engine sees them, and the sequence number of
// the last event they include. Events after it are in the hub.
func (s *Server) agentViews(ctx context.Context, accountID, only int64) (int64, []AgentView, error) {
	if only != 0 {
		return s.agentViewsOf(ctx, accountID, map[int64]bool{only: true})
	}
	return s.agentViewsOf(ctx, accountID, nil)
}

// AgentViews are the account's agents (those in only; nil: all) as this
// node's floor has them, with the sequence number they are at: what a
// cluster node that does not own the account asks its owner for (see
// Cluster).
func (s *Server) AgentViews(ctx context.Context, accountID int64, only []int64) (int64, []AgentView, error) {
	var set map[int64]bool
	if only != nil {
		set = make(map[int64]bool, len(only))
		for _, ext := range only {
			set[ext] = true
		}
	}
	return s.localAgentViews(ctx, accountID, set)
}

// agentViewsOf is agentViews of the extensions in only (nil: all): from
// the account's owner when this cluster node does not run its floor.
func (s *Server) agentViewsOf(ctx context.Context, accountID int64, only map[int64]bool) (int64, []AgentView, error) {
	seq, views, err := s.localAgentViews(ctx, accountID, only)
	if s.cluster == nil || callfloor.ErrorCode(err) != callfloor.ErrNotOwner {
		return seq, views, err
	}
	var exts []int64
	if only != nil {
		exts = make([]int64, 0, len(only))
		for ext := range only {
			exts = append(exts, ext)
		}
	}
	return s.cluster.AgentViews(ctx, accountID, exts)
}

// localAgentViews is agentViewsOf this node's floor.
func (s *Server) localAgentViews(ctx context.Context, accountID int64, only map[int64]bool) (int64, []AgentView, error) {
	var seq int64
	var views []AgentView
	err := s.floor.View(ctx, accountID, func(st *floor.State, cfg *floor.Config) {
		seq = st.Seq
		for ext, ac := range cfg.Agents {
			if only != nil && !only[ext] {
				continue
			}
			views = append(views, agentView(st.Agent(ext), ac, cfg))
		}
	})
	sort.Slice(views, func(i, j int) bool { return views[i].Number < views[j].Number })
	if views == nil {
		views = []AgentView{}
	}
	return seq, views, err
}

func agentView(a *floor.Agent, ac *floor.AgentConfig, cfg *floor.Config) AgentView {
	v := AgentView{
		ExtensionID: ac.ExtensionID, Number: ac.Number, Name: ac.Name, UserID: ac.UserID,
		State: a.State, Pause: a.Pause, PauseOverThreshold: a.ThresholdSent,
		Pending: a.Pending, AutoAnswer: a.AutoAnswer, AutoAnswerSetting: ac.AutoAnswer, PhoneRegistered: a.PhoneRegistered,
		PhoneEngine: ac.PhoneEngine,
		Permissions: ac.Permissions, Lines: []LineView{}, CallsToday: a.CallsToday,
	}
	if ac.AutoAnswer == callfloor.AutoAnswerOn {
		v.AutoAnswer = true
	} else if ac.AutoAnswer == callfloor.AutoAnswerOff {
		v.AutoAnswer = false
	}
	if !a.Since.IsZero() {
		t := a.Since
		v.Since = &t
	}
	if a.LoggedIn {
		t := a.LoginAt
		v.LoginAt = &t
	}
	for _, l := range a.Lines {
		v.Lines = append(v.Lines, LineView{Call: l.Call, QueueName: queueName(cfg, l.Call.QueueID),
			CampaignName: campaignName(cfg, l.Call.CampaignID), Outbound: l.Outbound,
			Answered: l.Answered, Held: l.Held, Muted: l.Muted, Since: l.Since, Notes: l.Notes})
	}
	if len(a.Wrapups) > 0 {
		w := a.Wrapups[0]
		if !w.DueAt.IsZero() {
			v.Wrapup = &WrapupView{Call: w.Call, QueueName: queueName(cfg, w.Call.QueueID),
				CampaignName: campaignName(cfg, w.Call.CampaignID), Since: w.Since, DueAt: w.DueAt,
				Outcomes: cfg.OutcomesOf(w.Call), Notes: w.Notes}
			v.WaitingDispositions = len(a.Wrapups) - 1
		} else {
			v.WaitingDispositions = len(a.Wrapups)
		}
	}
	if a.Preview != nil {
		v.Preview = &PreviewView{LeadID: a.Preview.LeadID, CampaignID: a.Preview.CampaignID}
	}
	return v
}

// campaignName is the name of campaign id in cfg, or empty.
func campaignName(cfg *floor.Config, id int64) string {
	if c := cfg.Campaigns[id]; c != nil {
		return c.Name
	}
	return ""
}

// queueName is the name of queue id in cfg, or empty.
func queueName(cfg *floor.Config, id int64) string {
	if src := cfg.Queues[id]; src != nil && src.Queue != nil {
		return src.Queue.Name
	}
	return ""
}
