package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/callfloor/callfloor"
)

// FindSIPCredentials finds the extension with the SIP username in any
// account. SIP usernames are unique across the platform and compared
// exactly, as digest authentication does.
func (s *Store) FindSIPCredentials(ctx context.Context, sipUsername string) (*callfloor.Extension, error) {
	var e *callfloor.Extension
	err := s.read(ctx, func(c conn) (err error) {
		e, err = scanExtension(c.row(ctx, `SELECT `+extensionCols+extensionFrom+` WHERE e.sip_username = ?`, sipUsername))
		if errors.Is(err, sql.ErrNoRows) {
			return callfloor.Errorf(callfloor.ErrNotFound, "no such SIP username")
		}
		if err != nil {
			return dbErr("find SIP credentials", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}
