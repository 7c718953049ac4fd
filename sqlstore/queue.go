package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/callfloor/callfloor"
)

const queueCols = `id, account_id, number, name, strategy, ring_timeout_seconds, max_wait_seconds, max_callers,
	overflow_action, overflow_queue_id, overflow_extension_id, service_level_seconds, missed_offers_pause,
	announce_position, dispositions_enabled, participant_call_waiting, created_at, updated_at`

func scanQueue(sc scanner) (*callfloor.Queue, error) {
	var q callfloor.Queue
	var ovQueue, ovExt sql.NullInt64
	var created, updated int64
	err := sc.Scan(&q.ID, &q.AccountID, &q.Number, &q.Name, &q.Strategy, &q.RingTimeoutSeconds, &q.MaxWaitSeconds,
		&q.MaxCallers, &q.OverflowAction, &ovQueue, &ovExt, &q.ServiceLevelSeconds, &q.MissedOffersPause,
		&q.AnnouncePosition, &q.DispositionsEnabled, &q.ParticipantCallWaiting, &created, &updated)
	if err != nil {
		return nil, err
	}
	switch q.OverflowAction {
	case callfloor.OverflowQueue:
		q.OverflowTargetID = idPtr(ovQueue)
	case callfloor.OverflowExtension:
		q.OverflowTargetID = idPtr(ovExt)
	}
	q.CreatedAt, q.UpdatedAt = fromMS(created), fromMS(updated)
	q.Outcomes, q.Members = []callfloor.Outcome{}, []callfloor.QueueMember{}
	return &q, nil
}

// overflowTargets splits OverflowTargetID into the queue and extension
// columns, which carry foreign keys.
func overflowTargets(q *callfloor.Queue) (queue, ext any) {
	switch q.OverflowAction {
	case callfloor.OverflowQueue:
		return nullID(q.OverflowTargetID), nil
	case callfloor.OverflowExtension:
		return nil, nullID(q.OverflowTargetID)
	}
	return nil, nil
}

// loadQueues loads the account's queues, or the one with id when id is not
// 0, with their outcomes and members.
func loadQueues(ctx context.Context, c conn, account, id int64) ([]*callfloor.Queue, error) {
	where, args := `account_id = ?`, []any{account}
	if id != 0 {
		where, args = where+` AND id = ?`, append(args, id)
	}
	rows, err := c.query(ctx, `SELECT `+queueCols+` FROM queues WHERE `+where+` ORDER BY LENGTH(number), number, id`, args...)
	if err != nil {
		return nil, dbErr("load queues", err)
	}
	defer rows.Close()
	list := []*callfloor.Queue{}
	byID := map[int64]*callfloor.Queue{}
	for rows.Next() {
		q, err := scanQueue(rows)
		if err != nil {
			return nil, dbErr("load queues", err)
		}
		list = append(list, q)
		byID[q.ID] = q
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load queues", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	if err := loadOutcomes(ctx, c, account, id, byID); err != nil {
		return nil, err
	}
	if err := loadMembers(ctx, c, account, id, byID); err != nil {
		return nil, err
	}
	return list, nil
}

func loadQueue(ctx context.Context, c conn, account, id int64) (*callfloor.Queue, error) {
	list, err := loadQueues(ctx, c, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("queue", id)
	}
	return list[0], nil
}

// CreateQueue stores a queue of the caller's account with its outcomes and
// members.
func (s *Store) CreateQueue(ctx context.Context, q *callfloor.Queue) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	now := s.now()
	var out *callfloor.Queue
	err = s.write(ctx, account, func(c conn) error {
		if err := checkQueue(ctx, c, account, q, 0); err != nil {
			return err
		}
		ovQueue, ovExt := overflowTargets(q)
		var id int64
		err := c.row(ctx, `INSERT INTO queues (account_id, number, name, strategy, ring_timeout_seconds, max_wait_seconds,
			max_callers, overflow_action, overflow_queue_id, overflow_extension_id, service_level_seconds,
			missed_offers_pause, announce_position, dispositions_enabled, participant_call_waiting, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, q.Number, q.Name, string(q.Strategy), q.RingTimeoutSeconds, q.MaxWaitSeconds,
			q.MaxCallers, string(q.OverflowAction), ovQueue, ovExt, q.ServiceLevelSeconds,
			q.MissedOffersPause, q.AnnouncePosition, q.DispositionsEnabled, q.ParticipantCallWaiting, toMS(now), toMS(now)).Scan(&id)
		if err != nil {
			return dbErr("insert queue", err)
		}
		if err := writeChildren(ctx, c, account, id, q); err != nil {
			return err
		}
		out, err = loadQueue(ctx, c, account, id)
		return err
	})
	if err != nil {
		return err
	}
	*q = *out
	return nil
}

// checkQueue applies the rules that span rows to q; self is its ID on
// update.
func checkQueue(ctx context.Context, c conn, account int64, q *callfloor.Queue, self int64) error {
	if err := checkNumber(ctx, c, account, q.Number, 0, self); err != nil {
		return err
	}
	switch q.OverflowAction {
	case callfloor.OverflowQueue:
		ok, err := inAccount(ctx, c, "queues", account, *q.OverflowTargetID)
		if err != nil {
			return err
		}
		if !ok || *q.OverflowTargetID == self {
			return callfloor.FieldError(callfloor.ErrInvalidReference, "overflow_target_id", "overflow_target_id must be another queue of the account")
		}
	case callfloor.OverflowExtension:
		if err := checkRef(ctx, c, "extensions", "overflow_target_id", account, q.OverflowTargetID); err != nil {
			return err
		}
	}
	for i, m := range q.Members {
		field := fmt.Sprintf("members[%d].extension_id", i)
		var queues bool
		err := c.row(ctx, `SELECT queues_feature FROM extensions WHERE account_id = ? AND id = ?`, account, m.ExtensionID).Scan(&queues)
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.FieldError(callfloor.ErrInvalidReference, field, "extension %d does not exist in the account", m.ExtensionID)
		}
		if err != nil {
			return dbErr("check member", err)
		}
		if !queues {
			return callfloor.FieldError(callfloor.ErrQueuesDisabled, field, "extension %d does not have the queues feature", m.ExtensionID)
		}
	}
	return nil
}

// FindQueueByID returns one queue of the caller's account.
func (s *Store) FindQueueByID(ctx context.Context, id int64) (*callfloor.Queue, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var q *callfloor.Queue
	err = s.read(ctx, func(c conn) (err error) {
		q, err = loadQueue(ctx, c, account, id)
		return err
	})
	return q, err
}

// ListQueues returns the queues of the caller's account by number.
func (s *Store) ListQueues(ctx context.Context) ([]*callfloor.Queue, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var list []*callfloor.Queue
	err = s.read(ctx, func(c conn) (err error) {
		list, err = loadQueues(ctx, c, account, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateQueue lets fn change the queue; outcomes and members are replaced
// by fn's lists. ID, AccountID, CreatedAt and the members' Number and Kind
// are the store's.
func (s *Store) UpdateQueue(ctx context.Context, id int64, fn func(*callfloor.Queue) error) (*callfloor.Queue, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Queue
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadQueue(ctx, c, account, id)
		if err != nil {
			return err
		}
		q := *old
		q.OverflowTargetID = cloneID(old.OverflowTargetID)
		q.Outcomes = append([]callfloor.Outcome{}, old.Outcomes...)
		q.Members = append([]callfloor.QueueMember{}, old.Members...)
		if err := fn(&q); err != nil {
			return err
		}
		q.ID, q.AccountID, q.CreatedAt = old.ID, old.AccountID, old.CreatedAt
		if err := q.Validate(); err != nil {
			return err
		}
		if err := checkQueue(ctx, c, account, &q, id); err != nil {
			return err
		}
		ovQueue, ovExt := overflowTargets(&q)
		_, err = c.exec(ctx, `UPDATE queues SET number = ?, name = ?, strategy = ?, ring_timeout_seconds = ?,
			max_wait_seconds = ?, max_callers = ?, overflow_action = ?, overflow_queue_id = ?, overflow_extension_id = ?,
			service_level_seconds = ?, missed_offers_pause = ?, announce_position = ?, dispositions_enabled = ?,
			participant_call_waiting = ?, updated_at = ?
			WHERE account_id = ? AND id = ?`,
			q.Number, q.Name, string(q.Strategy), q.RingTimeoutSeconds,
			q.MaxWaitSeconds, q.MaxCallers, string(q.OverflowAction), ovQueue, ovExt,
			q.ServiceLevelSeconds, q.MissedOffersPause, q.AnnouncePosition, q.DispositionsEnabled,
			q.ParticipantCallWaiting, toMS(s.now()),
			account, id)
		if err != nil {
			return dbErr("update queue", err)
		}
		if err := writeChildren(ctx, c, account, id, &q); err != nil {
			return err
		}
		out, err = loadQueue(ctx, c, account, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteQueue removes a queue that is no extension's outbound queue and no
// other queue's overflow target.
func (s *Store) DeleteQueue(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "queues", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("queue", id)
		}
		n, err := count(ctx, c, "count outbound users", `SELECT COUNT(*) FROM extensions WHERE account_id = ? AND outbound_queue_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "the queue is the outbound queue of %d extensions", n)
		}
		n, err = count(ctx, c, "count overflows", `SELECT COUNT(*) FROM queues WHERE account_id = ? AND overflow_queue_id = ? AND id <> ?`, account, id, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "the queue is the overflow target of %d queues", n)
		}
		if err := inboundTargetInUse(ctx, c, account, callfloor.DestinationQueue, id); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM queue_members WHERE account_id = ? AND queue_id = ?`,
			`DELETE FROM outcomes WHERE account_id = ? AND queue_id = ?`,
			`DELETE FROM queues WHERE account_id = ? AND id = ?`,
		} {
			if _, err := c.exec(ctx, q, account, id); err != nil {
				return dbErr("delete queue", err)
			}
		}
		return nil
	})
}
