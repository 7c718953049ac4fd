package callfloor

import (
	"context"
	"strings"
	"time"
)

// PhoneEngine is how an agent's calls reach them.
type PhoneEngine string

// Phone engines.
const (
	// PhoneExternal is any standard SIP softphone registering to callfloor.
	PhoneExternal PhoneEngine = "external"
	// PhoneWebRTC is the phone inside the Agent Workspace page.
	PhoneWebRTC PhoneEngine = "webrtc"
)

// PhoneEngines lists every valid phone engine.
var PhoneEngines = []PhoneEngine{PhoneExternal, PhoneWebRTC}

// Valid reports whether e is a known phone engine.
func (e PhoneEngine) Valid() bool { return e == PhoneExternal || e == PhoneWebRTC }

// AutoAnswer is the Agent tab's auto answer setting.
type AutoAnswer string

// Auto answer settings.
const (
	AutoAnswerOff AutoAnswer = "off"
	AutoAnswerOn  AutoAnswer = "on"
	// AutoAnswerOptional lets the agent choose in the workspace settings.
	AutoAnswerOptional AutoAnswer = "optional"
)

// AutoAnswers lists every valid auto answer setting.
var AutoAnswers = []AutoAnswer{AutoAnswerOff, AutoAnswerOn, AutoAnswerOptional}

// Valid reports whether a is a known setting.
func (a AutoAnswer) Valid() bool {
	return a == AutoAnswerOff || a == AutoAnswerOn || a == AutoAnswerOptional
}

// Permissions are the controls an agent gets in the workspace.
type Permissions struct {
	ManualDial bool `json:"manual_dial"`
	DTMF       bool `json:"dtmf"`
	Hold       bool `json:"hold"`
	Mute       bool `json:"mute"`
	Volume     bool `json:"volume"`
	Transfer   bool `json:"transfer"`
	Hangup     bool `json:"hangup"`
	Line       bool `json:"line"`
	Conference bool `json:"conference"`
	Pause      bool `json:"pause"`
	Logoff     bool `json:"logoff"`
	Redial     bool `json:"redial"`
}

// AllPermissions grants every control.
func AllPermissions() Permissions {
	return Permissions{true, true, true, true, true, true, true, true, true, true, true, true}
}

// AgentStatus is what the Agent tab of an extension shows.
type AgentStatus string

// Agent tab states.
const (
	// AgentNotActivated: the account holds no agent activation.
	AgentNotActivated AgentStatus = "not_activated"
	// AgentNotEnabled: activated, but this extension is not an agent.
	AgentNotEnabled AgentStatus = "not_enabled"
	// AgentEnabled: the extension is an agent.
	AgentEnabled AgentStatus = "enabled"
)

// Limits of the Agent tab.
const (
	MaxWrapupTimeout     = 3600
	DefaultWrapupTimeout = 60
)

// AgentSettings is the Agent tab of an extension.
type AgentSettings struct {
	Enabled     bool        `json:"enabled"`
	PhoneEngine PhoneEngine `json:"phone_engine"`
	// OutboundQueueID is the queue manual outbound calls are counted
	// against; without one the agent may not dial out.
	OutboundQueueID *int64      `json:"outbound_queue_id"`
	Permissions     Permissions `json:"permissions"`
	AutoAnswer      AutoAnswer  `json:"auto_answer"`
	// WrapupTimeoutSeconds is how long wrap-up lasts before the system
	// submits "Unsure - No agent submission".
	WrapupTimeoutSeconds int    `json:"wrapup_timeout_seconds"`
	CallerIDPoolID       *int64 `json:"caller_id_pool_id"`
	RandomiseCallerID    bool   `json:"randomise_caller_id"`
}

// DefaultAgentSettings are the settings of a new extension.
func DefaultAgentSettings() AgentSettings {
	return AgentSettings{
		PhoneEngine:          PhoneWebRTC,
		Permissions:          AllPermissions(),
		AutoAnswer:           AutoAnswerOff,
		WrapupTimeoutSeconds: DefaultWrapupTimeout,
	}
}

// Validate checks the settings' own fields.
func (s *AgentSettings) Validate() error {
	if !s.PhoneEngine.Valid() {
		return FieldError(ErrInvalidField, "agent.phone_engine", "phone_engine must be external or webrtc")
	}
	if !s.AutoAnswer.Valid() {
		return FieldError(ErrInvalidField, "agent.auto_answer", "auto_answer must be off, on or optional")
	}
	if err := checkRange("agent.wrapup_timeout_seconds", s.WrapupTimeoutSeconds, 5, MaxWrapupTimeout); err != nil {
		return err
	}
	if s.RandomiseCallerID && s.CallerIDPoolID == nil {
		return FieldError(ErrFieldRequired, "agent.caller_id_pool_id", "randomise_caller_id needs a caller-ID pool")
	}
	return nil
}

// Extension is a number on the PBX with SIP credentials.
type Extension struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Number    string `json:"number"`
	Name      string `json:"name"`
	// SIPUsername is generated and unique across the whole platform.
	SIPUsername string `json:"sip_username"`
	// SIPSecret is only ever set in the answer that creates or resets it;
	// the store keeps digest hashes (HA1) only.
	SIPSecret     string        `json:"sip_secret,omitempty"`
	SIPHA1        string        `json:"-"`
	SIPHA1SHA256  string        `json:"-"`
	QueuesFeature bool          `json:"queues_feature"`
	Agent         AgentSettings `json:"agent"`
	// AgentStatus is derived from the account's activation and
	// Agent.Enabled.
	AgentStatus AgentStatus `json:"agent_status"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// IsAgent reports whether the extension is an agent (as opposed to a
// participant or a plain extension).
func (e *Extension) IsAgent() bool { return e.Agent.Enabled }

// Validate checks the extension's own fields.
func (e *Extension) Validate() error {
	e.Name = strings.TrimSpace(e.Name)
	if err := checkExtensionNumber("number", e.Number); err != nil {
		return err
	}
	if e.Name == "" {
		e.Name = "Extension " + e.Number
	}
	if err := checkName("name", e.Name, 100); err != nil {
		return err
	}
	if e.Agent.Enabled {
		e.QueuesFeature = true // an agent is always a possible queue member
	}
	return e.Agent.Validate()
}

// ExtensionService manages the extensions of the caller's account.
type ExtensionService interface {
	// CreateExtension stores e with a generated SIP username; the caller
	// sets SIPHA1 and SIPHA1SHA256 from a secret first.
	CreateExtension(ctx context.Context, e *Extension) error
	FindExtensionByID(ctx context.Context, id int64) (*Extension, error)
	// FindExtensionByNumber finds the extension with that number in the
	// caller's account (ErrNotFound when there is none).
	FindExtensionByNumber(ctx context.Context, number string) (*Extension, error)
	ListExtensions(ctx context.Context) ([]*Extension, error)
	// UpdateExtension loads, lets fn change and stores the extension in
	// one transaction with the account's licence rules applied.
	UpdateExtension(ctx context.Context, id int64, fn func(*Extension) error) (*Extension, error)
	DeleteExtension(ctx context.Context, id int64) error
}
