package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

const campaignCols = `id, account_id, name, type, active, hours_start, hours_end, hours_days, time_zone, country_code,
	caller_id_pool_id, random_caller_id, fields, script, outcomes, allow_add_lead, allow_edit_lead, webhook_buttons,
	preview_seconds, skip_allowed, max_ratio, abandon_target, max_attempts, retry_busy_minutes,
	retry_no_answer_minutes, retry_machine_minutes, webhook_secret, created_at, updated_at`

func scanCampaign(sc scanner) (*callfloor.Campaign, error) {
	var c callfloor.Campaign
	var pool sql.NullInt64
	var days, fields, outcomes, buttons string
	var created, updated int64
	err := sc.Scan(&c.ID, &c.AccountID, &c.Name, &c.Type, &c.Active, &c.CallingHours.Start, &c.CallingHours.End, &days,
		&c.TimeZone, &c.CountryCode, &pool, &c.RandomCallerID, &fields, &c.Script, &outcomes, &c.AllowAddLead,
		&c.AllowEditLead, &buttons, &c.PreviewSeconds, &c.SkipAllowed, &c.MaxRatio, &c.AbandonTarget, &c.MaxAttempts,
		&c.RetryBusyMinutes, &c.RetryNoAnswerMinutes, &c.RetryMachineMinutes, &c.WebhookSecret, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.CallerIDPoolID = idPtr(pool)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.CallingHours.Days = parseDays(days)
	c.Members = []callfloor.CampaignMember{}
	for _, j := range []struct {
		src string
		dst any
	}{{fields, &c.Fields}, {outcomes, &c.Outcomes}, {buttons, &c.WebhookButtons}} {
		if err := json.Unmarshal([]byte(j.src), j.dst); err != nil {
			return nil, fmt.Errorf("campaign %d: %w", c.ID, err)
		}
	}
	return &c, nil
}

// days are stored as "1,2,3,4,5".
func formatDays(days []time.Weekday) string {
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(int(d))
	}
	return strings.Join(parts, ",")
}

func parseDays(s string) []time.Weekday {
	out := []time.Weekday{}
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, time.Weekday(n))
		}
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the campaign's lists are plain data
	}
	return string(b)
}

// campaignArgs are the columns a write sets, in campaignCols order from
// name to webhook_secret (sealed).
func campaignArgs(c *callfloor.Campaign, sealedSecret string) []any {
	return []any{c.Name, foldKey(c.Name), string(c.Type), c.Active, c.CallingHours.Start, c.CallingHours.End,
		formatDays(c.CallingHours.Days), c.TimeZone, c.CountryCode, nullID(c.CallerIDPoolID), c.RandomCallerID,
		mustJSON(c.Fields), c.Script, mustJSON(c.Outcomes), c.AllowAddLead, c.AllowEditLead, mustJSON(c.WebhookButtons),
		c.PreviewSeconds, c.SkipAllowed, c.MaxRatio, c.AbandonTarget, c.MaxAttempts, c.RetryBusyMinutes,
		c.RetryNoAnswerMinutes, c.RetryMachineMinutes, sealedSecret}
}

// numberChildren gives outcomes and buttons that have none an ID one more
// than the largest of the list, so that an ID always names the same one.
func numberChildren(c *callfloor.Campaign) {
	var top int64
	for _, o := range c.Outcomes {
		top = max(top, o.ID)
	}
	for i := range c.Outcomes {
		if c.Outcomes[i].ID == 0 {
			top++
			c.Outcomes[i].ID = top
		}
	}
	top = 0
	for _, b := range c.WebhookButtons {
		top = max(top, b.ID)
	}
	for i := range c.WebhookButtons {
		if c.WebhookButtons[i].ID == 0 {
			top++
			c.WebhookButtons[i].ID = top
		}
	}
}

func loadCampaigns(ctx context.Context, c conn, account, id int64) ([]*callfloor.Campaign, error) {
	where, args := `account_id = ?`, []any{account}
	if id != 0 {
		where, args = where+` AND id = ?`, append(args, id)
	}
	rows, err := c.query(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE `+where+` ORDER BY name_key, id`, args...)
	if err != nil {
		return nil, dbErr("load campaigns", err)
	}
	defer rows.Close()
	list := []*callfloor.Campaign{}
	byID := map[int64]*callfloor.Campaign{}
	for rows.Next() {
		cp, err := scanCampaign(rows)
		if err != nil {
			return nil, dbErr("load campaigns", err)
		}
		if cp.WebhookSecret, err = c.box.open(cp.WebhookSecret); err != nil {
			return nil, err
		}
		list = append(list, cp)
		byID[cp.ID] = cp
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("load campaigns", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	where, args = `m.account_id = ?`, []any{account}
	if id != 0 {
		where, args = where+` AND m.campaign_id = ?`, append(args, id)
	}
	mrows, err := c.query(ctx, `SELECT m.campaign_id, m.extension_id, e.number, m.on_hold
		FROM campaign_members m JOIN extensions e ON e.id = m.extension_id WHERE `+where+`
		ORDER BY m.campaign_id, m.position`, args...)
	if err != nil {
		return nil, dbErr("load campaign members", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var cid int64
		var m callfloor.CampaignMember
		if err := mrows.Scan(&cid, &m.ExtensionID, &m.Number, &m.OnHold); err != nil {
			return nil, dbErr("load campaign members", err)
		}
		if cp := byID[cid]; cp != nil {
			cp.Members = append(cp.Members, m)
		}
	}
	return list, mrows.Err()
}

func loadCampaign(ctx context.Context, c conn, account, id int64) (*callfloor.Campaign, error) {
	list, err := loadCampaigns(ctx, c, account, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("campaign", id)
	}
	return list[0], nil
}

// checkCampaign applies the rules that span rows: a unique name, a pool
// of the account, members that are agent extensions of the account.
func checkCampaign(ctx context.Context, c conn, account int64, cp *callfloor.Campaign, self int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM campaigns WHERE account_id = ? AND name_key = ? AND id <> ?`, account, foldKey(cp.Name), self)
	if err != nil {
		return dbErr("check campaign name", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNameTaken, "name", "another campaign is named %q", cp.Name)
	}
	if err := checkRef(ctx, c, "caller_id_pools", "caller_id_pool_id", account, cp.CallerIDPoolID); err != nil {
		return err
	}
	for i, m := range cp.Members {
		var agent bool
		err := c.row(ctx, `SELECT agent_enabled FROM extensions WHERE account_id = ? AND id = ?`, account, m.ExtensionID).Scan(&agent)
		field := fmt.Sprintf("members[%d].extension_id", i)
		switch {
		case err == sql.ErrNoRows:
			return callfloor.FieldError(callfloor.ErrInvalidReference, field, "extension %d does not exist in the account", m.ExtensionID)
		case err != nil:
			return dbErr("check campaign member", err)
		case !agent:
			return callfloor.FieldError(callfloor.ErrInvalidField, field, "extension %d is not an agent; only agents take campaign calls", m.ExtensionID)
		}
	}
	return nil
}

func writeCampaignMembers(ctx context.Context, c conn, account, id int64, members []callfloor.CampaignMember) error {
	if _, err := c.exec(ctx, `DELETE FROM campaign_members WHERE account_id = ? AND campaign_id = ?`, account, id); err != nil {
		return dbErr("replace campaign members", err)
	}
	for i, m := range members {
		_, err := c.exec(ctx, `INSERT INTO campaign_members (campaign_id, account_id, extension_id, position, on_hold) VALUES (?, ?, ?, ?, ?)`,
			id, account, m.ExtensionID, i, m.OnHold)
		if err != nil {
			return dbErr("write campaign member", err)
		}
	}
	return nil
}

// CreateCampaign stores a campaign of the caller's account.
func (s *Store) CreateCampaign(ctx context.Context, cp *callfloor.Campaign) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := cp.Validate(); err != nil {
		return err
	}
	numberChildren(cp)
	now := s.now()
	sealed, err := s.box.seal(cp.WebhookSecret)
	if err != nil {
		return err
	}
	var out *callfloor.Campaign
	err = s.write(ctx, account, func(c conn) error {
		if err := checkCampaign(ctx, c, account, cp, 0); err != nil {
			return err
		}
		var id int64
		args := append([]any{account}, campaignArgs(cp, sealed)...)
		args = append(args, toMS(now), toMS(now))
		err := c.row(ctx, `INSERT INTO campaigns (account_id, name, name_key, type, active, hours_start, hours_end, hours_days,
			time_zone, country_code, caller_id_pool_id, random_caller_id, fields, script, outcomes, allow_add_lead,
			allow_edit_lead, webhook_buttons, preview_seconds, skip_allowed, max_ratio, abandon_target, max_attempts,
			retry_busy_minutes, retry_no_answer_minutes, retry_machine_minutes, webhook_secret, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&id)
		if err != nil {
			return dbErr("insert campaign", err)
		}
		if err := writeCampaignMembers(ctx, c, account, id, cp.Members); err != nil {
			return err
		}
		out, err = loadCampaign(ctx, c, account, id)
		return err
	})
	if err != nil {
		return err
	}
	*cp = *out
	return nil
}

// FindCampaignByID returns a campaign of the caller's account.
func (s *Store) FindCampaignByID(ctx context.Context, id int64) (*callfloor.Campaign, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Campaign
	err = s.read(ctx, func(c conn) error {
		out, err = loadCampaign(ctx, c, account, id)
		return err
	})
	return out, err
}

// ListCampaigns returns the account's campaigns by name.
func (s *Store) ListCampaigns(ctx context.Context) ([]*callfloor.Campaign, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out []*callfloor.Campaign
	err = s.read(ctx, func(c conn) error {
		out, err = loadCampaigns(ctx, c, account, 0)
		return err
	})
	return out, err
}

// UpdateCampaign lets fn change the campaign; members, fields, outcomes
// and buttons are replaced by fn's lists. ID, AccountID, CreatedAt and the
// members' Number are the store's.
func (s *Store) UpdateCampaign(ctx context.Context, id int64, fn func(*callfloor.Campaign) error) (*callfloor.Campaign, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Campaign
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadCampaign(ctx, c, account, id)
		if err != nil {
			return err
		}
		cp := *old
		cp.CallerIDPoolID = cloneID(old.CallerIDPoolID)
		cp.CallingHours.Days = append([]time.Weekday{}, old.CallingHours.Days...)
		cp.Members = append([]callfloor.CampaignMember{}, old.Members...)
		cp.Fields = append([]callfloor.CustomField{}, old.Fields...)
		cp.Outcomes = append([]callfloor.CampaignOutcome{}, old.Outcomes...)
		cp.WebhookButtons = append([]callfloor.WebhookButton{}, old.WebhookButtons...)
		if err := fn(&cp); err != nil {
			return err
		}
		cp.ID, cp.AccountID, cp.CreatedAt = old.ID, old.AccountID, old.CreatedAt
		if err := cp.Validate(); err != nil {
			return err
		}
		numberChildren(&cp)
		if err := checkCampaign(ctx, c, account, &cp, id); err != nil {
			return err
		}
		sealed, err := s.box.seal(cp.WebhookSecret)
		if err != nil {
			return err
		}
		args := append(campaignArgs(&cp, sealed), toMS(s.now()), account, id)
		_, err = c.exec(ctx, `UPDATE campaigns SET name = ?, name_key = ?, type = ?, active = ?, hours_start = ?,
			hours_end = ?, hours_days = ?, time_zone = ?, country_code = ?, caller_id_pool_id = ?, random_caller_id = ?,
			fields = ?, script = ?, outcomes = ?, allow_add_lead = ?, allow_edit_lead = ?, webhook_buttons = ?,
			preview_seconds = ?, skip_allowed = ?, max_ratio = ?, abandon_target = ?, max_attempts = ?,
			retry_busy_minutes = ?, retry_no_answer_minutes = ?, retry_machine_minutes = ?, webhook_secret = ?, updated_at = ?
			WHERE account_id = ? AND id = ?`, args...)
		if err != nil {
			return dbErr("update campaign", err)
		}
		if err := writeCampaignMembers(ctx, c, account, id, cp.Members); err != nil {
			return err
		}
		// The leads and callbacks of agents no longer members return to
		// the pool.
		for _, col := range []string{"assigned_ext_id", "callback_ext_id"} {
			if _, err := c.exec(ctx, `UPDATE leads SET `+col+` = NULL WHERE account_id = ? AND campaign_id = ? AND `+col+` IS NOT NULL
				AND `+col+` NOT IN (SELECT extension_id FROM campaign_members WHERE campaign_id = ?)`, account, id, id); err != nil {
				return dbErr("release leads", err)
			}
		}
		out, err = loadCampaign(ctx, c, account, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCampaign removes a campaign with its members, lists and leads.
func (s *Store) DeleteCampaign(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "campaigns", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("campaign", id)
		}
		for _, q := range []string{
			`DELETE FROM lead_numbers WHERE account_id = ? AND campaign_id = ?`,
			`DELETE FROM leads WHERE account_id = ? AND campaign_id = ?`,
			`DELETE FROM campaign_lists WHERE account_id = ? AND campaign_id = ?`,
			`DELETE FROM campaign_members WHERE account_id = ? AND campaign_id = ?`,
			`DELETE FROM campaigns WHERE account_id = ? AND id = ?`,
		} {
			if _, err := c.exec(ctx, q, account, id); err != nil {
				return dbErr("delete campaign", err)
			}
		}
		return nil
	})
}

// leaveCampaigns takes a deleted extension out of every campaign: its
// memberships go, and its assigned leads and callbacks return to the
// pool.
func leaveCampaigns(ctx context.Context, c conn, account, ext int64) error {
	for _, q := range []string{
		`DELETE FROM campaign_members WHERE account_id = ? AND extension_id = ?`,
		`UPDATE leads SET assigned_ext_id = NULL WHERE account_id = ? AND assigned_ext_id = ?`,
		`UPDATE leads SET callback_ext_id = NULL WHERE account_id = ? AND callback_ext_id = ?`,
	} {
		if _, err := c.exec(ctx, q, account, ext); err != nil {
			return dbErr("leave campaigns", err)
		}
	}
	return nil
}
