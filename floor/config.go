package floor

import (
	"time"

	"github.com/callfloor/callfloor"
)

// Config is the part of an account's configuration the engine decides with.
// It is rebuilt from the store when an administrator changes something.
type Config struct {
	Location     *time.Location
	Agents       map[int64]*AgentConfig       // by extension ID
	Participants map[int64]*ParticipantConfig // by extension ID
	PauseReasons map[int64]*callfloor.PauseReason
	Queues       map[int64]*SourceConfig // by queue ID
	// Campaigns are the campaigns' disposition lists, by campaign ID;
	// every campaign call has a disposition.
	Campaigns map[int64]*SourceConfig
	// QueueNumbers finds a queue by its number.
	QueueNumbers map[string]int64
	// RequirePhone refuses calls to and from agents whose phone is not
	// registered; off when the simulated telephony plane plays the phones.
	RequirePhone bool
}

// AgentConfig is an agent extension's Agent tab, as the engine needs it.
type AgentConfig struct {
	ExtensionID     int64
	Number, Name    string
	UserID          int64
	WrapupTimeout   time.Duration
	AutoAnswer      callfloor.AutoAnswer
	OutboundQueueID int64
	Permissions     callfloor.Permissions
	// PhoneEngine decides which registered device is the agent's phone.
	PhoneEngine callfloor.PhoneEngine
}

// ParticipantConfig is a participant extension and its queues.
type ParticipantConfig struct {
	ExtensionID int64
	Queues      map[int64]bool
}

// SourceConfig is the disposition list of a call source; for a queue,
// Queue is its whole definition (strategy, limits, members), which the
// ACD routes with.
type SourceConfig struct {
	DispositionsEnabled bool
	Outcomes            []callfloor.Outcome
	Queue               *callfloor.Queue
	// Name is a campaign's name (a queue's is Queue.Name).
	Name string
}

// outcome finds the configured outcome of a source.
func (s *SourceConfig) outcome(c callfloor.Category, name string) (callfloor.Outcome, bool) {
	for _, o := range s.Outcomes {
		if o.Category == c && o.Name == name {
			return o, true
		}
	}
	return callfloor.Outcome{}, false
}

// source returns the disposition configuration of a call, or nil when its
// source has no dispositions.
func (c *Config) source(call callfloor.CallRef) *SourceConfig {
	if call.CampaignID != 0 {
		return c.Campaigns[call.CampaignID]
	}
	if call.QueueID != 0 {
		if q := c.Queues[call.QueueID]; q != nil && q.DispositionsEnabled {
			return q
		}
	}
	return nil
}

// NewConfig builds the engine's configuration from the account's objects.
func NewConfig(acc *callfloor.Account, exts []*callfloor.Extension, users []*callfloor.User,
	reasons []*callfloor.PauseReason, queues []*callfloor.Queue) *Config {
	c := &Config{
		Location:     acc.Location(),
		Agents:       map[int64]*AgentConfig{},
		Participants: map[int64]*ParticipantConfig{},
		PauseReasons: map[int64]*callfloor.PauseReason{},
		Queues:       map[int64]*SourceConfig{},
		Campaigns:    map[int64]*SourceConfig{},
		QueueNumbers: map[string]int64{},
	}
	owner := map[int64]int64{}
	for _, u := range users {
		if u.ExtensionID != nil && !u.Disabled {
			owner[*u.ExtensionID] = u.ID
		}
	}
	for _, e := range exts {
		switch {
		case e.Agent.Enabled && acc.Activated():
			ac := &AgentConfig{
				ExtensionID:   e.ID,
				Number:        e.Number,
				Name:          e.Name,
				UserID:        owner[e.ID],
				WrapupTimeout: time.Duration(e.Agent.WrapupTimeoutSeconds) * time.Second,
				AutoAnswer:    e.Agent.AutoAnswer,
				Permissions:   e.Agent.Permissions,
				PhoneEngine:   e.Agent.PhoneEngine,
			}
			if e.Agent.OutboundQueueID != nil {
				ac.OutboundQueueID = *e.Agent.OutboundQueueID
			}
			c.Agents[e.ID] = ac
		case e.QueuesFeature:
			c.Participants[e.ID] = &ParticipantConfig{ExtensionID: e.ID, Queues: map[int64]bool{}}
		}
	}
	for _, p := range reasons {
		c.PauseReasons[p.ID] = p
	}
	for _, q := range queues {
		c.Queues[q.ID] = &SourceConfig{DispositionsEnabled: q.DispositionsEnabled, Outcomes: q.Outcomes, Queue: q}
		c.QueueNumbers[q.Number] = q.ID
		for _, m := range q.Members {
			if p := c.Participants[m.ExtensionID]; p != nil {
				p.Queues[q.ID] = true
			}
		}
	}
	return c
}

// sourceOf is the disposition list a call's outcomes come from: its
// campaign's, or its queue's; nil for none.
func (c *Config) sourceOf(call callfloor.CallRef) *SourceConfig {
	if call.CampaignID != 0 {
		return c.Campaigns[call.CampaignID]
	}
	return c.Queues[call.QueueID]
}

// OutcomesOf is the list of outcomes a call's disposition chooses from.
func (c *Config) OutcomesOf(call callfloor.CallRef) []callfloor.Outcome {
	if src := c.sourceOf(call); src != nil {
		return src.Outcomes
	}
	return []callfloor.Outcome{}
}

// AddCampaigns gives the configuration the campaigns' disposition lists.
func (c *Config) AddCampaigns(campaigns []*callfloor.Campaign) {
	if c.Campaigns == nil {
		c.Campaigns = map[int64]*SourceConfig{}
	}
	for _, cp := range campaigns {
		outs := make([]callfloor.Outcome, len(cp.Outcomes))
		for i, o := range cp.Outcomes {
			outs[i] = o.Outcome
		}
		c.Campaigns[cp.ID] = &SourceConfig{DispositionsEnabled: len(outs) > 0, Outcomes: outs, Name: cp.Name}
	}
}
