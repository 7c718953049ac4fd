package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

// The delivery workers' side of the webhooks: filling an endpoint's
// outbox from the journal, claiming its lanes' heads, recording the
// attempts. All of it is bookkeeping the workers can redo (a message is
// sent again, under its id), so it commits without waiting for the disk
// (writeRelaxed).

// outboxChunk is how many messages one INSERT carries (8 parameters
// each).
const outboxChunk = 400

// fillOutbox moves the cursor and adds the messages, or does nothing
// when the cursor is not at from or the endpoint is disabled.
func fillOutbox(ctx context.Context, c conn, now, accountID, endpointID, from, to int64, msgs []*callfloor.WebhookMessage) (bool, error) {
	res, err := c.exec(ctx, `UPDATE webhook_endpoints SET cursor_seq = ? WHERE account_id = ? AND id = ? AND cursor_seq = ? AND enabled`,
		to, accountID, endpointID, from)
	if err != nil {
		return false, dbErr("move webhook cursor", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for start := 0; start < len(msgs); start += outboxChunk {
		part := msgs[start:min(start+outboxChunk, len(msgs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO webhook_outbox (account_id, endpoint_id, seq, lane, event_type, payload, status, attempts,
			next_attempt_at, queued_at, updated_at) VALUES `)
		args := make([]any, 0, 8*len(part))
		for i, m := range part {
			if m.Seq <= from || m.Seq > to {
				return false, fmt.Errorf("sqlstore: webhook message of seq %d outside (%d, %d]", m.Seq, from, to)
			}
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString(`(?, ?, ?, ?, ?, '', 'pending', 0, ?, ?, ?)`)
			args = append(args, accountID, endpointID, m.Seq, m.Lane, string(m.Type), now, now, now)
		}
		q.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := c.exec(ctx, q.String(), args...); err != nil {
			return false, dbErr("fill webhook outbox", err)
		}
	}
	return true, nil
}

// A claim reads an endpoint's pending messages in outbox order, a
// window at a time: the first row of a lane in outbox order is its head,
// so a window finds the heads of the lanes it touches without grouping
// every pending row. The first window is a few times the heads wanted
// (most lanes hold one message or two), each next one twice the last up
// to claimWindow, and a claim reads claimRows at most. Lanes whose
// messages all lie beyond them (behind a long backlog of lanes held by
// retries) wait for a later claim.
const (
	claimWindow = 1000
	claimRows   = 8000
)

// laneHead is the first pending message of a lane.
type laneHead struct {
	id   int64
	next int64
}

// claimHeads finds the due heads of the endpoint's lanes, at most limit,
// and holds them until until, if the endpoint is enabled.
func claimHeads(ctx context.Context, c conn, accountID, endpointID int64, now, until time.Time, limit int) (*callfloor.WebhookClaim, error) {
	claim := &callfloor.WebhookClaim{}
	due, err := dueHeads(ctx, c, endpointID, now, limit, claim)
	if err != nil || len(due) == 0 {
		return claim, err
	}
	// One statement claims them all: a head still pending and due is
	// taken, if the endpoint is still enabled.
	args := make([]any, 0, len(due)+5)
	args = append(args, toMS(until), accountID, endpointID, toMS(now), endpointID)
	for _, h := range due {
		args = append(args, h.id)
	}
	rows, err := c.query(ctx, `UPDATE webhook_outbox SET next_attempt_at = ?
		WHERE account_id = ? AND endpoint_id = ? AND status = 'pending' AND next_attempt_at <= ?
		AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = ? AND e.enabled)
		AND id IN (?`+strings.Repeat(", ?", len(due)-1)+`) RETURNING `+messageColumns, args...)
	if err != nil {
		return nil, dbErr("claim webhook messages", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, dbErr("claim webhook messages", err)
		}
		claim.Messages = append(claim.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("claim webhook messages", err)
	}
	sort.Slice(claim.Messages, func(i, j int) bool { return claim.Messages[i].ID < claim.Messages[j].ID })
	return claim, nil
}

// dueHeads reads the endpoint's pending messages a window at a time and
// returns the heads due at now, at most limit; claim.NextDue is when the
// first of the others is due.
func dueHeads(ctx context.Context, c conn, endpointID int64, now time.Time, limit int, claim *callfloor.WebhookClaim) ([]laneHead, error) {
	var due []laneHead
	next := func(ms int64) {
		if claim.NextDue == nil || ms < toMS(*claim.NextDue) {
			t := fromMS(ms)
			claim.NextDue = &t
		}
	}
	lanes := map[int64]bool{}
	after := int64(0)
	for read, window := 0, min(max(4*limit, 64), claimWindow); read < claimRows; read, window = read+window, min(2*window, claimWindow) {
		rows, err := c.query(ctx, `SELECT id, lane, next_attempt_at FROM webhook_outbox
			WHERE endpoint_id = ? AND status = 'pending' AND id > ? ORDER BY id LIMIT ?`, endpointID, after, window)
		if err != nil {
			return nil, dbErr("read webhook lanes", err)
		}
		n := 0
		for rows.Next() {
			var h laneHead
			var lane int64
			if err := rows.Scan(&h.id, &lane, &h.next); err != nil {
				rows.Close()
				return nil, dbErr("read webhook lanes", err)
			}
			n, after = n+1, h.id
			if lanes[lane] {
				continue // held behind its lane's head
			}
			lanes[lane] = true
			if h.next <= toMS(now) && len(due) < limit {
				due = append(due, h)
			} else {
				next(h.next)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, dbErr("read webhook lanes", err)
		}
		if n < window || len(due) >= limit {
			return due, nil
		}
	}
	// Lanes may wait beyond the windows read: look again soon.
	next(toMS(now.Add(time.Second)))
	return due, nil
}

// WebhookBacklog counts the endpoint's pending messages and says when
// the oldest was queued.
func (s *Store) WebhookBacklog(ctx context.Context, endpointID int64) (int, *time.Time, error) {
	var (
		n      int
		oldest sql.NullInt64
	)
	err := s.read(ctx, func(c conn) error {
		err := c.row(ctx, `SELECT COUNT(*), MIN(queued_at) FROM webhook_outbox WHERE endpoint_id = ? AND status = 'pending'`,
			endpointID).Scan(&n, &oldest)
		if err != nil {
			return dbErr("count webhook backlog", err)
		}
		return nil
	})
	return n, timePtr(oldest), err
}

// attemptChunk is how many attempts one INSERT logs (13 parameters
// each).
const attemptChunk = 200

// checkAttempts refuses attempts of another endpoint or of no known
// outcome.
func checkAttempts(accountID, endpointID int64, list []*callfloor.WebhookAttempt) error {
	for _, a := range list {
		if a.AccountID != accountID || a.EndpointID != endpointID {
			return fmt.Errorf("sqlstore: an attempt of endpoint %d recorded with endpoint %d's", a.EndpointID, endpointID)
		}
		switch a.Outcome {
		case callfloor.WebhookOutcomeDelivered, callfloor.WebhookOutcomeFailed, callfloor.WebhookOutcomeRetry, callfloor.WebhookOutcomeGone:
		default:
			return fmt.Errorf("sqlstore: webhook attempt outcome %q", a.Outcome)
		}
	}
	return nil
}

// recordAttempts applies and logs the attempts, in outbox order (so that
// two servers lock rows in the same order), and returns the reason when
// they disabled the endpoint.
func recordAttempts(ctx context.Context, c conn, accountID, endpointID int64, list []*callfloor.WebhookAttempt, staleBefore time.Time) (string, error) {
	list = append([]*callfloor.WebhookAttempt{}, list...)
	sort.Slice(list, func(i, j int) bool { return list[i].OutboxID < list[j].OutboxID })
	applied, err := applyOutcomes(ctx, c, accountID, endpointID, list)
	if err != nil {
		return "", err
	}
	if err := logAttempts(ctx, c, applied); err != nil {
		return "", err
	}
	if err := recordHealth(ctx, c, endpointID, applied); err != nil {
		return "", err
	}
	for _, a := range applied {
		if disabled, err := disableFor(ctx, c, a, staleBefore); err != nil || disabled != "" {
			return disabled, err
		}
	}
	return "", nil
}

// RunWebhookPass writes a delivery worker's pass in one transaction:
// the attempts are recorded, the outbox filled, and the due heads
// claimed.
func (s *Store) RunWebhookPass(ctx context.Context, p *callfloor.WebhookPass) (*callfloor.WebhookPassResult, error) {
	if err := checkAttempts(p.AccountID, p.EndpointID, p.Attempts); err != nil {
		return nil, err
	}
	var out *callfloor.WebhookPassResult
	err := s.writeRelaxed(ctx, func(c conn) error {
		r := &callfloor.WebhookPassResult{Claim: &callfloor.WebhookClaim{}}
		var err error
		if len(p.Attempts) > 0 {
			if r.Disabled, err = recordAttempts(ctx, c, p.AccountID, p.EndpointID, p.Attempts, p.StaleBefore); err != nil {
				return err
			}
		}
		if p.To > p.From {
			if r.Moved, err = fillOutbox(ctx, c, toMS(s.now()), p.AccountID, p.EndpointID, p.From, p.To, p.Messages); err != nil {
				return err
			}
		}
		if p.Limit > 0 && r.Disabled == "" {
			if r.Claim, err = claimHeads(ctx, c, p.AccountID, p.EndpointID, p.Now, p.Until, p.Limit); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	return out, err
}

// applyOutcomes moves each attempt's message on; it returns the attempts
// whose message was still pending (one deleted meanwhile records
// nothing).
func applyOutcomes(ctx context.Context, c conn, accountID, endpointID int64, list []*callfloor.WebhookAttempt) ([]*callfloor.WebhookAttempt, error) {
	const where = ` WHERE id = ? AND account_id = ? AND endpoint_id = ? AND status = 'pending'`
	var applied []*callfloor.WebhookAttempt
	// The deliveries, most of them, in a statement for many.
	var delivered []*callfloor.WebhookAttempt
	for _, a := range list {
		if a.Outcome == callfloor.WebhookOutcomeDelivered {
			delivered = append(delivered, a)
		}
	}
	for start := 0; start < len(delivered); start += outboxChunk {
		part := delivered[start:min(start+outboxChunk, len(delivered))]
		byID := map[int64]*callfloor.WebhookAttempt{}
		args := []any{toMS(part[len(part)-1].At), accountID, endpointID}
		for _, a := range part {
			byID[a.OutboxID] = a
			args = append(args, a.OutboxID)
		}
		rows, err := c.query(ctx, `UPDATE webhook_outbox SET status = 'delivered', attempts = attempts + 1, updated_at = ?
			WHERE account_id = ? AND endpoint_id = ? AND status = 'pending' AND id IN (?`+strings.Repeat(", ?", len(part)-1)+`) RETURNING id`,
			args...)
		if err != nil {
			return nil, dbErr("record webhook message", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, dbErr("record webhook message", err)
			}
			if a := byID[id]; a != nil {
				applied = append(applied, a)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, dbErr("record webhook message", err)
		}
	}
	for _, a := range list {
		at := toMS(a.At)
		var res sql.Result
		var err error
		switch a.Outcome {
		case callfloor.WebhookOutcomeDelivered:
			continue
		case callfloor.WebhookOutcomeFailed:
			res, err = c.exec(ctx, `UPDATE webhook_outbox SET status = 'failed', attempts = ?, updated_at = ?`+where,
				a.Attempt, at, a.OutboxID, accountID, endpointID)
		default: // retry, gone
			next := at
			if a.NextAttemptAt != nil {
				next = toMS(*a.NextAttemptAt)
			}
			res, err = c.exec(ctx, `UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, updated_at = ?`+where,
				a.Attempt, next, at, a.OutboxID, accountID, endpointID)
		}
		if err != nil {
			return nil, dbErr("record webhook message", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			applied = append(applied, a)
		}
	}
	return applied, nil
}

// logAttempts adds the attempts to the endpoint's log and sets their
// ids.
func logAttempts(ctx context.Context, c conn, list []*callfloor.WebhookAttempt) error {
	type key struct {
		message string
		attempt int
	}
	for start := 0; start < len(list); start += attemptChunk {
		part := list[start:min(start+attemptChunk, len(list))]
		var q strings.Builder
		q.WriteString(`INSERT INTO webhook_attempts (account_id, endpoint_id, message_id, seq, event_type, at, attempt, status, error,
			latency_ms, response, outcome, next_attempt_at) VALUES `)
		args := make([]any, 0, 13*len(part))
		byKey := map[key]*callfloor.WebhookAttempt{}
		for i, a := range part {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, a.AccountID, a.EndpointID, a.MessageID, a.Seq, string(a.Type), toMS(a.At), a.Attempt, a.Status, a.Error,
				a.LatencyMS, a.Response, string(a.Outcome), msPtr(a.NextAttemptAt))
			byKey[key{a.MessageID, a.Attempt}] = a
		}
		q.WriteString(` RETURNING id, message_id, attempt`)
		rows, err := c.query(ctx, q.String(), args...)
		if err != nil {
			return dbErr("log webhook attempts", err)
		}
		for rows.Next() {
			var (
				id int64
				k  key
			)
			if err := rows.Scan(&id, &k.message, &k.attempt); err != nil {
				rows.Close()
				return dbErr("log webhook attempts", err)
			}
			if a := byKey[k]; a != nil {
				a.ID = id
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return dbErr("log webhook attempts", err)
		}
	}
	return nil
}

// recordHealth notes the endpoint's latest success and failure.
func recordHealth(ctx context.Context, c conn, endpointID int64, list []*callfloor.WebhookAttempt) error {
	var ok, failed int64
	for _, a := range list {
		if a.Outcome == callfloor.WebhookOutcomeDelivered {
			ok = max(ok, toMS(a.At))
		} else {
			failed = max(failed, toMS(a.At))
		}
	}
	if ok > 0 {
		if _, err := c.exec(ctx, `UPDATE webhook_endpoints SET last_success_at = ? WHERE id = ?`, ok, endpointID); err != nil {
			return dbErr("record webhook health", err)
		}
	}
	if failed > 0 {
		if _, err := c.exec(ctx, `UPDATE webhook_endpoints SET last_failure_at = ? WHERE id = ?`, failed, endpointID); err != nil {
			return dbErr("record webhook health", err)
		}
	}
	return nil
}

// disableFor disables the endpoint when the attempt says so: a 410, or a
// message failed for good with no success since staleBefore. It returns
// the reason when it did.
func disableFor(ctx context.Context, c conn, a *callfloor.WebhookAttempt, staleBefore time.Time) (string, error) {
	var (
		reason string
		res    sql.Result
		err    error
	)
	at := toMS(a.At)
	switch a.Outcome {
	case callfloor.WebhookOutcomeGone:
		reason = fmt.Sprintf("the endpoint answered 410 Gone to %s at %s: it asked for no more messages",
			a.MessageID, a.At.UTC().Format(time.RFC3339))
		res, err = c.exec(ctx, `UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = ?, disabled_at = ? WHERE id = ? AND enabled`,
			reason, at, a.EndpointID)
	case callfloor.WebhookOutcomeFailed:
		reason = fmt.Sprintf("no message was delivered for %s: %s failed for good after %d attempts (last: %s)",
			days(a.At.Sub(staleBefore)), a.MessageID, a.Attempt, attemptSummary(a))
		res, err = c.exec(ctx, `UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = ?, disabled_at = ? WHERE id = ? AND enabled
			AND COALESCE(last_success_at, created_at) < ?`, reason, at, a.EndpointID, toMS(staleBefore))
	default:
		return "", nil
	}
	if err != nil {
		return "", dbErr("disable webhook endpoint", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return reason, nil
	}
	return "", nil
}

// PruneWebhooks forgets the finished messages and the attempts older
// than before.
func (s *Store) PruneWebhooks(ctx context.Context, before time.Time) error {
	return s.write(ctx, 0, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM webhook_outbox WHERE status <> 'pending' AND updated_at < ?`, toMS(before)); err != nil {
			return dbErr("prune webhook outbox", err)
		}
		if _, err := c.exec(ctx, `DELETE FROM webhook_attempts WHERE at < ?`, toMS(before)); err != nil {
			return dbErr("prune webhook attempts", err)
		}
		return nil
	})
}
