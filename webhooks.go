package callfloor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Integrated system webhooks: an account's endpoints get the floor's
// events, signed (Standard Webhooks 1.0), from the journal by cursor.
// Package webhook/delivery does the delivering; this file holds the
// rules: which events an endpoint gets, under which type, in which lane,
// with which body.

// WebhookEventType names a kind of webhook message. Most are the
// journal's event types; a few call.record steps get their own.
type WebhookEventType string

// The webhook types that are not journal event types.
const (
	// WebhookCallerQueued, WebhookCallerAbandoned and
	// WebhookCallerOverflowed are the call.record steps queued, abandoned
	// and overflowed of a queue's caller.
	WebhookCallerQueued     WebhookEventType = "queue.caller_queued"
	WebhookCallerAbandoned  WebhookEventType = "queue.caller_abandoned"
	WebhookCallerOverflowed WebhookEventType = "queue.caller_overflowed"
	// WebhookCampaignAttempt is a power campaign's call.record step
	// campaign_attempt: how the call went before an agent had it.
	WebhookCampaignAttempt WebhookEventType = "campaign.attempt"
	// WebhookTest is the message "send test event" sends.
	WebhookTest WebhookEventType = "webhook.test"
)

// recordTypes maps the call.record steps with a webhook type of their
// own; the other steps are sent as call.record.
var recordTypes = map[string]WebhookEventType{
	"queued":           WebhookCallerQueued,
	"abandoned":        WebhookCallerAbandoned,
	"overflowed":       WebhookCallerOverflowed,
	"campaign_attempt": WebhookCampaignAttempt,
}

// WebhookEventTypes lists every type an endpoint can ask for: the
// journal's event types (not the live-only ones), the call.record steps
// with types of their own, and webhook.test.
var WebhookEventTypes = webhookEventTypes()

func webhookEventTypes() []WebhookEventType {
	var out []WebhookEventType
	for _, t := range EventTypes {
		if !liveOnly(t) {
			out = append(out, WebhookEventType(t))
		}
	}
	return append(out, WebhookCallerQueued, WebhookCallerAbandoned, WebhookCallerOverflowed, WebhookCampaignAttempt, WebhookTest)
}

// liveOnly reports the event types that are published but never
// journaled, so never sent to webhooks.
func liveOnly(t EventType) bool { return t == EventQueueStats || t == EventWebhookDisabled }

// Valid reports whether t is a known webhook type.
func (t WebhookEventType) Valid() bool {
	for _, v := range WebhookEventTypes {
		if t == v {
			return true
		}
	}
	return false
}

// WebhookTypeOf is the webhook type of a journal event: its own type, or
// for some call.record steps a type of their own; "" for an event that is
// never sent (a live one).
func WebhookTypeOf(e *Event) WebhookEventType {
	if liveOnly(e.Type) || e.Seq == 0 {
		return ""
	}
	if e.Type == EventCallRecord && e.Record != nil {
		if t, ok := recordTypes[e.Record.Step]; ok {
			return t
		}
	}
	return WebhookEventType(e.Type)
}

// WebhookBodyVersion is the version of the message body's shape. Fields
// may be added under one version; a change that removes or changes the
// meaning of a field gets a new version.
const WebhookBodyVersion = 1

// WebhookBody is the JSON body of every webhook message, as Standard
// Webhooks recommends: the type, when it happened and the data; Version
// is the shape's version (WebhookBodyVersion).
type WebhookBody struct {
	Type      WebhookEventType `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Version   int              `json:"version"`
	Data      any              `json:"data"`
}

// WebhookTestData is the data of a webhook.test message.
type WebhookTestData struct {
	EndpointID int64  `json:"endpoint_id"`
	Message    string `json:"message"`
}

// NewWebhookEventBody is the body of a journal event's message: its data
// is the event as the journal has it.
func NewWebhookEventBody(e *Event) ([]byte, error) {
	return json.Marshal(WebhookBody{Type: WebhookTypeOf(e), Timestamp: e.At, Version: WebhookBodyVersion, Data: e})
}

// NewWebhookTestBody is the body of a webhook.test message.
func NewWebhookTestBody(endpointID int64, at time.Time) ([]byte, error) {
	return json.Marshal(WebhookBody{Type: WebhookTest, Timestamp: at, Version: WebhookBodyVersion,
		Data: WebhookTestData{EndpointID: endpointID, Message: "A test message from callfloor: this endpoint receives its webhooks."}})
}

// WebhookMessageID is the webhook-id of a message: msg_<endpoint>_<seq>
// for a journal event, msg_<endpoint>_m<outbox id> for a message that is
// not one (a test). The same message always has the same id, so a
// receiver can drop the duplicates that at-least-once delivery brings.
func WebhookMessageID(endpointID, seq, outboxID int64) string {
	if seq > 0 {
		return fmt.Sprintf("msg_%d_%d", endpointID, seq)
	}
	return fmt.Sprintf("msg_%d_m%d", endpointID, outboxID)
}

// ParseWebhookMessageID reads a message id of the endpoint: the journal
// seq, or the outbox id of a message outside the journal.
func ParseWebhookMessageID(endpointID int64, id string) (seq, outboxID int64, ok bool) {
	rest, found := strings.CutPrefix(id, fmt.Sprintf("msg_%d_", endpointID))
	if !found || rest == "" {
		return 0, 0, false
	}
	if m, isOther := strings.CutPrefix(rest, "m"); isOther {
		n, ok := positive(m)
		return 0, n, ok
	}
	n, ok := positive(rest)
	return n, 0, ok
}

func positive(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

// Limits of an endpoint.
const (
	MaxWebhookURL         = 2000
	MaxWebhookDescription = 200
	// MaxWebhookEndpoints is how many endpoints an account may have:
	// each enabled one has its own worker reading the journal.
	MaxWebhookEndpoints = 20
	// DefaultSecretOverlap is how long a rotated-out secret keeps signing
	// beside the new one; MaxSecretOverlap the longest it may.
	DefaultSecretOverlap = 24 * time.Hour
	MaxSecretOverlap     = 7 * 24 * time.Hour
)

// WebhookEndpoint is where an account's webhooks go. An endpoint with an
// ExtensionID is a device-level webhook: it gets that extension's call
// events only.
type WebhookEndpoint struct {
	ID          int64  `json:"id"`
	AccountID   int64  `json:"account_id"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// EventTypes are the types sent; empty sends every type.
	EventTypes []WebhookEventType `json:"event_types"`
	// ExtensionID names a participant extension for a device-level
	// webhook; nil for the whole account.
	ExtensionID *int64 `json:"extension_id"`
	Enabled     bool   `json:"enabled"`
	// DisabledReason says why the system disabled the endpoint (410
	// Gone, or no success for three days); empty when an admin did.
	DisabledReason string     `json:"disabled_reason"`
	DisabledAt     *time.Time `json:"disabled_at"`
	// Secret signs the messages (whsec_...); it is shown only in the
	// answers that create or rotate it. PreviousSecret signs too, beside
	// it, until PreviousSecretExpiresAt.
	Secret                  string     `json:"-"`
	PreviousSecret          string     `json:"-"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	// Cursor is the last journal seq the endpoint has taken into its
	// outbox.
	Cursor int64 `json:"cursor"`
	// Health: the last delivery that succeeded and the last that failed,
	// and the messages waiting (the oldest queued at OldestPendingAt).
	LastSuccessAt   *time.Time `json:"last_success_at"`
	LastFailureAt   *time.Time `json:"last_failure_at"`
	Backlog         int        `json:"backlog"`
	OldestPendingAt *time.Time `json:"oldest_pending_at"`
	// BacklogAgeSeconds is how long the oldest waiting message has
	// waited, as the API answers (the store leaves it 0).
	BacklogAgeSeconds int64     `json:"backlog_age_seconds"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Validate checks the endpoint's own fields: the URL's shape (that it
// does not lead inside the network is checked where addresses are
// known), the description and the event types, deduplicated.
func (w *WebhookEndpoint) Validate() error {
	w.URL = strings.TrimSpace(w.URL)
	w.Description = strings.TrimSpace(w.Description)
	if w.URL == "" {
		return FieldError(ErrFieldRequired, "url", "url is required")
	}
	if len(w.URL) > MaxWebhookURL || !printable(w.URL) {
		return FieldError(ErrInvalidField, "url", "url is at most %d characters on one line", MaxWebhookURL)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.Opaque != "" {
		return FieldError(ErrInvalidField, "url", "url must be an absolute https URL")
	}
	if u.User != nil {
		return FieldError(ErrInvalidField, "url", "url must not carry credentials; the messages are signed instead")
	}
	if u.Fragment != "" {
		return FieldError(ErrInvalidField, "url", "url must not have a #fragment")
	}
	if err := checkOptionalText("description", w.Description, MaxWebhookDescription); err != nil {
		return err
	}
	if w.EventTypes == nil {
		w.EventTypes = []WebhookEventType{}
	}
	seen := map[WebhookEventType]bool{}
	types := w.EventTypes[:0]
	for i, t := range w.EventTypes {
		if !t.Valid() {
			return FieldError(ErrInvalidField, fmt.Sprintf("event_types[%d]", i), "%q is not a webhook event type", t)
		}
		if !seen[t] {
			types = append(types, t)
		}
		seen[t] = true
	}
	w.EventTypes = types
	if w.ExtensionID != nil && *w.ExtensionID <= 0 {
		return FieldError(ErrInvalidReference, "extension_id", "extension_id must name an extension of the account")
	}
	return nil
}

// Wants reports whether the endpoint sends a journal event, and under
// which type: its type must be asked for (or none asked, meaning all),
// and a device-level endpoint takes only the call events of its
// extension.
func (w *WebhookEndpoint) Wants(e *Event) (WebhookEventType, bool) {
	t := WebhookTypeOf(e)
	if t == "" {
		return "", false
	}
	if w.ExtensionID != nil && !callEventOf(e, *w.ExtensionID) {
		return "", false
	}
	if len(w.EventTypes) == 0 {
		return t, true
	}
	for _, want := range w.EventTypes {
		if want == t {
			return t, true
		}
	}
	return "", false
}

// Lane is the delivery lane of a journal event for this endpoint: the
// event's extension (a device-level endpoint's own), or 0. Messages of
// one lane are delivered in order; lanes go in parallel.
func (w *WebhookEndpoint) Lane(e *Event) int64 {
	if w.ExtensionID != nil {
		return *w.ExtensionID
	}
	return e.ExtensionID
}

// callEventOf reports whether e is a call event of extension ext: an
// agent-side call event (call.*) of it, or a call.record step it is a
// party to.
func callEventOf(e *Event, ext int64) bool {
	if e.Type == EventCallRecord {
		r := e.Record
		if r == nil {
			return false
		}
		if r.From == ext || r.To == ext || r.Ext == ext {
			return true
		}
		for _, p := range r.Parties {
			if p == ext {
				return true
			}
		}
		return false
	}
	return e.ExtensionID == ext && strings.HasPrefix(string(e.Type), "call.")
}

// SigningSecrets are the secrets that sign a message sent at now: the
// current one, and the previous one while its overlap lasts.
func (w *WebhookEndpoint) SigningSecrets(now time.Time) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// Rotate makes secret the endpoint's secret; the old one keeps signing
// for overlap (0: it stops at once).
func (w *WebhookEndpoint) Rotate(secret string, now time.Time, overlap time.Duration) {
	w.PreviousSecret, w.PreviousSecretExpiresAt = "", nil
	if overlap > 0 && w.Secret != "" {
		until := now.Add(overlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, &until
	}
	w.Secret = secret
}

// WebhookMessageStatus is where a message is in its delivery.
type WebhookMessageStatus string

// The message statuses.
const (
	WebhookPending   WebhookMessageStatus = "pending"
	WebhookDelivered WebhookMessageStatus = "delivered"
	WebhookFailed    WebhookMessageStatus = "failed"
)

// WebhookMessage is a message in an endpoint's outbox: a journal event
// (Seq) or a message outside the journal (Payload, e.g. a test).
type WebhookMessage struct {
	// ID is the outbox row's id.
	ID         int64            `json:"id"`
	AccountID  int64            `json:"account_id"`
	EndpointID int64            `json:"endpoint_id"`
	Seq        int64            `json:"seq"`
	Lane       int64            `json:"lane"`
	Type       WebhookEventType `json:"type"`
	// Payload is the body of a message that is not a journal event.
	Payload       []byte               `json:"-"`
	Status        WebhookMessageStatus `json:"status"`
	Attempts      int                  `json:"attempts"`
	NextAttemptAt time.Time            `json:"next_attempt_at"`
	QueuedAt      time.Time            `json:"queued_at"`
}

// MessageID is the message's webhook-id.
func (m *WebhookMessage) MessageID() string { return WebhookMessageID(m.EndpointID, m.Seq, m.ID) }

// WebhookOutcome is what an attempt led to.
type WebhookOutcome string

// The outcomes of an attempt.
const (
	// WebhookOutcomeDelivered: a 2xx answer.
	WebhookOutcomeDelivered WebhookOutcome = "delivered"
	// WebhookOutcomeRetry: it failed and is tried again at NextAttemptAt.
	WebhookOutcomeRetry WebhookOutcome = "retry"
	// WebhookOutcomeFailed: it failed for the last time.
	WebhookOutcomeFailed WebhookOutcome = "failed"
	// WebhookOutcomeGone: the endpoint answered 410 Gone and was
	// disabled; the message waits for it to be enabled again.
	WebhookOutcomeGone WebhookOutcome = "gone"
)

// WebhookOutcomes lists every outcome.
var WebhookOutcomes = []WebhookOutcome{WebhookOutcomeDelivered, WebhookOutcomeRetry, WebhookOutcomeFailed, WebhookOutcomeGone}

// WebhookAttempt is one try to deliver a message, for the attempt log.
type WebhookAttempt struct {
	ID         int64  `json:"id"`
	AccountID  int64  `json:"account_id"`
	EndpointID int64  `json:"endpoint_id"`
	OutboxID   int64  `json:"-"`
	MessageID  string `json:"message_id"`
	// Seq is the journal event's seq (0: not a journal event).
	Seq     int64            `json:"seq"`
	Type    WebhookEventType `json:"event_type"`
	At      time.Time        `json:"at"`
	Attempt int              `json:"attempt"`
	// Status is the HTTP status of the answer; 0 when none came, and
	// Error says why (timeout, connection refused, ...).
	Status    int    `json:"status"`
	Error     string `json:"error"`
	LatencyMS int64  `json:"latency_ms"`
	// Response is the start of the answer's body (about 1 KB).
	Response      string         `json:"response"`
	Outcome       WebhookOutcome `json:"outcome"`
	NextAttemptAt *time.Time     `json:"next_attempt_at"`
}

// WebhookClaim is what a delivery worker took from an endpoint's outbox:
// the head of each lane that was due, and what it needs to know of the
// rest.
type WebhookClaim struct {
	Messages []*WebhookMessage
	// NextDue is when the earliest lane head not claimed is due; nil
	// when no message waits.
	NextDue *time.Time
}

// WebhookPass is what a delivery worker's pass over one endpoint
// writes, in one transaction: the attempts finished since its last pass
// are recorded, the outbox is filled from the journal (when To > From),
// and the due lane heads are claimed (when Limit > 0).
type WebhookPass struct {
	AccountID, EndpointID int64
	// Attempts of the endpoint are logged and their outcomes applied to
	// the messages and the endpoint; a failed message also disables the
	// endpoint when it has had no success since StaleBefore. An attempt
	// whose message was deleted meanwhile records nothing.
	Attempts    []*WebhookAttempt
	StaleBefore time.Time
	// From, To and Messages add the messages to the outbox and move the
	// cursor from From to To, or do nothing (Moved false) when the
	// cursor was not at From (another worker moved it) or the endpoint
	// is gone or disabled.
	From, To int64
	Messages []*WebhookMessage
	// Now, Until and Limit take the head of each lane whose message is
	// due at Now, at most Limit, and hold them until Until (a worker that
	// dies lets them go then).
	Now, Until time.Time
	Limit      int
}

// WebhookPassResult is how a pass went.
type WebhookPassResult struct {
	// Disabled is the reason when an attempt disabled the endpoint (then
	// nothing is claimed).
	Disabled string
	// Moved says the fill moved the cursor.
	Moved bool
	Claim *WebhookClaim
}

// WebhookService keeps the caller's account's webhook endpoints, their
// outboxes and attempt logs. The methods that take an accountID are the
// delivery workers', across accounts.
type WebhookService interface {
	// CreateWebhookEndpoint stores an endpoint, its secret sealed; its
	// cursor starts at the account's last journal event (it gets what
	// happens from now on).
	CreateWebhookEndpoint(ctx context.Context, w *WebhookEndpoint) error
	// FindWebhookEndpointByID returns an endpoint with its secrets and
	// health.
	FindWebhookEndpointByID(ctx context.Context, id int64) (*WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context) ([]*WebhookEndpoint, error)
	// UpdateWebhookEndpoint lets fn change an endpoint (its secrets
	// included); enabling it clears its disabled reason.
	UpdateWebhookEndpoint(ctx context.Context, id int64, fn func(*WebhookEndpoint) error) (*WebhookEndpoint, error)
	// DeleteWebhookEndpoint removes an endpoint with its outbox and log.
	DeleteWebhookEndpoint(ctx context.Context, id int64) error
	// ListWebhookAttempts returns up to limit attempts of the endpoint
	// with an id below before (0: the newest), newest first.
	ListWebhookAttempts(ctx context.Context, endpointID, before int64, limit int) ([]*WebhookAttempt, error)
	// FindWebhookMessage returns the outbox message of the endpoint with
	// a journal seq (seq > 0) or an outbox id.
	FindWebhookMessage(ctx context.Context, endpointID, seq, outboxID int64) (*WebhookMessage, error)
	// QueueWebhookMessages makes messages pending, due at now: a
	// message with an ID (a row of the outbox) or a Seq already in the
	// outbox is queued again unless pending; others are added (a Payload
	// message gets its ID). It returns how many became pending.
	QueueWebhookMessages(ctx context.Context, endpointID int64, msgs []*WebhookMessage) (int, error)
	// JournalSeqBefore returns the seq of the account's last journal
	// event before t (0: none).
	JournalSeqBefore(ctx context.Context, t time.Time) (int64, error)

	// DeliverableWebhookEndpoints returns the enabled endpoints of every
	// account, with their secrets.
	DeliverableWebhookEndpoints(ctx context.Context) ([]*WebhookEndpoint, error)
	// RunWebhookPass writes a delivery worker's pass in one transaction.
	RunWebhookPass(ctx context.Context, p *WebhookPass) (*WebhookPassResult, error)
	// WebhookBacklog counts the endpoint's pending messages and returns
	// when the oldest was queued (nil: none waits).
	WebhookBacklog(ctx context.Context, endpointID int64) (int, *time.Time, error)
	// PruneWebhooks deletes the delivered and failed messages and the
	// attempts older than before.
	PruneWebhooks(ctx context.Context, before time.Time) error
}
