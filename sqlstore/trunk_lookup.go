package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"

	"github.com/callfloor/callfloor"
)

// The SIP plane's lookups: across every account and without an actor,
// like FindSIPCredentials. Their answers never go out through the API.

// ListEnabledTrunks returns the enabled trunks of every account, with
// their passwords, by account and name.
func (s *Store) ListEnabledTrunks(ctx context.Context) ([]*callfloor.Trunk, error) {
	var list []*callfloor.Trunk
	err := s.read(ctx, func(c conn) (err error) {
		list, err = loadTrunks(ctx, c, `enabled`)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// FindTrunksBySource returns the enabled ip trunks, of any account, that
// admit src. Sources are few and may be networks or name a port, so the
// match runs here rather than in SQL.
func (s *Store) FindTrunksBySource(ctx context.Context, src netip.AddrPort) ([]*callfloor.Trunk, error) {
	out := []*callfloor.Trunk{}
	if !src.Addr().IsValid() {
		return out, nil
	}
	var list []*callfloor.Trunk
	err := s.read(ctx, func(c conn) (err error) {
		list, err = loadTrunks(ctx, c, `enabled AND auth = ?`, string(callfloor.TrunkIP))
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		if t.Admits(src) {
			out = append(out, t)
		}
	}
	return out, nil
}

// FindInboundNumber finds the enabled inbound number, of any account,
// that number dials (with or without a leading "+").
func (s *Store) FindInboundNumber(ctx context.Context, number string) (*callfloor.InboundNumber, error) {
	key := callfloor.InboundNumberKey(number)
	if key == "" {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "no such inbound number")
	}
	var n *callfloor.InboundNumber
	err := s.read(ctx, func(c conn) (err error) {
		n, err = scanInbound(c.row(ctx, `SELECT `+inboundCols+` FROM inbound_numbers WHERE number_key = ? AND enabled`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.Errorf(callfloor.ErrNotFound, "no such inbound number")
		}
		if err != nil {
			return dbErr("find inbound number", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
