package sqlstore

import (
	"context"

	"github.com/callfloor/callfloor"
)

// The rules that span rows. They run inside the write transaction, after
// the account's row is locked, so nothing changes under them.

// checkNumber fails with number_taken when another extension or queue of
// the account has the number. selfExt and selfQueue exclude the object
// being updated.
func checkNumber(ctx context.Context, c conn, account int64, number string, selfExt, selfQueue int64) error {
	taken, err := c.exists(ctx, `SELECT 1 FROM extensions WHERE account_id = ? AND number = ? AND id <> ?
		UNION ALL SELECT 1 FROM queues WHERE account_id = ? AND number = ? AND id <> ?`,
		account, number, selfExt, account, number, selfQueue)
	if err != nil {
		return dbErr("check number", err)
	}
	if taken {
		return callfloor.FieldError(callfloor.ErrNumberTaken, "number", "number %s is already an extension or a queue", number)
	}
	return nil
}

// inAccount reports whether table has the row id in the account.
func inAccount(ctx context.Context, c conn, table string, account, id int64) (bool, error) {
	ok, err := c.exists(ctx, `SELECT 1 FROM `+table+` WHERE account_id = ? AND id = ?`, account, id)
	if err != nil {
		return false, dbErr("check "+table, err)
	}
	return ok, nil
}

// checkRef fails with invalid_reference when id is set but not a row of
// table in the account.
func checkRef(ctx context.Context, c conn, table, field string, account int64, id *int64) error {
	if id == nil {
		return nil
	}
	ok, err := inAccount(ctx, c, table, account, *id)
	if err != nil {
		return err
	}
	if !ok {
		return callfloor.FieldError(callfloor.ErrInvalidReference, field, "%s %d does not exist in the account", field, *id)
	}
	return nil
}

// count runs a COUNT query.
func count(ctx context.Context, c conn, what, query string, args ...any) (int, error) {
	var n int
	if err := c.row(ctx, query, args...).Scan(&n); err != nil {
		return 0, dbErr(what, err)
	}
	return n, nil
}
