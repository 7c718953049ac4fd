package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
)

// Integrated system webhooks: the account's endpoints, their health and
// attempt logs, test messages and replays. Package webhook/delivery
// sends the messages; see docs/webhooks.md.

// WebhookWaker is the delivery service as the API sees it: told when an
// endpoint changed or has a message queued, it looks at once rather than
// at its next poll.
type WebhookWaker interface {
	Wake(accountID, endpointID int64)
}

func webhookRoutes() []route {
	const (
		ok       = http.StatusOK
		created  = http.StatusCreated
		none     = http.StatusNoContent
		accepted = http.StatusAccepted
	)
	return []route{
		{"GET", "/api/v1/webhook-endpoints", admin, ok, "listWebhookEndpoints", "webhooks",
			"List the account's webhook endpoints with their health: last success and failure, messages waiting and the oldest one's age", read((*Server).listWebhookEndpoints)},
		{"POST", "/api/v1/webhook-endpoints", admin, created, "createWebhookEndpoint", "webhooks",
			"Create a webhook endpoint; it gets the events journaled from now on. Its signing secret (whsec_...) is shown only in this answer", write((*Server).createWebhookEndpoint)},
		{"GET", "/api/v1/webhook-endpoints/event-types", admin, ok, "listWebhookEventTypes", "webhooks",
			"The event types an endpoint can ask for (none asked: all)", read((*Server).listWebhookEventTypes)},
		{"GET", "/api/v1/webhook-endpoints/{id}", admin, ok, "getWebhookEndpoint", "webhooks", "Get a webhook endpoint with its health", read((*Server).getWebhookEndpoint)},
		{"PATCH", "/api/v1/webhook-endpoints/{id}", admin, ok, "updateWebhookEndpoint", "webhooks",
			"Change a webhook endpoint; enabling it again delivers what waited, from where it stopped", write((*Server).updateWebhookEndpoint)},
		{"DELETE", "/api/v1/webhook-endpoints/{id}", admin, none, "deleteWebhookEndpoint", "webhooks",
			"Delete a webhook endpoint with its waiting messages and its attempt log", read((*Server).deleteWebhookEndpoint)},
		{"POST", "/api/v1/webhook-endpoints/{id}/rotate-secret", admin, ok, "rotateWebhookEndpointSecret", "webhooks",
			"Give the endpoint a new signing secret, shown only in this answer; the old one keeps signing beside it for overlap_hours (default 24)",
			write((*Server).rotateEndpointSecret).optional()},
		{"GET", "/api/v1/webhook-endpoints/{id}/attempts", admin, ok, "listWebhookAttempts", "webhooks",
			"The endpoint's delivery attempts, newest first: time, message id, event type, status or error, latency and the start of the answer",
			read((*Server).listWebhookAttempts).withQuery(attemptPageParams...)},
		{"POST", "/api/v1/webhook-endpoints/{id}/test", admin, accepted, "sendWebhookTest", "webhooks",
			"Queue a webhook.test message to the endpoint, through its outbox like any other", read((*Server).sendWebhookTest)},
		{"POST", "/api/v1/webhook-endpoints/{id}/replay", admin, accepted, "replayWebhookMessages", "webhooks",
			"Send again one message (message_id) or every event since a time (since) that the endpoint takes", write((*Server).replayWebhooks)},
	}
}

var attemptPageParams = []queryParam{
	{Name: "limit", Description: "Attempts in a page, 1 to 200; default 50.", Bad: "0"},
	{Name: "before", Description: "The next value of the previous page: the attempts older than it.", Bad: "!!"},
}

// webhookEndpointInput is the writable part of an endpoint.
type webhookEndpointInput struct {
	URL         string                       `json:"url" api:"required"`
	Description string                       `json:"description"`
	EventTypes  []callfloor.WebhookEventType `json:"event_types"`
	ExtensionID *int64                       `json:"extension_id"`
	Enabled     bool                         `json:"enabled"`
}

func (webhookEndpointInput) resource() any { return callfloor.WebhookEndpoint{} }

func (in *webhookEndpointInput) from(w *callfloor.WebhookEndpoint) {
	*in = webhookEndpointInput{URL: w.URL, Description: w.Description, EventTypes: w.EventTypes, ExtensionID: w.ExtensionID, Enabled: w.Enabled}
}

func (in *webhookEndpointInput) to(w *callfloor.WebhookEndpoint) {
	w.URL, w.Description, w.EventTypes, w.ExtensionID, w.Enabled = in.URL, in.Description, in.EventTypes, in.ExtensionID, in.Enabled
}

// WebhookEndpointSecret is an endpoint with its signing secret, in the
// answers that make one.
type WebhookEndpointSecret struct {
	callfloor.WebhookEndpoint
	Secret string `json:"secret"`
}

// rotateInput is how long the old secret keeps signing.
type rotateInput struct {
	OverlapHours *int `json:"overlap_hours"`
}

// WebhookTestQueued names the test message queued.
type WebhookTestQueued struct {
	MessageID string `json:"message_id"`
}

// replayInput asks for one message again, or every event since a time.
type replayInput struct {
	MessageID string     `json:"message_id"`
	Since     *time.Time `json:"since"`
}

// WebhookReplay says how many messages were queued again; Truncated when
// a replay since a time stopped at MaxReplay.
type WebhookReplay struct {
	Queued    int  `json:"queued"`
	Truncated bool `json:"truncated"`
}

// WebhookAttemptPage is a page of an endpoint's attempt log; Next, when
// set, asks for the next page (before=Next).
type WebhookAttemptPage struct {
	Items []*callfloor.WebhookAttempt `json:"items"`
	Next  *string                     `json:"next"`
}

// maxReplay is the most messages one replay since a time queues.
const maxReplay = 10000

func (s *Server) wakeWebhooks(r *http.Request, id int64) {
	if s.webhookWaker != nil {
		s.webhookWaker.Wake(actorOf(r).AccountID, id)
	}
}

// withAge fills in the backlog's age.
func (s *Server) withAge(w *callfloor.WebhookEndpoint) *callfloor.WebhookEndpoint {
	if w != nil && w.OldestPendingAt != nil {
		w.BacklogAgeSeconds = max(int64(s.clock.Now().Sub(*w.OldestPendingAt)/time.Second), 0)
	}
	return w
}

func (s *Server) listWebhookEndpoints(_ http.ResponseWriter, r *http.Request) (list[*callfloor.WebhookEndpoint], error) {
	l, err := s.store.ListWebhookEndpoints(r.Context())
	for _, w := range l {
		s.withAge(w)
	}
	return listOf(l, err)
}

func (s *Server) listWebhookEventTypes(_ http.ResponseWriter, _ *http.Request) (list[callfloor.WebhookEventType], error) {
	return listOf(append([]callfloor.WebhookEventType{}, callfloor.WebhookEventTypes...), nil)
}

func (s *Server) webhookEndpoint(r *http.Request) (*callfloor.WebhookEndpoint, error) {
	id, err := pathID(r, "webhook endpoint")
	if err != nil {
		return nil, err
	}
	w, err := s.store.FindWebhookEndpointByID(r.Context(), id)
	return s.withAge(w), err
}

func (s *Server) getWebhookEndpoint(_ http.ResponseWriter, r *http.Request) (*callfloor.WebhookEndpoint, error) {
	return s.webhookEndpoint(r)
}

func (s *Server) createWebhookEndpoint(_ http.ResponseWriter, r *http.Request, dec decoder[webhookEndpointInput]) (*WebhookEndpointSecret, error) {
	in := webhookEndpointInput{Enabled: true, EventTypes: []callfloor.WebhookEventType{}}
	if err := dec(&in); err != nil {
		return nil, err
	}
	w := &callfloor.WebhookEndpoint{Secret: webhook.NewSecret()}
	in.to(w)
	if err := s.checkWebhookEndpoint(r.Context(), w); err != nil {
		return nil, err
	}
	if err := s.store.CreateWebhookEndpoint(r.Context(), w); err != nil {
		return nil, err
	}
	s.wakeWebhooks(r, w.ID)
	return &WebhookEndpointSecret{WebhookEndpoint: *w, Secret: w.Secret}, nil
}

func (s *Server) updateWebhookEndpoint(_ http.ResponseWriter, r *http.Request, dec decoder[webhookEndpointInput]) (*callfloor.WebhookEndpoint, error) {
	id, err := pathID(r, "webhook endpoint")
	if err != nil {
		return nil, err
	}
	w, err := s.store.UpdateWebhookEndpoint(r.Context(), id, func(w *callfloor.WebhookEndpoint) error {
		var in webhookEndpointInput
		in.from(w)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(w)
		return s.checkWebhookEndpoint(r.Context(), w)
	})
	if err != nil {
		return nil, err
	}
	s.wakeWebhooks(r, id)
	return s.withAge(w), nil
}

func (s *Server) deleteWebhookEndpoint(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "webhook endpoint")
	if err != nil {
		return noContent{}, err
	}
	if err := s.store.DeleteWebhookEndpoint(r.Context(), id); err != nil {
		return noContent{}, err
	}
	s.wakeWebhooks(r, id)
	return noContent{}, nil
}

// checkWebhookEndpoint validates an endpoint and refuses a URL that leads
// inside the network, unless the server allows it: plain http, a
// loopback, private, link-local (cloud metadata) or shared address, or a
// name that resolves to one. The delivery client refuses such addresses
// again at every connection, so a name that resolves elsewhere later is
// caught then.
func (s *Server) checkWebhookEndpoint(ctx context.Context, w *callfloor.WebhookEndpoint) error {
	if err := w.Validate(); err != nil {
		return err
	}
	if s.webhookAllowPrivate {
		return nil
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return callfloor.FieldError(callfloor.ErrInvalidField, "url", "url must be an absolute https URL")
	}
	if u.Scheme != "https" {
		return callfloor.FieldError(callfloor.ErrInvalidField, "url", "url must be https (plain http only on a server that allows private addresses)")
	}
	inside := callfloor.FieldError(callfloor.ErrInvalidField, "url",
		"url leads inside the network (a loopback, private, link-local or metadata address): refused")
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil {
		if webhook.Internal(a) {
			return inside
		}
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".internal") {
		return inside
	}
	lookup, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(lookup, "ip", host)
	if err != nil {
		return nil // not resolvable now: the client checks at each delivery
	}
	for _, a := range addrs {
		if webhook.Internal(a) {
			return inside
		}
	}
	return nil
}

func (s *Server) rotateEndpointSecret(_ http.ResponseWriter, r *http.Request, dec decoder[rotateInput]) (*WebhookEndpointSecret, error) {
	id, err := pathID(r, "webhook endpoint")
	if err != nil {
		return nil, err
	}
	w, err := s.store.UpdateWebhookEndpoint(r.Context(), id, func(w *callfloor.WebhookEndpoint) error {
		var in rotateInput
		if err := dec(&in); err != nil {
			return err
		}
		overlap := callfloor.DefaultSecretOverlap
		if in.OverlapHours != nil {
			h := time.Duration(*in.OverlapHours) * time.Hour
			if *in.OverlapHours < 0 || h > callfloor.MaxSecretOverlap {
				return callfloor.FieldError(callfloor.ErrInvalidField, "overlap_hours", "overlap_hours must be from 0 to %d", int(callfloor.MaxSecretOverlap/time.Hour))
			}
			overlap = h
		}
		w.Rotate(webhook.NewSecret(), s.clock.Now(), overlap)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &WebhookEndpointSecret{WebhookEndpoint: *s.withAge(w), Secret: w.Secret}, nil
}

func (s *Server) listWebhookAttempts(_ http.ResponseWriter, r *http.Request) (*WebhookAttemptPage, error) {
	id, err := pathID(r, "webhook endpoint")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	limit, before := 50, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, "limit", "limit must be 1 to 200")
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, "before", "before must be the next value of a previous page")
		}
		before = n
	}
	items, err := s.store.ListWebhookAttempts(r.Context(), id, before, limit+1)
	if err != nil {
		return nil, err
	}
	page := &WebhookAttemptPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		next := strconv.FormatInt(items[limit-1].ID, 10)
		page.Next = &next
	}
	return page, nil
}

func (s *Server) sendWebhookTest(_ http.ResponseWriter, r *http.Request) (*WebhookTestQueued, error) {
	w, err := s.webhookEndpoint(r)
	if err != nil {
		return nil, err
	}
	body, err := callfloor.NewWebhookTestBody(w.ID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	m := &callfloor.WebhookMessage{Type: callfloor.WebhookTest, Payload: body}
	if _, err := s.store.QueueWebhookMessages(r.Context(), w.ID, []*callfloor.WebhookMessage{m}); err != nil {
		return nil, err
	}
	s.wakeWebhooks(r, w.ID)
	return &WebhookTestQueued{MessageID: m.MessageID()}, nil
}

func (s *Server) replayWebhooks(_ http.ResponseWriter, r *http.Request, dec decoder[replayInput]) (*WebhookReplay, error) {
	w, err := s.webhookEndpoint(r)
	if err != nil {
		return nil, err
	}
	var in replayInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	var out *WebhookReplay
	switch {
	case in.MessageID != "" && in.Since != nil:
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "since", "give message_id or since, not both")
	case in.MessageID != "":
		out, err = s.replayMessage(r.Context(), w, in.MessageID)
	case in.Since != nil:
		out, err = s.replaySince(r.Context(), w, *in.Since)
	default:
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "message_id", "give the message_id of a message, or since, a time")
	}
	if err != nil {
		return nil, err
	}
	s.wakeWebhooks(r, w.ID)
	return out, nil
}

// replayMessage queues one message of the endpoint again: an outbox row
// it still has, or the journal event its id names.
func (s *Server) replayMessage(ctx context.Context, w *callfloor.WebhookEndpoint, id string) (*WebhookReplay, error) {
	seq, outbox, ok := callfloor.ParseWebhookMessageID(w.ID, id)
	unknown := callfloor.FieldError(callfloor.ErrInvalidReference, "message_id", "%s is not a message of this endpoint", id)
	if !ok || seq > w.Cursor {
		return nil, unknown
	}
	m, err := s.store.FindWebhookMessage(ctx, w.ID, seq, outbox)
	switch {
	case err == nil:
		m = &callfloor.WebhookMessage{ID: m.ID}
	case callfloor.ErrorCode(err) != callfloor.ErrNotFound:
		return nil, err
	case outbox != 0:
		return nil, unknown
	default:
		evs, err := s.store.ReadEvents(ctx, w.AccountID, seq-1, 1)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 || evs[0].Seq != seq {
			return nil, unknown
		}
		typ, wants := w.Wants(&evs[0])
		if !wants {
			return nil, callfloor.FieldError(callfloor.ErrInvalidReference, "message_id", "the endpoint does not take the event of %s", id)
		}
		m = &callfloor.WebhookMessage{Seq: seq, Lane: w.Lane(&evs[0]), Type: typ}
	}
	n, err := s.store.QueueWebhookMessages(ctx, w.ID, []*callfloor.WebhookMessage{m})
	if err != nil {
		return nil, err
	}
	return &WebhookReplay{Queued: n}, nil
}

// replaySince queues again the journal events since t that the endpoint
// takes, up to its cursor (what it has not taken yet comes anyway).
func (s *Server) replaySince(ctx context.Context, w *callfloor.WebhookEndpoint, t time.Time) (*WebhookReplay, error) {
	if t.After(s.clock.Now()) {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "since", "since is in the future")
	}
	after, err := s.store.JournalSeqBefore(ctx, t)
	if err != nil {
		return nil, err
	}
	out := &WebhookReplay{}
	for after < w.Cursor && !out.Truncated {
		evs, err := s.store.ReadEvents(ctx, w.AccountID, after, 500)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		var msgs []*callfloor.WebhookMessage
		for i := range evs {
			if evs[i].Seq > w.Cursor {
				break
			}
			if typ, ok := w.Wants(&evs[i]); ok {
				if len(msgs)+out.Queued >= maxReplay {
					out.Truncated = true
					break
				}
				msgs = append(msgs, &callfloor.WebhookMessage{Seq: evs[i].Seq, Lane: w.Lane(&evs[i]), Type: typ})
			}
		}
		after = evs[len(evs)-1].Seq
		n, err := s.store.QueueWebhookMessages(ctx, w.ID, msgs)
		if err != nil {
			return nil, err
		}
		out.Queued += n
	}
	return out, nil
}
