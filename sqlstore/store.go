package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
)

// Options are the settings the adapters pass through to the store.
type Options struct {
	// Clock stamps CreatedAt and UpdatedAt; callfloor.SystemClock when nil.
	Clock callfloor.Clock
	// Logger receives the store's few log lines; discarded when nil.
	Logger *slog.Logger
	// SecretKey (SecretKeySize bytes) seals the secrets the store must
	// read back in clear, the trunks' passwords; nil stores them as they
	// are. The same key must open what it sealed: every server of one
	// database needs it.
	SecretKey []byte
}

// Store implements callfloor.Store over database/sql.
type Store struct {
	writer  *sql.DB
	reader  *sql.DB
	closers []func() error
	d       Dialect
	clock   callfloor.Clock
	log     *slog.Logger
	box     *secretBox

	watchMu  sync.Mutex
	watchers []func(callfloor.Change)
}

var _ callfloor.Store = (*Store)(nil)

// New returns a store that writes through writer and reads through reader
// (writer when reader is nil). The schema must already be migrated. The
// store owns both pools: Close closes them. Only a secret key of the wrong
// size is an error.
func New(writer, reader *sql.DB, d Dialect, opts Options) (*Store, error) {
	if reader == nil {
		reader = writer
	}
	if opts.Clock == nil {
		opts.Clock = callfloor.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	box, err := newSecretBox(opts.SecretKey)
	if err != nil {
		return nil, err
	}
	return &Store{writer: writer, reader: reader, d: d, clock: opts.Clock, log: opts.Logger, box: box}, nil
}

// Ping checks that the database answers on both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping %s: %w", s.d.Name, err)
	}
	if s.reader != s.writer {
		if err := s.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlstore: ping %s reader: %w", s.d.Name, err)
		}
	}
	return nil
}

// OnClose registers fn to run when the store closes, before its pools
// close (an adapter's background work, such as SQLite's checkpointer).
func (s *Store) OnClose(fn func() error) { s.closers = append(s.closers, fn) }

// OnChange registers fn to hear of every change to the objects the SIP
// plane looks up (accounts, extensions, trunks and inbound numbers): it
// runs after the transaction that made the change has committed, in the
// writer's goroutine, before the write returns, once per object changed.
// Changes made by other processes on the same database are not heard
// here (see postgres.Listener).
func (s *Store) OnChange(fn func(callfloor.Change)) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.watchers = append(s.watchers, fn)
}

// tell runs the watchers on the changes of a committed transaction.
func (s *Store) tell(changes []callfloor.Change) {
	if len(changes) == 0 {
		return
	}
	s.watchMu.Lock()
	ws := s.watchers
	s.watchMu.Unlock()
	seen := make(map[callfloor.Change]bool, len(changes))
	for _, ch := range changes {
		if seen[ch] {
			continue
		}
		seen[ch] = true
		for _, fn := range ws {
			fn(ch)
		}
	}
}

// Close stops the adapter's background work and closes the pools.
func (s *Store) Close() error {
	var errs []error
	for _, fn := range s.closers {
		errs = append(errs, fn())
	}
	if s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	return errors.Join(append(errs, s.writer.Close())...)
}

// now is the clock's time at the precision the database keeps.
func (s *Store) now() time.Time { return truncMS(s.clock.Now()) }

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the store's "?" queries in the dialect of the database.
type conn struct {
	q querier
	d *Dialect
	// box seals and opens secrets; log takes a secret that cannot be
	// opened.
	box *secretBox
	log *slog.Logger
	// changes collects what a write transaction changed (nil in reads).
	changes *[]callfloor.Change
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.d.Rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.d.Rebind(query), args...)
}

func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.d.Rebind(query), args...)
}

// prepare makes a statement to run many times in the transaction (a
// batch of rows); nil when the connection cannot prepare, and the caller
// runs its queries one by one.
func (c conn) prepare(ctx context.Context, query string) *sql.Stmt {
	p, ok := c.q.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return nil
	}
	st, err := p.PrepareContext(ctx, c.d.Rebind(query))
	if err != nil {
		return nil
	}
	return st
}

// changed records that the transaction changes the object of ch, for
// the store's watchers once it commits; with the dialect's NotifyChange
// it also tells other processes, on commit too.
func (c conn) changed(ctx context.Context, ch callfloor.Change) error {
	*c.changes = append(*c.changes, ch)
	if c.d.NotifyChange == "" {
		return nil
	}
	if _, err := c.exec(ctx, c.d.NotifyChange, ch.String()); err != nil {
		return dbErr("notify change", err)
	}
	return nil
}

// exists reports whether query returns a row.
func (c conn) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := c.row(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// read runs fn in a read-only transaction of the reader pool, so that the
// several queries of one answer see one snapshot.
func (s *Store) read(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlstore: begin read: %w", err)
	}
	defer tx.Rollback()
	if err := fn(conn{q: tx, d: &s.d, box: s.box, log: s.log}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit read: %w", err)
	}
	return nil
}

// write runs fn in a write transaction. With an account, the account's row
// is locked first, so that every write of one account runs alone; an
// unknown account is ErrNotFound. An error from fn rolls everything back and
// is returned as it is.
func (s *Store) write(ctx context.Context, accountID int64, fn func(c conn) error) error {
	return s.writeInside(ctx, s.writer, "", func(c conn) error {
		if accountID != 0 {
			if err := s.lockAccount(ctx, c, accountID); err != nil {
				return err
			}
		}
		return fn(c)
	})
}

// writeRelaxed runs fn in a write transaction whose commit does not wait
// for the disk (Dialect.Relaxed): for bookkeeping whose last changes the
// system can redo after a crash of the machine, such as a webhook's
// delivery marks (the message is sent again, under the same id). A crash
// of the process loses nothing; the writes are whole and in order with
// the durable ones.
func (s *Store) writeRelaxed(ctx context.Context, fn func(c conn) error) error {
	r := s.d.Relaxed
	if r.Before == "" && r.After == "" {
		return s.writeInside(ctx, s.writer, r.Inside, fn)
	}
	pinned, err := s.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer pinned.Close()
	if _, err := pinned.ExecContext(ctx, r.Before); err != nil {
		err = fmt.Errorf("sqlstore: relax commit: %w", err)
		if _, aerr := pinned.ExecContext(context.WithoutCancel(ctx), r.After); aerr != nil {
			discard(pinned)
		}
		return err
	}
	err = s.writeInside(ctx, pinned, r.Inside, fn)
	if _, aerr := pinned.ExecContext(context.WithoutCancel(ctx), r.After); aerr != nil {
		// A connection left relaxed never goes back to the pool: the
		// journal's commits must wait for the disk.
		discard(pinned)
		s.log.Error("sqlstore: restoring durable commits failed; the connection is closed", "err", aerr)
	}
	return err
}

// beginner is what *sql.DB and *sql.Conn share.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// writeInside runs fn in a write transaction on b, first running inside
// (when not empty).
func (s *Store) writeInside(ctx context.Context, b beginner, inside string, fn func(c conn) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback()
	if inside != "" {
		if _, err := tx.ExecContext(ctx, inside); err != nil {
			return fmt.Errorf("sqlstore: relax commit: %w", err)
		}
	}
	var changes []callfloor.Change
	if err := fn(conn{q: tx, d: &s.d, box: s.box, log: s.log, changes: &changes}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	s.tell(changes)
	return nil
}

// discard makes the pool close c rather than reuse it.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
}

func (s *Store) lockAccount(ctx context.Context, c conn, id int64) error {
	q := `SELECT id FROM accounts WHERE id = ?`
	if s.d.LockRows {
		q += ` FOR UPDATE`
	}
	ok, err := c.exists(ctx, q, id)
	if err != nil {
		return fmt.Errorf("sqlstore: lock account: %w", err)
	}
	if !ok {
		return callfloor.Errorf(callfloor.ErrNotFound, "account %d not found", id)
	}
	return nil
}

// dbErr wraps a database error with what the store was doing. The text
// stays in the server log: callfloor.ErrorMessage hides it from users.
func dbErr(what string, err error) error {
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// notFound is the answer for a missing row or one of another account.
func notFound(what string, id int64) error {
	return callfloor.Errorf(callfloor.ErrNotFound, "%s %d not found", what, id)
}
