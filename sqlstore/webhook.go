package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/callfloor/callfloor"
)

// Integrated system webhooks: the endpoints, their outboxes (filled from
// the journal by cursor) and their attempt logs. See
// sqlite/migrations/0013_webhooks.sql for the tables.

const endpointColumns = `e.id, e.account_id, e.url, e.description, e.event_types, e.extension_id, e.enabled, e.disabled_reason,
	e.disabled_at, e.secret, e.previous_secret, e.previous_secret_until, e.cursor_seq, e.last_success_at, e.last_failure_at,
	e.created_at, e.updated_at,
	(SELECT COUNT(*) FROM webhook_outbox o WHERE o.endpoint_id = e.id AND o.status = 'pending'),
	(SELECT MIN(o.queued_at) FROM webhook_outbox o WHERE o.endpoint_id = e.id AND o.status = 'pending')`

func scanEndpoint(c conn, sc scanner) (*callfloor.WebhookEndpoint, error) {
	var (
		w                                 callfloor.WebhookEndpoint
		types                             string
		ext                               sql.NullInt64
		disabled, prevUntil, okAt, failAt sql.NullInt64
		oldest                            sql.NullInt64
		created, updated                  int64
	)
	err := sc.Scan(&w.ID, &w.AccountID, &w.URL, &w.Description, &types, &ext, &w.Enabled, &w.DisabledReason,
		&disabled, &w.Secret, &w.PreviousSecret, &prevUntil, &w.Cursor, &okAt, &failAt, &created, &updated, &w.Backlog, &oldest)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &w.EventTypes); err != nil {
		return nil, err
	}
	if w.Secret, err = c.box.open(w.Secret); err != nil {
		return nil, err
	}
	if w.PreviousSecret, err = c.box.open(w.PreviousSecret); err != nil {
		return nil, err
	}
	w.ExtensionID, w.DisabledAt, w.PreviousSecretExpiresAt = idPtr(ext), timePtr(disabled), timePtr(prevUntil)
	w.LastSuccessAt, w.LastFailureAt, w.OldestPendingAt = timePtr(okAt), timePtr(failAt), timePtr(oldest)
	w.CreatedAt, w.UpdatedAt = fromMS(created), fromMS(updated)
	return &w, nil
}

func loadEndpoints(ctx context.Context, c conn, where string, args ...any) ([]*callfloor.WebhookEndpoint, error) {
	rows, err := c.query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE `+where, args...)
	if err != nil {
		return nil, dbErr("load webhook endpoints", err)
	}
	defer rows.Close()
	list := []*callfloor.WebhookEndpoint{}
	for rows.Next() {
		w, err := scanEndpoint(c, rows)
		if err != nil {
			return nil, dbErr("load webhook endpoints", err)
		}
		list = append(list, w)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load webhook endpoints", err)
	}
	return list, nil
}

func loadEndpoint(ctx context.Context, c conn, account, id int64) (*callfloor.WebhookEndpoint, error) {
	list, err := loadEndpoints(ctx, c, `e.account_id = ? AND e.id = ?`, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("webhook endpoint", id)
	}
	return list[0], nil
}

// checkEndpointExtension requires a device-level endpoint's extension to
// be a participant of the account: the queues feature, not an agent.
func checkEndpointExtension(ctx context.Context, c conn, account int64, ext *int64) error {
	if ext == nil {
		return nil
	}
	var queues, agent bool
	err := c.row(ctx, `SELECT queues_feature, agent_enabled FROM extensions WHERE account_id = ? AND id = ?`, account, *ext).Scan(&queues, &agent)
	if errors.Is(err, sql.ErrNoRows) {
		return callfloor.FieldError(callfloor.ErrInvalidReference, "extension_id", "extension %d does not exist", *ext)
	}
	if err != nil {
		return dbErr("check webhook extension", err)
	}
	if !queues || agent {
		return callfloor.FieldError(callfloor.ErrInvalidField, "extension_id",
			"device-level webhooks are for participants (queues feature, not an agent); agents' events go to the account's endpoints")
	}
	return nil
}

// sealEndpoint returns the endpoint's secrets as stored.
func sealEndpoint(c conn, w *callfloor.WebhookEndpoint) (secret, previous string, err error) {
	if secret, err = c.box.seal(w.Secret); err != nil {
		return "", "", err
	}
	previous, err = c.box.seal(w.PreviousSecret)
	return secret, previous, err
}

// CreateWebhookEndpoint stores an endpoint of the caller's account; it
// starts at the account's last journal event.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, w *callfloor.WebhookEndpoint) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return err
	}
	if w.Secret == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "secret", "an endpoint needs a signing secret")
	}
	now := s.now()
	w.DisabledReason, w.DisabledAt = "", nil
	if !w.Enabled {
		w.DisabledAt = &now
	}
	types, _ := json.Marshal(w.EventTypes)
	err = s.write(ctx, account, func(c conn) error {
		if err := checkEndpointExtension(ctx, c, account, w.ExtensionID); err != nil {
			return err
		}
		var n int
		if err := c.row(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = ?`, account).Scan(&n); err != nil {
			return dbErr("count webhook endpoints", err)
		}
		if n >= callfloor.MaxWebhookEndpoints {
			return callfloor.Errorf(callfloor.ErrLimitReached, "an account has at most %d webhook endpoints", callfloor.MaxWebhookEndpoints)
		}
		if err := c.row(ctx, `SELECT COALESCE(MAX(seq), 0) FROM journal WHERE account_id = ?`, account).Scan(&w.Cursor); err != nil {
			return dbErr("read journal head", err)
		}
		secret, previous, err := sealEndpoint(c, w)
		if err != nil {
			return err
		}
		err = c.row(ctx, `INSERT INTO webhook_endpoints (account_id, url, description, event_types, extension_id, enabled,
			disabled_reason, disabled_at, secret, previous_secret, previous_secret_until, cursor_seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, w.URL, w.Description, string(types), nullID(w.ExtensionID), w.Enabled, msPtr(w.DisabledAt),
			secret, previous, msPtr(w.PreviousSecretExpiresAt), w.Cursor, toMS(now), toMS(now)).Scan(&w.ID)
		if err != nil {
			return dbErr("insert webhook endpoint", err)
		}
		return nil
	})
	if err != nil {
		w.ID = 0
		return err
	}
	w.AccountID, w.CreatedAt, w.UpdatedAt = account, now, now
	w.LastSuccessAt, w.LastFailureAt, w.Backlog, w.OldestPendingAt = nil, nil, 0, nil
	return nil
}

// FindWebhookEndpointByID returns one endpoint of the caller's account.
func (s *Store) FindWebhookEndpointByID(ctx context.Context, id int64) (*callfloor.WebhookEndpoint, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var w *callfloor.WebhookEndpoint
	err = s.read(ctx, func(c conn) (err error) {
		w, err = loadEndpoint(ctx, c, account, id)
		return err
	})
	return w, err
}

// ListWebhookEndpoints returns the caller's account's endpoints, oldest
// first.
func (s *Store) ListWebhookEndpoints(ctx context.Context) ([]*callfloor.WebhookEndpoint, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.WebhookEndpoint
	err = s.read(ctx, func(c conn) (err error) {
		list, err = loadEndpoints(ctx, c, `e.account_id = ? ORDER BY e.id`, account)
		return err
	})
	return list, err
}

// UpdateWebhookEndpoint lets fn change an endpoint. Its cursor and health
// are the workers' and stay as they are; enabling it clears the reason
// the system disabled it for, and an admin's disabling has no reason.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, id int64, fn func(*callfloor.WebhookEndpoint) error) (*callfloor.WebhookEndpoint, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.WebhookEndpoint
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadEndpoint(ctx, c, account, id)
		if err != nil {
			return err
		}
		w := *old
		w.EventTypes = append([]callfloor.WebhookEventType{}, old.EventTypes...)
		w.ExtensionID = cloneID(old.ExtensionID)
		if err := fn(&w); err != nil {
			return err
		}
		w.ID, w.AccountID, w.CreatedAt, w.Cursor = old.ID, old.AccountID, old.CreatedAt, old.Cursor
		w.LastSuccessAt, w.LastFailureAt, w.Backlog, w.OldestPendingAt = old.LastSuccessAt, old.LastFailureAt, old.Backlog, old.OldestPendingAt
		now := s.now()
		switch {
		case w.Enabled:
			w.DisabledReason, w.DisabledAt = "", nil
		case old.Enabled:
			w.DisabledReason, w.DisabledAt = "", &now
		default:
			w.DisabledReason, w.DisabledAt = old.DisabledReason, old.DisabledAt
		}
		if err := w.Validate(); err != nil {
			return err
		}
		if w.Secret == "" {
			return callfloor.FieldError(callfloor.ErrFieldRequired, "secret", "an endpoint needs a signing secret")
		}
		if err := checkEndpointExtension(ctx, c, account, w.ExtensionID); err != nil {
			return err
		}
		secret, previous, err := sealEndpoint(c, &w)
		if err != nil {
			return err
		}
		w.UpdatedAt = now
		types, _ := json.Marshal(w.EventTypes)
		_, err = c.exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, extension_id = ?, enabled = ?,
			disabled_reason = ?, disabled_at = ?, secret = ?, previous_secret = ?, previous_secret_until = ?, updated_at = ?
			WHERE account_id = ? AND id = ?`,
			w.URL, w.Description, string(types), nullID(w.ExtensionID), w.Enabled, w.DisabledReason, msPtr(w.DisabledAt),
			secret, previous, msPtr(w.PreviousSecretExpiresAt), toMS(now), account, id)
		if err != nil {
			return dbErr("update webhook endpoint", err)
		}
		out = &w
		return nil
	})
	return out, err
}

// DeleteWebhookEndpoint removes an endpoint, its outbox and its log.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "webhook_endpoints", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("webhook endpoint", id)
		}
		for _, q := range []string{
			`DELETE FROM webhook_attempts WHERE account_id = ? AND endpoint_id = ?`,
			`DELETE FROM webhook_outbox WHERE account_id = ? AND endpoint_id = ?`,
			`DELETE FROM webhook_endpoints WHERE account_id = ? AND id = ?`,
		} {
			if _, err := c.exec(ctx, q, account, id); err != nil {
				return dbErr("delete webhook endpoint", err)
			}
		}
		return nil
	})
}

const attemptColumns = `id, account_id, endpoint_id, message_id, seq, event_type, at, attempt, status, error, latency_ms, response, outcome, next_attempt_at`

// ListWebhookAttempts returns a page of the endpoint's attempt log,
// newest first.
func (s *Store) ListWebhookAttempts(ctx context.Context, endpointID, before int64, limit int) ([]*callfloor.WebhookAttempt, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	list := []*callfloor.WebhookAttempt{}
	err = s.read(ctx, func(c conn) error {
		ok, err := inAccount(ctx, c, "webhook_endpoints", account, endpointID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("webhook endpoint", endpointID)
		}
		rows, err := c.query(ctx, `SELECT `+attemptColumns+` FROM webhook_attempts WHERE account_id = ? AND endpoint_id = ? AND id < ?
			ORDER BY id DESC LIMIT ?`, account, endpointID, before, limit)
		if err != nil {
			return dbErr("list webhook attempts", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				a        callfloor.WebhookAttempt
				at       int64
				typ, out string
				next     sql.NullInt64
			)
			if err := rows.Scan(&a.ID, &a.AccountID, &a.EndpointID, &a.MessageID, &a.Seq, &typ, &at, &a.Attempt, &a.Status,
				&a.Error, &a.LatencyMS, &a.Response, &out, &next); err != nil {
				return dbErr("list webhook attempts", err)
			}
			a.Type, a.Outcome, a.At, a.NextAttemptAt = callfloor.WebhookEventType(typ), callfloor.WebhookOutcome(out), fromMS(at), timePtr(next)
			list = append(list, &a)
		}
		return rows.Err()
	})
	return list, err
}

const messageColumns = `id, account_id, endpoint_id, seq, lane, event_type, payload, status, attempts, next_attempt_at, queued_at`

func scanMessage(sc scanner) (*callfloor.WebhookMessage, error) {
	var (
		m                callfloor.WebhookMessage
		typ, st, payload string
		next, queued     int64
	)
	if err := sc.Scan(&m.ID, &m.AccountID, &m.EndpointID, &m.Seq, &m.Lane, &typ, &payload, &st, &m.Attempts, &next, &queued); err != nil {
		return nil, err
	}
	m.Type, m.Status, m.NextAttemptAt, m.QueuedAt = callfloor.WebhookEventType(typ), callfloor.WebhookMessageStatus(st), fromMS(next), fromMS(queued)
	if payload != "" {
		m.Payload = []byte(payload)
	}
	return &m, nil
}

func loadMessages(ctx context.Context, c conn, where string, args ...any) ([]*callfloor.WebhookMessage, error) {
	rows, err := c.query(ctx, `SELECT `+messageColumns+` FROM webhook_outbox WHERE `+where, args...)
	if err != nil {
		return nil, dbErr("load webhook messages", err)
	}
	defer rows.Close()
	var out []*callfloor.WebhookMessage
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, dbErr("load webhook messages", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FindWebhookMessage returns an outbox message of an endpoint of the
// caller's account, by journal seq or by outbox id.
func (s *Store) FindWebhookMessage(ctx context.Context, endpointID, seq, outboxID int64) (*callfloor.WebhookMessage, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.WebhookMessage
	err = s.read(ctx, func(c conn) (err error) {
		if seq > 0 {
			// "seq > 0" lets the database use the partial index of
			// (endpoint_id, seq): a bound seq alone does not show it.
			list, err = loadMessages(ctx, c, `account_id = ? AND endpoint_id = ? AND seq > 0 AND seq = ?`, account, endpointID, seq)
		} else {
			list, err = loadMessages(ctx, c, `account_id = ? AND endpoint_id = ? AND id = ? AND seq = 0`, account, endpointID, outboxID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "the endpoint has no such message")
	}
	return list[0], nil
}

// QueueWebhookMessages makes messages of an endpoint of the caller's
// account pending, due now.
func (s *Store) QueueWebhookMessages(ctx context.Context, endpointID int64, msgs []*callfloor.WebhookMessage) (int, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return 0, err
	}
	now := toMS(s.now())
	queued := 0
	err = s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "webhook_endpoints", account, endpointID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("webhook endpoint", endpointID)
		}
		requeue := `UPDATE webhook_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, queued_at = ?, updated_at = ?
			WHERE account_id = ? AND endpoint_id = ? AND status <> 'pending' AND `
		for _, m := range msgs {
			m.AccountID, m.EndpointID = account, endpointID
			var res sql.Result
			switch {
			case m.ID != 0:
				res, err = c.exec(ctx, requeue+`id = ?`, now, now, now, account, endpointID, m.ID)
			case m.Seq > 0:
				res, err = c.exec(ctx, requeue+`seq > 0 AND seq = ?`, now, now, now, account, endpointID, m.Seq)
			default:
				err = c.row(ctx, `INSERT INTO webhook_outbox (account_id, endpoint_id, seq, lane, event_type, payload, status, attempts,
					next_attempt_at, queued_at, updated_at) VALUES (?, ?, 0, ?, ?, ?, 'pending', 0, ?, ?, ?) RETURNING id`,
					account, endpointID, m.Lane, string(m.Type), string(m.Payload), now, now, now).Scan(&m.ID)
				if err != nil {
					return dbErr("queue webhook message", err)
				}
				queued++
				continue
			}
			if err != nil {
				return dbErr("queue webhook message", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				queued++
				continue
			}
			if m.ID != 0 {
				continue // pending already (or gone)
			}
			res, err = c.exec(ctx, `INSERT INTO webhook_outbox (account_id, endpoint_id, seq, lane, event_type, payload, status, attempts,
				next_attempt_at, queued_at, updated_at) VALUES (?, ?, ?, ?, ?, '', 'pending', 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
				account, endpointID, m.Seq, m.Lane, string(m.Type), now, now, now)
			if err != nil {
				return dbErr("queue webhook message", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				queued++
			}
		}
		return nil
	})
	return queued, err
}

// JournalSeqBefore finds the account's last journal event before t by
// bisection over seq (the journal's times rise with its seqs), a few
// look-ups by primary key however long the journal.
func (s *Store) JournalSeqBefore(ctx context.Context, t time.Time) (int64, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return 0, err
	}
	var found int64
	err = s.read(ctx, func(c conn) error {
		var last int64
		if err := c.row(ctx, `SELECT COALESCE(MAX(seq), 0) FROM journal WHERE account_id = ?`, account).Scan(&last); err != nil {
			return dbErr("read journal head", err)
		}
		// at returns the time of the first event at or after seq.
		at := func(seq int64) (int64, error) {
			var ms int64
			err := c.row(ctx, `SELECT at FROM journal WHERE account_id = ? AND seq >= ? ORDER BY seq LIMIT 1`, account, seq).Scan(&ms)
			if err != nil {
				return 0, dbErr("read journal time", err)
			}
			return ms, nil
		}
		lo, hi := int64(0), last+1 // before(lo) holds, before(hi) does not
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			ms, err := at(mid)
			if err != nil {
				return err
			}
			if ms < toMS(t) {
				lo = mid
			} else {
				hi = mid
			}
		}
		found = lo
		return nil
	})
	return found, err
}

// DeliverableWebhookEndpoints returns the enabled endpoints of every
// account.
func (s *Store) DeliverableWebhookEndpoints(ctx context.Context) ([]*callfloor.WebhookEndpoint, error) {
	var list []*callfloor.WebhookEndpoint
	err := s.read(ctx, func(c conn) (err error) {
		list, err = loadEndpoints(ctx, c, `e.enabled ORDER BY e.id`)
		return err
	})
	return list, err
}

// days says a duration in whole days, or hours below two days.
func days(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}

func attemptSummary(a *callfloor.WebhookAttempt) string {
	if a.Status != 0 {
		return fmt.Sprintf("HTTP %d", a.Status)
	}
	return a.Error
}
