package callfloor

import "time"

// EventType names what happened on the floor. The names are stable: they
// are stored in the journal and sent to webhooks and the WebSocket stream.
type EventType string

// Event types.
const (
	EventLoggedIn       EventType = "agent.logged_in"
	EventLoggedOff      EventType = "agent.logged_off"
	EventPaused         EventType = "agent.paused"
	EventUnpaused       EventType = "agent.unpaused"
	EventPending        EventType = "agent.pending"
	EventAutoAnswer     EventType = "agent.auto_answer"
	EventPhone          EventType = "agent.phone"
	EventPauseThreshold EventType = "agent.pause_threshold"
	EventPreview        EventType = "agent.preview"
	EventPreviewEnded   EventType = "agent.preview_ended"
	EventCallOffered    EventType = "call.offered"
	EventCallAnswered   EventType = "call.answered"
	EventCallHeld       EventType = "call.held"
	EventCallResumed    EventType = "call.resumed"
	EventCallMuted      EventType = "call.muted"
	EventCallUnmuted    EventType = "call.unmuted"
	// EventCallNotes: the agent's notes and CRM tags of a call, typed
	// during it or its wrap-up; the disposition takes them up.
	EventCallNotes EventType = "call.notes"
	EventCallEnded EventType = "call.ended"
	// EventCallRecord is a step of a call as the telephony plane saw it
	// (Record), for every call and leg, agents' or not.
	EventCallRecord        EventType = "call.record"
	EventDialRequested     EventType = "call.dial_requested"
	EventWrapupStarted     EventType = "wrapup.started"
	EventDisposition       EventType = "disposition.submitted"
	EventDispositionLater  EventType = "disposition.completed"
	EventParticipantPaused EventType = "participant.paused"
	EventParticipantResume EventType = "participant.unpaused"
	// EventQueueStats carries a queue's live figures (QueueStats) when
	// they change; it is published, not journaled.
	EventQueueStats EventType = "queue.stats"
	// EventMidnight marks 00:00 in the account's time zone; DueAt is the
	// next one.
	EventMidnight EventType = "floor.midnight"
	// EventWebhookDisabled tells the account's admins that the system
	// disabled a webhook endpoint (Webhook says which and why); like
	// queue.stats it is published, not journaled.
	EventWebhookDisabled EventType = "webhook.endpoint_disabled"
)

// EventTypes lists every event type.
var EventTypes = []EventType{
	EventLoggedIn, EventLoggedOff, EventPaused, EventUnpaused, EventPending,
	EventAutoAnswer, EventPhone, EventPauseThreshold, EventPreview, EventPreviewEnded,
	EventCallOffered, EventCallAnswered, EventCallHeld, EventCallResumed, EventCallMuted, EventCallUnmuted, EventCallNotes, EventCallEnded,
	EventCallRecord, EventDialRequested, EventWrapupStarted, EventDisposition,
	EventDispositionLater, EventParticipantPaused, EventParticipantResume,
	EventQueueStats, EventMidnight, EventWebhookDisabled,
}

// Event is one fact of the floor. One flat shape serves every type; the
// fields a type does not use stay empty. Seq orders an account's events.
type Event struct {
	Seq       int64     `json:"seq"`
	AccountID int64     `json:"account_id"`
	At        time.Time `json:"at"`
	Type      EventType `json:"type"`
	// ExtensionID is the agent's or participant's extension.
	ExtensionID int64 `json:"extension_id,omitempty"`
	// UserID is who asked for it (0: the system or the telephony plane).
	UserID int64 `json:"user_id,omitempty"`
	// State is the agent's state after the event.
	State AgentState `json:"state,omitempty"`

	Pause        *PauseRef    `json:"pause,omitempty"`
	Pending      *Pending     `json:"pending,omitempty"`
	LogoffReason LogoffReason `json:"logoff_reason,omitempty"`
	AutoAnswer   *bool        `json:"auto_answer,omitempty"`
	// PhoneRegistered: the agent's phone registered (true) or went away.
	PhoneRegistered *bool `json:"phone_registered,omitempty"`

	Call        *CallRef     `json:"call,omitempty"`
	EndReason   string       `json:"end_reason,omitempty"`
	DueAt       *time.Time   `json:"due_at,omitempty"`
	Disposition *Disposition `json:"disposition,omitempty"`
	// Notes are a call's notes and tags (call.notes; wrapup.started
	// carries those typed during the call).
	Notes      *CallNotes  `json:"notes,omitempty"`
	QueueID    int64       `json:"queue_id,omitempty"`
	LeadID     int64       `json:"lead_id,omitempty"`
	CampaignID int64       `json:"campaign_id,omitempty"`
	Number     string      `json:"number,omitempty"`
	Record     *CallRecord `json:"record,omitempty"`
	QueueStats *QueueStats `json:"queue_stats,omitempty"`
	// Webhook is the endpoint a webhook.endpoint_disabled event is about.
	Webhook *WebhookNotice `json:"webhook,omitempty"`
}

// WebhookNotice names a webhook endpoint and what happened to it.
type WebhookNotice struct {
	EndpointID int64  `json:"endpoint_id"`
	URL        string `json:"url"`
	Reason     string `json:"reason"`
}

// CallRecord is one step of a call on the telephony plane: it rang,
// was answered, held or resumed by a party, a party left or joined
// (transfers), or it ended. Folded in order, a call's records give who
// was on it, when it rang, was answered, held and ended, and why.
type CallRecord struct {
	CallID string `json:"call_id"`
	// Step is ringing, answered, held, resumed, left, offered, joined or
	// ended; for queues also queued, missed (an offer nobody answered),
	// abandoned (the caller hung up waiting), overflowed and outbound (an
	// agent's manual call out, or with Reason "transfer" a transfer out,
	// counted against their outbound queue).
	Step string `json:"step"`
	// From and To are the calling and called extensions (0: outside).
	From int64 `json:"from,omitempty"`
	To   int64 `json:"to,omitempty"`
	// Number is the number dialled.
	Number string `json:"number,omitempty"`
	// Ext is the party a held, resumed, left, offered or joined step is
	// about; Parties the extensions on the call at an answer or an end.
	Ext     int64   `json:"ext,omitempty"`
	Parties []int64 `json:"parties,omitempty"`
	// Reason is why the call ended or the party left; Status the SIP
	// status the caller got when the call failed before an answer.
	Reason string `json:"reason,omitempty"`
	Status int    `json:"status,omitempty"`
	// QueueID is the queue of a queue step (queued, offered, missed,
	// answered from the queue, abandoned, overflowed); WaitMillis how long
	// the caller had waited in it then.
	QueueID    int64 `json:"queue_id,omitempty"`
	WaitMillis int64 `json:"wait_ms,omitempty"`
	// CampaignID and LeadID name the campaign call of a campaign_attempt
	// step: how a power campaign's call went before any agent had it
	// (Reason: connected, busy, no_answer, unreachable, machine,
	// abandoned, lost).
	CampaignID int64 `json:"campaign_id,omitempty"`
	LeadID     int64 `json:"lead_id,omitempty"`
}

// PauseRef is the pause reason as it was when the pause started, so
// reports keep the name and productive flag even if the reason changes.
type PauseRef struct {
	ReasonID         int64  `json:"reason_id"`
	Code             int    `json:"code"`
	Name             string `json:"name"`
	Productive       bool   `json:"productive"`
	ThresholdSeconds int    `json:"threshold_seconds,omitempty"`
	System           bool   `json:"system,omitempty"`
}

// Pending is what an agent asked for during a call; it takes effect when
// the calls and the wrap-up are over.
type Pending struct {
	Pause  *PauseRef    `json:"pause,omitempty"`
	Logoff LogoffReason `json:"logoff,omitempty"`
}

// CallRef identifies a call and where it came from.
type CallRef struct {
	ID         string    `json:"id"`
	Direction  Direction `json:"direction"`
	QueueID    int64     `json:"queue_id,omitempty"`
	CampaignID int64     `json:"campaign_id,omitempty"`
	// LeadID is the campaign lead a campaign call is to.
	LeadID int64  `json:"lead_id,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
}

// CallNotes are what the agent wrote about a call: free notes and CRM tags.
type CallNotes struct {
	Notes string   `json:"notes"`
	Tags  []string `json:"tags"`
}

// Disposition is the outcome of a call as the agent (or the system) set it.
type Disposition struct {
	CallID   string   `json:"call_id"`
	Category Category `json:"category,omitempty"`
	Outcome  string   `json:"outcome,omitempty"`
	// FailScope is copied from the outcome for fail dispositions.
	FailScope FailScope `json:"fail_scope,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
	// By is the user who set it; 0 when the system set it.
	By int64 `json:"by,omitempty"`
	// Incomplete: nobody chose it (timed out or cut short); the agent can
	// complete it later.
	Incomplete bool `json:"incomplete,omitempty"`
	// CallbackAt is the time the agent chose to call a campaign lead back.
	CallbackAt *time.Time `json:"callback_at,omitempty"`
}
