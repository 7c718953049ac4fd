package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

// ---- lists

const listCols = `l.id, l.account_id, l.campaign_id, l.name, l.active, l.created_at, l.updated_at,
	(SELECT COUNT(*) FROM leads d WHERE d.list_id = l.id)`

func scanList(sc scanner) (*callfloor.CampaignList, error) {
	var l callfloor.CampaignList
	var created, updated int64
	if err := sc.Scan(&l.ID, &l.AccountID, &l.CampaignID, &l.Name, &l.Active, &created, &updated, &l.Leads); err != nil {
		return nil, err
	}
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return &l, nil
}

func loadList(ctx context.Context, c conn, account, id int64) (*callfloor.CampaignList, error) {
	l, err := scanList(c.row(ctx, `SELECT `+listCols+` FROM campaign_lists l WHERE l.account_id = ? AND l.id = ?`, account, id))
	if err == sql.ErrNoRows {
		return nil, notFound("list", id)
	}
	if err != nil {
		return nil, dbErr("load list", err)
	}
	return l, nil
}

func checkListName(ctx context.Context, c conn, l *callfloor.CampaignList, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM campaign_lists WHERE campaign_id = ? AND name_key = ? AND id <> ?`,
		l.CampaignID, foldKey(l.Name), self)
	if err != nil {
		return dbErr("check list name", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNameTaken, "name", "the campaign has another list named %q", l.Name)
	}
	return nil
}

// CreateList stores a list of one of the account's campaigns.
func (s *Store) CreateList(ctx context.Context, l *callfloor.CampaignList) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	now := s.now()
	var out *callfloor.CampaignList
	err = s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "campaigns", account, l.CampaignID)
		if err != nil {
			return err
		}
		if !ok {
			return callfloor.FieldError(callfloor.ErrInvalidReference, "campaign_id", "campaign %d does not exist in the account", l.CampaignID)
		}
		if err := checkListName(ctx, c, l, 0); err != nil {
			return err
		}
		var id int64
		err = c.row(ctx, `INSERT INTO campaign_lists (account_id, campaign_id, name, name_key, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, l.CampaignID, l.Name, foldKey(l.Name), l.Active, toMS(now), toMS(now)).Scan(&id)
		if err != nil {
			return dbErr("insert list", err)
		}
		out, err = loadList(ctx, c, account, id)
		return err
	})
	if err != nil {
		return err
	}
	*l = *out
	return nil
}

// FindListByID returns a list of the caller's account.
func (s *Store) FindListByID(ctx context.Context, id int64) (*callfloor.CampaignList, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.CampaignList
	err = s.read(ctx, func(c conn) error {
		out, err = loadList(ctx, c, account, id)
		return err
	})
	return out, err
}

// ListLists returns a campaign's lists by name; campaign 0: every
// campaign's, by campaign.
func (s *Store) ListLists(ctx context.Context, campaignID int64) ([]*callfloor.CampaignList, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := []*callfloor.CampaignList{}
	err = s.read(ctx, func(c conn) error {
		where, args := `l.account_id = ?`, []any{account}
		if campaignID != 0 {
			ok, err := inAccount(ctx, c, "campaigns", account, campaignID)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("campaign", campaignID)
			}
			where, args = where+` AND l.campaign_id = ?`, append(args, campaignID)
		}
		rows, err := c.query(ctx, `SELECT `+listCols+` FROM campaign_lists l WHERE `+where+`
			ORDER BY l.campaign_id, l.name_key, l.id`, args...)
		if err != nil {
			return dbErr("list lists", err)
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanList(rows)
			if err != nil {
				return dbErr("list lists", err)
			}
			out = append(out, l)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateList lets fn change the list's name and whether it is active.
func (s *Store) UpdateList(ctx context.Context, id int64, fn func(*callfloor.CampaignList) error) (*callfloor.CampaignList, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.CampaignList
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadList(ctx, c, account, id)
		if err != nil {
			return err
		}
		l := *old
		if err := fn(&l); err != nil {
			return err
		}
		l.ID, l.AccountID, l.CampaignID, l.CreatedAt = old.ID, old.AccountID, old.CampaignID, old.CreatedAt
		if err := l.Validate(); err != nil {
			return err
		}
		if err := checkListName(ctx, c, &l, id); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `UPDATE campaign_lists SET name = ?, name_key = ?, active = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
			l.Name, foldKey(l.Name), l.Active, toMS(s.now()), account, id); err != nil {
			return dbErr("update list", err)
		}
		out, err = loadList(ctx, c, account, id)
		return err
	})
	return out, err
}

// DeleteList removes a list and its leads.
func (s *Store) DeleteList(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "campaign_lists", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("list", id)
		}
		for _, q := range []string{
			`DELETE FROM lead_numbers WHERE lead_id IN (SELECT id FROM leads WHERE account_id = ? AND list_id = ?)`,
			`DELETE FROM leads WHERE account_id = ? AND list_id = ?`,
			`DELETE FROM campaign_lists WHERE account_id = ? AND id = ?`,
		} {
			if _, err := c.exec(ctx, q, account, id); err != nil {
				return dbErr("delete list", err)
			}
		}
		return nil
	})
}

// ---- leads

const leadCols = `id, account_id, campaign_id, list_id, name, numbers, fields, time_zone, assigned_ext_id, priority,
	status, attempts, next_at, callback_ext_id, last_tried_at, last_result, abandoned_at, seq, created_at, updated_at`

func scanLead(sc scanner) (*callfloor.Lead, error) {
	var l callfloor.Lead
	var numbers, fields string
	var assigned, callback sql.NullInt64
	var nextAt, tried, abandoned, created, updated int64
	err := sc.Scan(&l.ID, &l.AccountID, &l.CampaignID, &l.ListID, &l.Name, &numbers, &fields, &l.TimeZone, &assigned,
		&l.Priority, &l.Status, &l.Attempts, &nextAt, &callback, &tried, &l.LastResult, &abandoned, &l.Seq, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(numbers), &l.Numbers); err != nil {
		return nil, fmt.Errorf("lead %d numbers: %w", l.ID, err)
	}
	if err := json.Unmarshal([]byte(fields), &l.Fields); err != nil {
		return nil, fmt.Errorf("lead %d fields: %w", l.ID, err)
	}
	l.AssignedExtID, l.CallbackExtID = idPtr(assigned), idPtr(callback)
	l.NextAt, l.LastTriedAt, l.AbandonedAt = zeroNone(nextAt), zeroNone(tried), zeroNone(abandoned)
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return &l, nil
}

// zeroNone is a time stored as milliseconds with 0 for none.
func zeroNone(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := fromMS(ms)
	return &t
}

// noneZero stores an optional time as milliseconds, 0 for none.
func noneZero(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return toMS(truncMS(*t))
}

func loadLead(ctx context.Context, c conn, account, id int64) (*callfloor.Lead, error) {
	l, err := scanLead(c.row(ctx, `SELECT `+leadCols+` FROM leads WHERE account_id = ? AND id = ?`, account, id))
	if err == sql.ErrNoRows {
		return nil, notFound("lead", id)
	}
	if err != nil {
		return nil, dbErr("load lead", err)
	}
	return l, nil
}

// checkLeadRefs checks that the lead's agents are members of its
// campaign.
func checkLeadRefs(cp *callfloor.Campaign, l *callfloor.Lead) error {
	for _, ref := range []struct {
		field string
		id    *int64
	}{{"assigned_extension_id", l.AssignedExtID}, {"callback_extension_id", l.CallbackExtID}} {
		if ref.id == nil {
			continue
		}
		if _, ok := cp.Member(*ref.id); !ok {
			return callfloor.FieldError(callfloor.ErrNotCampaignMember, ref.field, "extension %d is not a member of the campaign", *ref.id)
		}
	}
	return nil
}

const (
	leadColumns = `account_id, campaign_id, list_id, name, numbers, fields, time_zone, assigned_ext_id,
		priority, status, attempts, next_at, callback_ext_id, last_tried_at, last_result, abandoned_at, created_at, updated_at`
	leadRow         = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertNumberSQL = `INSERT INTO lead_numbers (lead_id, account_id, campaign_id, number) VALUES (?, ?, ?, ?)`
)

// leadBatch is how many leads one INSERT stores: each statement costs
// far more than a row, and 64 rows of 18 values stay well under both
// databases' limits on parameters.
const leadBatch = 64

// insertLeads is the INSERT of n leads, returning their IDs.
func insertLeads(n int) string {
	return `INSERT INTO leads (` + leadColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(leadRow+", ", n), ", ") + ` RETURNING id`
}

// insertNumbers is the INSERT of n lead numbers.
func insertNumbers(n int) string {
	return `INSERT INTO lead_numbers (lead_id, account_id, campaign_id, number) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ")
}

// leadWriter inserts new leads leadBatch at a time, with the statement
// for a whole batch prepared once. Both databases give the rows of one
// INSERT increasing IDs in the order of its VALUES (SQLite's
// AUTOINCREMENT, PostgreSQL's sequence, one row after the other), so the
// IDs returned, sorted, are the leads' in order.
type leadWriter struct {
	c       conn
	batch   *sql.Stmt
	now     time.Time
	pending []*callfloor.Lead
}

func newLeadWriter(ctx context.Context, c conn, now time.Time) *leadWriter {
	return &leadWriter{c: c, batch: c.prepare(ctx, insertLeads(leadBatch)), now: now}
}

func (w *leadWriter) close() {
	if w.batch != nil {
		w.batch.Close()
	}
}

// add queues l, storing the queue when it makes a batch.
func (w *leadWriter) add(ctx context.Context, l *callfloor.Lead) error {
	w.pending = append(w.pending, l)
	if len(w.pending) < leadBatch {
		return nil
	}
	return w.flush(ctx)
}

// flush stores the queued leads and their numbers.
func (w *leadWriter) flush(ctx context.Context) error {
	ls := w.pending
	if len(ls) == 0 {
		return nil
	}
	w.pending = w.pending[:0]
	now := toMS(w.now)
	args := make([]any, 0, 18*len(ls))
	for _, l := range ls {
		args = append(args, l.AccountID, l.CampaignID, l.ListID, l.Name, mustJSON(l.Numbers), mustJSON(l.Fields), l.TimeZone,
			nullID(l.AssignedExtID), l.Priority, string(l.Status), l.Attempts, noneZero(l.NextAt), nullID(l.CallbackExtID),
			noneZero(l.LastTriedAt), l.LastResult, noneZero(l.AbandonedAt), now, now)
	}
	var rows *sql.Rows
	var err error
	if len(ls) == leadBatch && w.batch != nil {
		rows, err = w.batch.QueryContext(ctx, args...)
	} else {
		rows, err = w.c.query(ctx, insertLeads(len(ls)), args...)
	}
	if err != nil {
		return dbErr("insert leads", err)
	}
	ids := make([]int64, 0, len(ls))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return dbErr("insert leads", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return dbErr("insert leads", err)
	}
	if len(ids) != len(ls) {
		return callfloor.Errorf(callfloor.ErrInternal, "%d leads stored, %d IDs returned", len(ls), len(ids))
	}
	slices.Sort(ids)
	var nums []any
	for i, l := range ls {
		l.ID, l.CreatedAt, l.UpdatedAt = ids[i], w.now, w.now
		for _, n := range l.Numbers {
			nums = append(nums, l.ID, l.AccountID, l.CampaignID, n.Number)
		}
	}
	if len(nums) > 0 {
		if _, err := w.c.exec(ctx, insertNumbers(len(nums)/4), nums...); err != nil {
			return dbErr("write lead numbers", err)
		}
	}
	return nil
}

func writeLeadNumbers(ctx context.Context, c conn, l *callfloor.Lead) error {
	if _, err := c.exec(ctx, `DELETE FROM lead_numbers WHERE lead_id = ?`, l.ID); err != nil {
		return dbErr("replace lead numbers", err)
	}
	for _, n := range l.Numbers {
		if _, err := c.exec(ctx, insertNumberSQL, l.ID, l.AccountID, l.CampaignID, n.Number); err != nil {
			return dbErr("write lead number", err)
		}
	}
	return nil
}

// CreateLeads stores leads of one list in one transaction.
func (s *Store) CreateLeads(ctx context.Context, listID int64, leads []*callfloor.Lead) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.write(ctx, account, func(c conn) error {
		list, err := loadList(ctx, c, account, listID)
		if err != nil {
			return err
		}
		cp, err := loadCampaign(ctx, c, account, list.CampaignID)
		if err != nil {
			return err
		}
		w := newLeadWriter(ctx, c, now)
		defer w.close()
		for i, l := range leads {
			if err := l.Validate(cp); err != nil {
				return prefixField(err, fmt.Sprintf("leads[%d].", i))
			}
			if err := checkLeadRefs(cp, l); err != nil {
				return prefixField(err, fmt.Sprintf("leads[%d].", i))
			}
			l.AccountID, l.CampaignID, l.ListID = account, cp.ID, list.ID
			if err := w.add(ctx, l); err != nil {
				return err
			}
		}
		return w.flush(ctx)
	})
	if err == nil && len(leads) >= analyzeAfter && s.d.AnalyzeLeads != "" {
		if _, aerr := s.writer.ExecContext(ctx, s.d.AnalyzeLeads); aerr != nil {
			s.log.Warn("sqlstore: leads not analysed after an import", "err", aerr)
		}
	}
	return err
}

// analyzeAfter is the batch of leads after which the tables are analysed
// (Dialect.AnalyzeLeads).
const analyzeAfter = 1000

// prefixField puts prefix before the field an error names, for errors
// about one item of a batch.
func prefixField(err error, prefix string) error {
	var e *callfloor.Error
	if errors.As(err, &e) && e.Field != "" {
		return callfloor.FieldError(e.Code, prefix+e.Field, "%s", e.Message)
	}
	return err
}

// FindLeadByID returns a lead of the caller's account.
func (s *Store) FindLeadByID(ctx context.Context, id int64) (*callfloor.Lead, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Lead
	err = s.read(ctx, func(c conn) error {
		out, err = loadLead(ctx, c, account, id)
		return err
	})
	return out, err
}

// ListLeads returns the leads f selects, in ID order.
func (s *Store) ListLeads(ctx context.Context, f callfloor.LeadFilter) ([]*callfloor.Lead, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	where, args := []string{`account_id = ?`, `id > ?`}, []any{account, f.AfterID}
	if f.CampaignID != 0 {
		where, args = append(where, `campaign_id = ?`), append(args, f.CampaignID)
	}
	if f.ListID != 0 {
		where, args = append(where, `list_id = ?`), append(args, f.ListID)
	}
	if f.Status != "" {
		where, args = append(where, `status = ?`), append(args, string(f.Status))
	}
	if f.Number != "" {
		where, args = append(where, `id IN (SELECT lead_id FROM lead_numbers WHERE account_id = ? AND number = ?)`), append(args, account, f.Number)
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	out := []*callfloor.Lead{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+leadCols+` FROM leads WHERE `+strings.Join(where, ` AND `)+
			fmt.Sprintf(` ORDER BY id LIMIT %d`, limit), args...)
		if err != nil {
			return dbErr("list leads", err)
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanLead(rows)
			if err != nil {
				return dbErr("list leads", err)
			}
			out = append(out, l)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateLead lets fn change the lead. ID, AccountID, CampaignID, ListID
// and CreatedAt are the store's.
func (s *Store) UpdateLead(ctx context.Context, id int64, fn func(*callfloor.Lead) error) (*callfloor.Lead, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Lead
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadLead(ctx, c, account, id)
		if err != nil {
			return err
		}
		l := *old
		l.Numbers = append([]callfloor.LeadNumber{}, old.Numbers...)
		l.Fields = make(map[string]string, len(old.Fields))
		for k, v := range old.Fields {
			l.Fields[k] = v
		}
		if err := fn(&l); err != nil {
			return err
		}
		l.ID, l.AccountID, l.CampaignID, l.ListID, l.CreatedAt = old.ID, old.AccountID, old.CampaignID, old.ListID, old.CreatedAt
		cp, err := loadCampaign(ctx, c, account, l.CampaignID)
		if err != nil {
			return err
		}
		if err := l.Validate(cp); err != nil {
			return err
		}
		if err := checkLeadRefs(cp, &l); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE leads SET name = ?, numbers = ?, fields = ?, time_zone = ?, assigned_ext_id = ?,
			priority = ?, status = ?, attempts = ?, next_at = ?, callback_ext_id = ?, last_tried_at = ?, last_result = ?,
			abandoned_at = ?, seq = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
			l.Name, mustJSON(l.Numbers), mustJSON(l.Fields), l.TimeZone, nullID(l.AssignedExtID), l.Priority, string(l.Status),
			l.Attempts, noneZero(l.NextAt), nullID(l.CallbackExtID), noneZero(l.LastTriedAt), l.LastResult, noneZero(l.AbandonedAt),
			l.Seq, toMS(s.now()), account, id)
		if err != nil {
			return dbErr("update lead", err)
		}
		if err := writeLeadNumbers(ctx, c, &l); err != nil {
			return err
		}
		out, err = loadLead(ctx, c, account, id)
		return err
	})
	return out, err
}

// DeleteLead removes a lead.
func (s *Store) DeleteLead(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "leads", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("lead", id)
		}
		for _, q := range []string{`DELETE FROM lead_numbers WHERE lead_id = ?`, `DELETE FROM leads WHERE id = ?`} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return dbErr("delete lead", err)
			}
		}
		return nil
	})
}

// LeadStatusCounts counts a campaign's leads by status.
func (s *Store) LeadStatusCounts(ctx context.Context, campaignID int64) (map[callfloor.LeadStatus]int, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := map[callfloor.LeadStatus]int{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT status, COUNT(*) FROM leads WHERE account_id = ? AND campaign_id = ? GROUP BY status`, account, campaignID)
		if err != nil {
			return dbErr("count leads by status", err)
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return dbErr("count leads by status", err)
			}
			out[callfloor.LeadStatus(st)] = n
		}
		return rows.Err()
	})
	return out, err
}

// LeadZones lists the time zones of a campaign's open leads.
func (s *Store) LeadZones(ctx context.Context, campaignID int64) ([]string, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT DISTINCT time_zone FROM leads WHERE account_id = ? AND campaign_id = ?
			AND status IN ('new', 'retry', 'callback') ORDER BY time_zone`, account, campaignID)
		if err != nil {
			return dbErr("lead zones", err)
		}
		defer rows.Close()
		for rows.Next() {
			var z string
			if err := rows.Scan(&z); err != nil {
				return dbErr("lead zones", err)
			}
			out = append(out, z)
		}
		return rows.Err()
	})
	return out, err
}

// KnownNumbers reports which of numbers are a lead's of the campaign.
func (s *Store) KnownNumbers(ctx context.Context, campaignID int64, numbers []string) (map[string]bool, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	err = s.read(ctx, func(c conn) error {
		for start := 0; start < len(numbers); start += 500 {
			chunk := numbers[start:min(start+500, len(numbers))]
			args := []any{account, campaignID}
			marks := make([]string, len(chunk))
			for i, n := range chunk {
				marks[i] = "?"
				args = append(args, n)
			}
			rows, err := c.query(ctx, `SELECT number FROM lead_numbers WHERE account_id = ? AND campaign_id = ? AND number IN (`+
				strings.Join(marks, ", ")+`)`, args...)
			if err != nil {
				return dbErr("known numbers", err)
			}
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					rows.Close()
					return dbErr("known numbers", err)
				}
				out[n] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return dbErr("known numbers", err)
			}
		}
		return nil
	})
	return out, err
}

// callableWhere is what every callable lead satisfies: open, due, in an
// active list, in a zone within calling hours, not abandoned lately.
func callableWhere(q callfloor.LeadQuery) (string, []any) {
	zones := make([]string, len(q.TimeZones))
	args := []any{q.CampaignID, toMS(q.Now), toMS(q.AbandonedBefore)}
	for i, z := range q.TimeZones {
		zones[i] = "?"
		args = append(args, z)
	}
	if len(zones) == 0 {
		zones = []string{"NULL"} // no zone open: nothing
	}
	return `l.campaign_id = ? AND l.status IN ('new', 'retry', 'callback') AND l.next_at <= ? AND l.abandoned_at <= ?
		AND l.time_zone IN (` + strings.Join(zones, ", ") + `)
		AND EXISTS (SELECT 1 FROM campaign_lists cl WHERE cl.id = l.list_id AND cl.active)`, args
}

// CallableLeads returns the leads q allows: the agent's own (assigned to
// them, or their callbacks) first, then the pool, each by priority and
// then least recently tried.
func (s *Store) CallableLeads(ctx context.Context, q callfloor.LeadQuery) ([]*callfloor.Lead, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	where, args := callableWhere(q)
	order := fmt.Sprintf(` ORDER BY l.priority DESC, l.last_tried_at, l.id LIMIT %d`, limit)
	out := []*callfloor.Lead{}
	err = s.read(ctx, func(c conn) error {
		// run reads up to limit leads of a query into *into.
		run := func(into *[]*callfloor.Lead, query string, args []any) error {
			rows, err := c.query(ctx, query, args...)
			if err != nil {
				return dbErr("callable leads", err)
			}
			defer rows.Close()
			for rows.Next() && len(*into) < limit {
				l, err := scanLead(rows)
				if err != nil {
					return dbErr("callable leads", err)
				}
				*into = append(*into, l)
			}
			return rows.Err()
		}
		sel := `SELECT ` + prefixCols("l.", leadCols) + ` FROM leads l WHERE l.account_id = ? AND `
		if q.Ext != 0 {
			// The agent's own: assigned to them, and callbacks kept for
			// them, each on its own index, merged in the pick order.
			own := append(append([]any{account}, args...), q.Ext)
			var callbacks []*callfloor.Lead
			if err := run(&out, sel+where+` AND l.assigned_ext_id = ?`+order, own); err != nil {
				return err
			}
			if err := run(&callbacks, sel+where+` AND l.callback_ext_id = ? AND l.status = 'callback'
				AND (l.assigned_ext_id IS NULL OR l.assigned_ext_id <> l.callback_ext_id)`+order, own); err != nil {
				return err
			}
			if len(callbacks) > 0 {
				out = append(out, callbacks...)
				sort.SliceStable(out, func(i, j int) bool { return pickBefore(out[i], out[j]) })
				out = out[:min(len(out), limit)]
			}
		}
		if len(out) >= limit || (q.OwnOnly && q.Ext != 0) {
			return nil
		}
		// The pool: no agent's leads, and no callback kept for an agent
		// (the caller's own came first already).
		pool := append([]any{account}, args...)
		return run(&out, sel+where+` AND l.assigned_ext_id IS NULL AND NOT (l.status = 'callback' AND l.callback_ext_id IS NOT NULL)`+order, pool)
	})
	return out, err
}

// CountLeads counts the leads of q's campaign for q's agent.
func (s *Store) CountLeads(ctx context.Context, q callfloor.LeadQuery) (callfloor.LeadCounts, error) {
	var out callfloor.LeadCounts
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return out, err
	}
	where, args := callableWhere(q)
	mine := ` AND (l.assigned_ext_id = ? OR (l.status = 'callback' AND l.callback_ext_id = ?))`
	pool := ` AND l.assigned_ext_id IS NULL AND NOT (l.status = 'callback' AND l.callback_ext_id IS NOT NULL)`
	// Open leads this agent could ever get: their own or the pool's.
	theirs := ` AND (l.assigned_ext_id IS NULL OR l.assigned_ext_id = ?)
		AND NOT (l.status = 'callback' AND l.callback_ext_id IS NOT NULL AND l.callback_ext_id <> ?)`
	activeList := ` AND EXISTS (SELECT 1 FROM campaign_lists cl WHERE cl.id = l.list_id AND cl.active)`
	err = s.read(ctx, func(c conn) error {
		base := `SELECT COUNT(*) FROM leads l WHERE l.account_id = ? AND `
		own := append(append([]any{account}, args...), q.Ext, q.Ext)
		if q.Ext != 0 {
			if err := c.row(ctx, base+where+mine, own...).Scan(&out.Own); err != nil {
				return dbErr("count own leads", err)
			}
		}
		if err := c.row(ctx, base+where+pool, append([]any{account}, args...)...).Scan(&out.Pool); err != nil {
			return dbErr("count pool leads", err)
		}
		open := `SELECT COUNT(*), MIN(CASE WHEN l.next_at > ? THEN l.next_at END) FROM leads l
			WHERE l.account_id = ? AND l.campaign_id = ? AND l.status IN ('new', 'retry', 'callback')` + theirs + activeList
		var next sql.NullInt64
		if err := c.row(ctx, open, toMS(q.Now), account, q.CampaignID, q.Ext, q.Ext).Scan(&out.Open, &next); err != nil {
			return dbErr("count open leads", err)
		}
		if next.Valid {
			t := fromMS(next.Int64)
			out.NextDue = &t
		}
		waiting := `SELECT COUNT(*) FROM leads l WHERE l.account_id = ? AND l.campaign_id = ?
			AND l.status IN ('new', 'retry', 'callback') AND l.next_at > ?` + theirs + activeList
		if err := c.row(ctx, waiting, account, q.CampaignID, toMS(q.Now), q.Ext, q.Ext).Scan(&out.Waiting); err != nil {
			return dbErr("count waiting leads", err)
		}
		return nil
	})
	return out, err
}

// pickBefore is the dialler's order: higher priority, then least recently
// tried (never first), then the older lead.
func pickBefore(a, b *callfloor.Lead) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	at, bt := noneZero(a.LastTriedAt), noneZero(b.LastTriedAt)
	if at != bt {
		return at < bt
	}
	return a.ID < b.ID
}

// prefixCols qualifies a column list with a table alias.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// ReserveLead takes an open lead for a preview or a call: it becomes
// active and its try time is set (so it sorts behind the others when it
// comes back), in one statement that fails for a lead another took
// first. The dialler counts the attempt when it dials.
func (s *Store) ReserveLead(ctx context.Context, id int64, now time.Time) (*callfloor.Lead, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Lead
	err = s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE leads SET status = 'active', last_tried_at = ?, updated_at = ?
			WHERE account_id = ? AND id = ? AND status IN ('new', 'retry', 'callback')`,
			toMS(truncMS(now)), toMS(s.now()), account, id)
		if err != nil {
			return dbErr("reserve lead", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr("reserve lead", err)
		} else if n == 0 {
			if _, err := loadLead(ctx, c, account, id); err != nil {
				return err
			}
			return callfloor.Errorf(callfloor.ErrLeadTaken, "lead %d is not open any more", id)
		}
		out, err = loadLead(ctx, c, account, id)
		return err
	})
	return out, err
}

// DialerCursor is how far the dialler has folded the account's journal.
func (s *Store) DialerCursor(ctx context.Context) (int64, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return 0, err
	}
	var seq int64
	err = s.read(ctx, func(c conn) error {
		err := c.row(ctx, `SELECT seq FROM dialer_cursors WHERE account_id = ?`, account).Scan(&seq)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return dbErr("read dialer cursor", err)
		}
		return nil
	})
	return seq, err
}

// SetDialerCursor moves the dialler's cursor on; it never goes back.
func (s *Store) SetDialerCursor(ctx context.Context, seq int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE dialer_cursors SET seq = ? WHERE account_id = ? AND seq < ?`, seq, account, seq)
		if err != nil {
			return dbErr("move dialer cursor", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		ok, err := c.exists(ctx, `SELECT 1 FROM dialer_cursors WHERE account_id = ?`, account)
		if err != nil || ok {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO dialer_cursors (account_id, seq) VALUES (?, ?)`, account, seq); err != nil {
			return dbErr("insert dialer cursor", err)
		}
		return nil
	})
}

// ---- do-not-call

// AddDNC puts a number on the account's do-not-call list; adding it again
// changes its note.
func (s *Store) AddDNC(ctx context.Context, e *callfloor.DNCEntry) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if !callfloor.IsE164(e.Number) {
		return callfloor.FieldError(callfloor.ErrInvalidField, "number", "number must be E.164, + and 8 to 15 digits")
	}
	e.Note = strings.TrimSpace(e.Note)
	if err := callfloor.CheckText("note", e.Note, 200); err != nil {
		return err
	}
	now := s.now()
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE dnc_numbers SET note = ? WHERE account_id = ? AND number = ?`, e.Note, account, e.Number)
		if err != nil {
			return dbErr("update dnc", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			var created int64
			if err := c.row(ctx, `SELECT created_at FROM dnc_numbers WHERE account_id = ? AND number = ?`, account, e.Number).Scan(&created); err != nil {
				return dbErr("read dnc", err)
			}
			e.CreatedAt = fromMS(created)
			return nil
		}
		if _, err := c.exec(ctx, `INSERT INTO dnc_numbers (account_id, number, note, created_at) VALUES (?, ?, ?, ?)`,
			account, e.Number, e.Note, toMS(now)); err != nil {
			return dbErr("insert dnc", err)
		}
		e.CreatedAt = now
		return nil
	})
}

// RemoveDNC takes a number off the do-not-call list.
func (s *Store) RemoveDNC(ctx context.Context, number string) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM dnc_numbers WHERE account_id = ? AND number = ?`, account, number)
		if err != nil {
			return dbErr("delete dnc", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return callfloor.Errorf(callfloor.ErrNotFound, "%s is not on the do-not-call list", number)
		}
		return nil
	})
}

// ListDNC returns the do-not-call list by number.
func (s *Store) ListDNC(ctx context.Context) ([]*callfloor.DNCEntry, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := []*callfloor.DNCEntry{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT number, note, created_at FROM dnc_numbers WHERE account_id = ? ORDER BY number`, account)
		if err != nil {
			return dbErr("list dnc", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e callfloor.DNCEntry
			var created int64
			if err := rows.Scan(&e.Number, &e.Note, &created); err != nil {
				return dbErr("list dnc", err)
			}
			e.CreatedAt = fromMS(created)
			out = append(out, &e)
		}
		return rows.Err()
	})
	return out, err
}

// IsDNC reports whether a number is on the account's do-not-call list.
func (s *Store) IsDNC(ctx context.Context, number string) (bool, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return false, err
	}
	var on bool
	err = s.read(ctx, func(c conn) error {
		on, err = c.exists(ctx, `SELECT 1 FROM dnc_numbers WHERE account_id = ? AND number = ?`, account, number)
		if err != nil {
			return dbErr("check dnc", err)
		}
		return nil
	})
	return on, err
}
