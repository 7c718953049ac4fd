package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/callfloor/callfloor"
)

// Listener hears the changes every process makes to the objects the SIP
// plane looks up (see sqlstore.Store.OnChange), through PostgreSQL's
// LISTEN/NOTIFY on a connection of its own. The store sends each change
// inside the transaction that makes it, so it is heard once that commits,
// usually within milliseconds, and never when it rolls back.
//
// Notifications sent while the connection is down are lost: each time it
// listens (again), the listener calls Reset first, and the caller reloads
// whatever it keeps.
type Listener struct {
	// URL is the database's, as given to Open (with its search_path).
	URL string
	// Change is called with every change heard, in the listener's
	// goroutine, in the order the transactions committed.
	Change func(callfloor.Change)
	// Reset is called each time the listener starts listening, in its
	// goroutine, before any change is heard on that connection, and
	// for a notification it cannot read.
	Reset func()
	// Retry is the wait before connecting again after an error (one
	// second when zero); Ping is how long the connection may stay quiet
	// before it is checked (30 seconds when zero).
	Retry, Ping time.Duration
	// Logger takes the lost connections; discarded when nil.
	Logger *slog.Logger
}

// Run listens until ctx is done, connecting again after every error.
func (l *Listener) Run(ctx context.Context) {
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retry := l.Retry
	if retry <= 0 {
		retry = time.Second
	}
	for {
		err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		log.Warn("postgres change listener lost; reloading once it listens again", "err", err, "retry", retry)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// listen runs one connection: LISTEN, Reset, then every notification
// until an error.
func (l *Listener) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.URL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+channelExpr).Scan(&channel); err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if l.Reset != nil {
		l.Reset()
	}
	ping := l.Ping
	if ping <= 0 {
		ping = 30 * time.Second
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, ping)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet: check that the server is still there (a half-open
			// connection would otherwise wait for ever).
			if err := conn.Ping(ctx); err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			continue
		case err != nil:
			return err
		}
		ch, err := callfloor.ParseChange(n.Payload)
		if err != nil {
			// Another version's notification: reload everything rather
			// than miss a change.
			if l.Reset != nil {
				l.Reset()
			}
			continue
		}
		if l.Change != nil {
			l.Change(ch)
		}
	}
}
