package sqlstore

import (
	"context"
	"strings"

	"github.com/callfloor/callfloor"
)

// A queue's outcomes and members live in child tables, replaced whole on
// every write.

func loadOutcomes(ctx context.Context, c conn, account, queue int64, byID map[int64]*callfloor.Queue) error {
	where, args := `account_id = ?`, []any{account}
	if queue != 0 {
		where, args = where+` AND queue_id = ?`, append(args, queue)
	}
	rows, err := c.query(ctx, `SELECT queue_id, id, category, name, fail_scope FROM outcomes WHERE `+where+
		` ORDER BY queue_id, position`, args...)
	if err != nil {
		return dbErr("load outcomes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var qid int64
		var o callfloor.Outcome
		if err := rows.Scan(&qid, &o.ID, &o.Category, &o.Name, &o.FailScope); err != nil {
			return dbErr("load outcomes", err)
		}
		if q := byID[qid]; q != nil {
			q.Outcomes = append(q.Outcomes, o)
		}
	}
	return rows.Err()
}

// loadMembers fills the members with the number and kind of their
// extension, by penalty then number.
func loadMembers(ctx context.Context, c conn, account, queue int64, byID map[int64]*callfloor.Queue) error {
	where, args := `m.account_id = ?`, []any{account}
	if queue != 0 {
		where, args = where+` AND m.queue_id = ?`, append(args, queue)
	}
	rows, err := c.query(ctx, `SELECT m.queue_id, m.extension_id, m.penalty, e.number, e.agent_enabled
		FROM queue_members m JOIN extensions e ON e.id = m.extension_id WHERE `+where+`
		ORDER BY m.queue_id, m.penalty, LENGTH(e.number), e.number`, args...)
	if err != nil {
		return dbErr("load members", err)
	}
	defer rows.Close()
	for rows.Next() {
		var qid int64
		var m callfloor.QueueMember
		var agent bool
		if err := rows.Scan(&qid, &m.ExtensionID, &m.Penalty, &m.Number, &agent); err != nil {
			return dbErr("load members", err)
		}
		m.Kind = callfloor.MemberParticipant
		if agent {
			m.Kind = callfloor.MemberAgent
		}
		if q := byID[qid]; q != nil {
			q.Members = append(q.Members, m)
		}
	}
	return rows.Err()
}

// writeChildren replaces the queue's outcomes and members with q's.
func writeChildren(ctx context.Context, c conn, account, queue int64, q *callfloor.Queue) error {
	if err := writeOutcomes(ctx, c, account, queue, q.Outcomes); err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM queue_members WHERE account_id = ? AND queue_id = ?`, account, queue); err != nil {
		return dbErr("replace members", err)
	}
	for _, m := range q.Members {
		_, err := c.exec(ctx, `INSERT INTO queue_members (account_id, queue_id, extension_id, penalty) VALUES (?, ?, ?, ?)`,
			account, queue, m.ExtensionID, m.Penalty)
		if err != nil {
			return dbErr("insert member", err)
		}
	}
	return nil
}

// writeOutcomes replaces the queue's outcomes, keeping the ID of an
// outcome that keeps its ID or its category and name, so that records
// pointing at an outcome survive edits of the list.
func writeOutcomes(ctx context.Context, c conn, account, queue int64, outs []callfloor.Outcome) error {
	rows, err := c.query(ctx, `SELECT id, category, name FROM outcomes WHERE account_id = ? AND queue_id = ?`, account, queue)
	if err != nil {
		return dbErr("load outcomes", err)
	}
	byID := map[int64]bool{}
	byKey := map[string]int64{}
	for rows.Next() {
		var id int64
		var cat, name string
		if err := rows.Scan(&id, &cat, &name); err != nil {
			rows.Close()
			return dbErr("load outcomes", err)
		}
		byID[id] = true
		byKey[outcomeKey(callfloor.Category(cat), name)] = id
	}
	if err := rows.Close(); err != nil {
		return dbErr("load outcomes", err)
	}
	ids := keptOutcomeIDs(outs, byID, byKey)
	if _, err := c.exec(ctx, `DELETE FROM outcomes WHERE account_id = ? AND queue_id = ?`, account, queue); err != nil {
		return dbErr("replace outcomes", err)
	}
	for i, o := range outs {
		var err error
		if ids[i] != 0 {
			_, err = c.exec(ctx, `INSERT INTO outcomes (id, account_id, queue_id, position, category, name, fail_scope)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, ids[i], account, queue, i, string(o.Category), o.Name, string(o.FailScope))
		} else {
			_, err = c.exec(ctx, `INSERT INTO outcomes (account_id, queue_id, position, category, name, fail_scope)
				VALUES (?, ?, ?, ?, ?, ?)`, account, queue, i, string(o.Category), o.Name, string(o.FailScope))
		}
		if err != nil {
			return dbErr("insert outcome", err)
		}
	}
	return nil
}

// keptOutcomeIDs picks, for each new outcome, the stored ID it keeps (0
// for a new one): its own ID if stored, else the ID of the stored outcome
// with its category and name. No ID is kept twice.
func keptOutcomeIDs(outs []callfloor.Outcome, byID map[int64]bool, byKey map[string]int64) []int64 {
	ids := make([]int64, len(outs))
	used := map[int64]bool{}
	for i, o := range outs {
		if byID[o.ID] && !used[o.ID] {
			ids[i], used[o.ID] = o.ID, true
		}
	}
	for i, o := range outs {
		if ids[i] != 0 {
			continue
		}
		if id := byKey[outcomeKey(o.Category, o.Name)]; id != 0 && !used[id] {
			ids[i], used[id] = id, true
		}
	}
	return ids
}

func outcomeKey(cat callfloor.Category, name string) string {
	return string(cat) + "\x00" + strings.ToLower(name)
}
