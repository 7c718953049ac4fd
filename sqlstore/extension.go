package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/callfloor/callfloor"
)

const extensionCols = `e.id, e.account_id, e.number, e.name, e.sip_username, e.sip_ha1, e.sip_ha1_sha256,
	e.queues_feature, e.agent_enabled, e.phone_engine, e.outbound_queue_id, e.permissions, e.auto_answer,
	e.wrapup_timeout_seconds, e.caller_id_pool_id, e.randomise_caller_id, e.created_at, e.updated_at, a.licence_kind`

const extensionFrom = ` FROM extensions e JOIN accounts a ON a.id = e.account_id`

func scanExtension(sc scanner) (*callfloor.Extension, error) {
	var e callfloor.Extension
	var outQueue, pool sql.NullInt64
	var perms string
	var created, updated int64
	var kind callfloor.LicenceKind
	err := sc.Scan(&e.ID, &e.AccountID, &e.Number, &e.Name, &e.SIPUsername, &e.SIPHA1, &e.SIPHA1SHA256,
		&e.QueuesFeature, &e.Agent.Enabled, &e.Agent.PhoneEngine, &outQueue, &perms, &e.Agent.AutoAnswer,
		&e.Agent.WrapupTimeoutSeconds, &pool, &e.Agent.RandomiseCallerID, &created, &updated, &kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(perms), &e.Agent.Permissions); err != nil {
		return nil, err
	}
	e.Agent.OutboundQueueID, e.Agent.CallerIDPoolID = idPtr(outQueue), idPtr(pool)
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	e.AgentStatus = agentStatus(kind, e.Agent.Enabled)
	return &e, nil
}

// agentStatus is what the Agent tab shows for an extension.
func agentStatus(kind callfloor.LicenceKind, enabled bool) callfloor.AgentStatus {
	a := callfloor.Account{LicenceKind: kind}
	switch {
	case !a.Activated():
		return callfloor.AgentNotActivated
	case enabled:
		return callfloor.AgentEnabled
	}
	return callfloor.AgentNotEnabled
}

func loadExtension(ctx context.Context, c conn, account, id int64) (*callfloor.Extension, error) {
	e, err := scanExtension(c.row(ctx, `SELECT `+extensionCols+extensionFrom+` WHERE e.account_id = ? AND e.id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("extension", id)
	}
	if err != nil {
		return nil, dbErr("load extension", err)
	}
	return e, nil
}

// CreateExtension stores e. The caller generates e.SIPUsername and sets the
// digest hashes; the secret itself is never stored.
func (s *Store) CreateExtension(ctx context.Context, e *callfloor.Extension) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if e.SIPUsername == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "sip_username", "the extension needs a generated SIP username")
	}
	now := s.now()
	var status callfloor.AgentStatus
	err = s.write(ctx, account, func(c conn) error {
		if err := s.checkExtension(ctx, c, account, e, nil); err != nil {
			return err
		}
		if err := checkSIPUsername(ctx, c, e.SIPUsername); err != nil {
			return err
		}
		perms, err := json.Marshal(e.Agent.Permissions)
		if err != nil {
			return err
		}
		err = c.row(ctx, `INSERT INTO extensions (account_id, number, name, sip_username, sip_ha1, sip_ha1_sha256,
			queues_feature, agent_enabled, phone_engine, outbound_queue_id, permissions, auto_answer,
			wrapup_timeout_seconds, caller_id_pool_id, randomise_caller_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, e.Number, e.Name, e.SIPUsername, e.SIPHA1, e.SIPHA1SHA256,
			e.QueuesFeature, e.Agent.Enabled, string(e.Agent.PhoneEngine), nullID(e.Agent.OutboundQueueID), string(perms),
			string(e.Agent.AutoAnswer), e.Agent.WrapupTimeoutSeconds, nullID(e.Agent.CallerIDPoolID),
			e.Agent.RandomiseCallerID, toMS(now), toMS(now)).Scan(&e.ID)
		if c.d.uniqueViolation(err) {
			return sipUsernameTaken()
		}
		if err != nil {
			return dbErr("insert extension", err)
		}
		if err := c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeExtension, AccountID: account, ID: e.ID}); err != nil {
			return err
		}
		kind, err := licenceKind(ctx, c, account)
		status = agentStatus(kind, e.Agent.Enabled)
		return err
	})
	if err != nil {
		e.ID = 0
		return err
	}
	e.AccountID, e.AgentStatus = account, status
	e.CreatedAt, e.UpdatedAt = now, now
	return nil
}

func licenceKind(ctx context.Context, c conn, account int64) (callfloor.LicenceKind, error) {
	var kind callfloor.LicenceKind
	if err := c.row(ctx, `SELECT licence_kind FROM accounts WHERE id = ?`, account).Scan(&kind); err != nil {
		return "", dbErr("load licence", err)
	}
	return kind, nil
}

func checkSIPUsername(ctx context.Context, c conn, username string) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM extensions WHERE sip_username = ?`, username)
	if err != nil {
		return dbErr("check SIP username", err)
	}
	if taken {
		return sipUsernameTaken()
	}
	return nil
}

func sipUsernameTaken() error {
	return callfloor.FieldError(callfloor.ErrNameTaken, "sip_username", "the SIP username is taken; generate another")
}

// FindExtensionByID returns one extension of the caller's account.
func (s *Store) FindExtensionByID(ctx context.Context, id int64) (*callfloor.Extension, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var e *callfloor.Extension
	err = s.read(ctx, func(c conn) (err error) {
		e, err = loadExtension(ctx, c, account, id)
		return err
	})
	return e, err
}

// FindExtensionByNumber returns the extension of the caller's account with
// that number.
func (s *Store) FindExtensionByNumber(ctx context.Context, number string) (*callfloor.Extension, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var e *callfloor.Extension
	err = s.read(ctx, func(c conn) error {
		e, err = scanExtension(c.row(ctx, `SELECT `+extensionCols+extensionFrom+` WHERE e.account_id = ? AND e.number = ?`, account, number))
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.Errorf(callfloor.ErrNotFound, "no extension %s", number)
		}
		if err != nil {
			return dbErr("find extension by number", err)
		}
		return nil
	})
	return e, err
}

// ListExtensions returns the extensions of the caller's account by number.
func (s *Store) ListExtensions(ctx context.Context) ([]*callfloor.Extension, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	list := []*callfloor.Extension{}
	err = s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT `+extensionCols+extensionFrom+` WHERE e.account_id = ? ORDER BY LENGTH(e.number), e.number, e.id`, account)
		if err != nil {
			return dbErr("list extensions", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanExtension(rows)
			if err != nil {
				return dbErr("list extensions", err)
			}
			list = append(list, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// UpdateExtension lets fn change the extension with the licence rules
// applied. ID, AccountID, SIPUsername, CreatedAt and AgentStatus are kept.
// A SIPSecret that fn sets is returned, never stored.
func (s *Store) UpdateExtension(ctx context.Context, id int64, fn func(*callfloor.Extension) error) (*callfloor.Extension, error) {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *callfloor.Extension
	err = s.write(ctx, account, func(c conn) error {
		old, err := loadExtension(ctx, c, account, id)
		if err != nil {
			return err
		}
		e := *old
		e.Agent.OutboundQueueID, e.Agent.CallerIDPoolID = cloneID(old.Agent.OutboundQueueID), cloneID(old.Agent.CallerIDPoolID)
		if err := fn(&e); err != nil {
			return err
		}
		e.ID, e.AccountID, e.SIPUsername, e.CreatedAt = old.ID, old.AccountID, old.SIPUsername, old.CreatedAt
		if err := e.Validate(); err != nil {
			return err
		}
		if err := s.checkExtension(ctx, c, account, &e, old); err != nil {
			return err
		}
		perms, err := json.Marshal(e.Agent.Permissions)
		if err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE extensions SET number = ?, name = ?, sip_ha1 = ?, sip_ha1_sha256 = ?,
			queues_feature = ?, agent_enabled = ?, phone_engine = ?, outbound_queue_id = ?, permissions = ?,
			auto_answer = ?, wrapup_timeout_seconds = ?, caller_id_pool_id = ?, randomise_caller_id = ?, updated_at = ?
			WHERE account_id = ? AND id = ?`,
			e.Number, e.Name, e.SIPHA1, e.SIPHA1SHA256,
			e.QueuesFeature, e.Agent.Enabled, string(e.Agent.PhoneEngine), nullID(e.Agent.OutboundQueueID), string(perms),
			string(e.Agent.AutoAnswer), e.Agent.WrapupTimeoutSeconds, nullID(e.Agent.CallerIDPoolID),
			e.Agent.RandomiseCallerID, toMS(s.now()), account, id)
		if err != nil {
			return dbErr("update extension", err)
		}
		if err := c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeExtension, AccountID: account, ID: id}); err != nil {
			return err
		}
		out, err = loadExtension(ctx, c, account, id)
		if err == nil {
			out.SIPSecret = e.SIPSecret
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkExtension applies the rules that span rows to e; old is the stored
// extension on update, nil on create.
func (s *Store) checkExtension(ctx context.Context, c conn, account int64, e, old *callfloor.Extension) error {
	var self int64
	if old != nil {
		self = old.ID
	}
	if err := checkNumber(ctx, c, account, e.Number, self, 0); err != nil {
		return err
	}
	if err := checkRef(ctx, c, "queues", "agent.outbound_queue_id", account, e.Agent.OutboundQueueID); err != nil {
		return err
	}
	if err := checkRef(ctx, c, "caller_id_pools", "agent.caller_id_pool_id", account, e.Agent.CallerIDPoolID); err != nil {
		return err
	}
	if e.Agent.Enabled && (old == nil || !old.Agent.Enabled) {
		if err := checkLicence(ctx, c, account); err != nil {
			return err
		}
	}
	if old == nil {
		return nil
	}
	if old.QueuesFeature && !e.QueuesFeature {
		n, err := count(ctx, c, "count memberships", `SELECT COUNT(*) FROM queue_members WHERE account_id = ? AND extension_id = ?`, account, self)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.FieldError(callfloor.ErrInUse, "queues_feature", "the extension is a member of %d queues; remove it from them first", n)
		}
	}
	if old.Agent.Enabled && !e.Agent.Enabled {
		n, err := count(ctx, c, "count campaign memberships", `SELECT COUNT(*) FROM campaign_members WHERE account_id = ? AND extension_id = ?`, account, self)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.FieldError(callfloor.ErrInUse, "agent.enabled", "the agent is a member of %d campaigns; remove them first", n)
		}
		n, err = count(ctx, c, "count agent users", `SELECT COUNT(*) FROM users WHERE account_id = ? AND extension_id = ? AND role = ?`,
			account, self, string(callfloor.RoleAgent))
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.FieldError(callfloor.ErrInUse, "agent.enabled", "an agent user is bound to the extension; unbind it first")
		}
	}
	return nil
}

// checkLicence allows one more agent extension in the account, for an
// extension that is not one yet: it needs an activation and a licence
// that no extension uses. The account's count of agents in use comes
// from the extensions_agents index (migration 0006).
func checkLicence(ctx context.Context, c conn, account int64) error {
	a, err := loadAccount(ctx, c, `a.id = ?`, account)
	if err != nil {
		return err
	}
	if !a.Activated() {
		return callfloor.FieldError(callfloor.ErrAgentNotActivated, "agent.enabled", "the account has no agent activation")
	}
	if a.AgentsInUse >= a.AgentLicences {
		return callfloor.FieldError(callfloor.ErrLicenceExhausted, "agent.enabled", "all %d agent licences are in use", a.AgentLicences)
	}
	return nil
}

// DeleteExtension removes an extension and its queue memberships. An
// extension bound to a user, a queue's overflow target or the extension
// of a device-level webhook endpoint is in use.
func (s *Store) DeleteExtension(ctx context.Context, id int64) error {
	account, err := callfloor.AccountFrom(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, account, func(c conn) error {
		ok, err := inAccount(ctx, c, "extensions", account, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("extension", id)
		}
		n, err := count(ctx, c, "count users", `SELECT COUNT(*) FROM users WHERE account_id = ? AND extension_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "the extension is bound to a user; unbind it first")
		}
		n, err = count(ctx, c, "count overflows", `SELECT COUNT(*) FROM queues WHERE account_id = ? AND overflow_extension_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "the extension is the overflow target of %d queues", n)
		}
		if err := inboundTargetInUse(ctx, c, account, callfloor.DestinationExtension, id); err != nil {
			return err
		}
		n, err = count(ctx, c, "count webhook endpoints", `SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = ? AND extension_id = ?`, account, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return callfloor.Errorf(callfloor.ErrInUse, "the extension has %d device-level webhook endpoints; delete them first", n)
		}
		if _, err := c.exec(ctx, `DELETE FROM queue_members WHERE account_id = ? AND extension_id = ?`, account, id); err != nil {
			return dbErr("delete memberships", err)
		}
		if err := leaveCampaigns(ctx, c, account, id); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM extensions WHERE account_id = ? AND id = ?`, account, id); err != nil {
			return dbErr("delete extension", err)
		}
		return c.changed(ctx, callfloor.Change{Kind: callfloor.ChangeExtension, AccountID: account, ID: id})
	})
}
