package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

// indexBatch is how many journal events one indexing transaction takes:
// small enough that the journal's own writer never waits long for it (a
// few milliseconds), the floor's commits going between two.
const indexBatch = 512

// chunkSize is how many sequence numbers of a journal one chunk of its
// index covers.
const chunkSize = 1024

// IndexJournals brings every account's journal_by_extension up to its
// journal, a batch at a time, and returns how many events it indexed.
// The server runs it every second; reads by extension are right without
// it, and only faster with it.
func (s *Store) IndexJournals(ctx context.Context) (int, error) {
	var behind []int64
	err := s.read(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT a.id FROM accounts a WHERE EXISTS (SELECT 1 FROM journal j WHERE j.account_id = a.id
			AND j.seq > COALESCE((SELECT i.seq FROM journal_index_cursors i WHERE i.account_id = a.id), 0))`)
		if err != nil {
			return dbErr("find journals to index", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return dbErr("find journals to index", err)
			}
			behind = append(behind, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, id := range behind {
		n, err := s.IndexJournal(ctx, id)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// IndexJournal brings one account's journal_by_extension up to its
// journal and returns how many events it indexed. Two servers may run it
// at once: the cursor moves by compare-and-set, so a batch is indexed
// once.
func (s *Store) IndexJournal(ctx context.Context, accountID int64) (int, error) {
	total := 0
	for {
		n, err := s.indexBatch(ctx, accountID)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// indexBatch indexes the next batch of the account's journal after its
// cursor, in one transaction; 0 when there was none (or another server
// took it). The index is the journal's, derived: its transactions commit
// without waiting for the disk, and a batch a crash of the machine loses
// goes with its cursor and is indexed again.
func (s *Store) indexBatch(ctx context.Context, accountID int64) (int, error) {
	n := 0
	err := s.writeRelaxed(ctx, func(c conn) error {
		cursor, had, err := indexCursor(ctx, c, accountID)
		if err != nil {
			return err
		}
		batch, err := journalEntries(ctx, c, accountID, cursor)
		if err != nil || len(batch) == 0 {
			return err
		}
		last := batch[len(batch)-1].seq
		// The cursor first: a server that lost the race stops here.
		var res sql.Result
		if had {
			res, err = c.exec(ctx, `UPDATE journal_index_cursors SET seq = ? WHERE account_id = ? AND seq = ?`, last, accountID, cursor)
		} else {
			res, err = c.exec(ctx, `INSERT INTO journal_index_cursors (account_id, seq) VALUES (?, ?) ON CONFLICT (account_id) DO NOTHING`,
				accountID, last)
		}
		if err != nil {
			return dbErr("move journal index cursor", err)
		}
		if moved, _ := res.RowsAffected(); moved == 0 {
			return nil
		}
		if err := writeChunks(ctx, c, accountID, batch); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	return n, err
}

// indexEntry is what the index keeps of a journal event.
type indexEntry struct{ seq, ext, at int64 }

// journalEntries reads the next batch of the account's events after seq.
func journalEntries(ctx context.Context, c conn, accountID, after int64) ([]indexEntry, error) {
	rows, err := c.query(ctx, `SELECT seq, extension_id, at FROM journal WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		accountID, after, indexBatch)
	if err != nil {
		return nil, dbErr("read journal to index", err)
	}
	defer rows.Close()
	var out []indexEntry
	for rows.Next() {
		var e indexEntry
		if err := rows.Scan(&e.seq, &e.ext, &e.at); err != nil {
			return nil, dbErr("read journal to index", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// chunkOf is the chunk of the journal a sequence number is in.
func chunkOf(seq int64) int64 { return (seq - 1) / chunkSize }

// writeChunks adds the entries to their chunks' rows (one per chunk and
// extension) and spans.
func writeChunks(ctx context.Context, c conn, accountID int64, batch []indexEntry) error {
	type key struct{ chunk, ext int64 }
	type span struct{ first, last int64 }
	seqs := map[key]*strings.Builder{}
	var keys []key
	spans := map[int64]*span{}
	var chunks []int64
	for _, e := range batch {
		k := key{chunkOf(e.seq), e.ext}
		b := seqs[k]
		if b == nil {
			b = &strings.Builder{}
			seqs[k] = b
			keys = append(keys, k)
		}
		b.WriteString(strconv.FormatInt(e.seq, 10))
		b.WriteByte(',')
		sp := spans[k.chunk]
		if sp == nil {
			sp = &span{e.at, e.at}
			spans[k.chunk] = sp
			chunks = append(chunks, k.chunk)
		}
		sp.first, sp.last = min(sp.first, e.at), max(sp.last, e.at)
	}
	for start := 0; start < len(keys); start += 200 {
		part := keys[start:min(start+200, len(keys))]
		var q strings.Builder
		q.WriteString(`INSERT INTO journal_chunks (account_id, chunk, extension_id, seqs) VALUES `)
		args := make([]any, 0, 4*len(part))
		for i, k := range part {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?)")
			args = append(args, accountID, k.chunk, k.ext, seqs[k].String())
		}
		q.WriteString(` ON CONFLICT (account_id, chunk, extension_id) DO UPDATE SET seqs = journal_chunks.seqs || excluded.seqs`)
		if _, err := c.exec(ctx, q.String(), args...); err != nil {
			return dbErr("index journal", err)
		}
	}
	for _, ch := range chunks {
		sp := spans[ch]
		if _, err := c.exec(ctx, `INSERT INTO journal_chunk_spans (account_id, chunk, first_at, last_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, chunk) DO UPDATE SET
			first_at = CASE WHEN excluded.first_at < journal_chunk_spans.first_at THEN excluded.first_at ELSE journal_chunk_spans.first_at END,
			last_at = CASE WHEN excluded.last_at > journal_chunk_spans.last_at THEN excluded.last_at ELSE journal_chunk_spans.last_at END`, accountID, ch, sp.first, sp.last); err != nil {
			return dbErr("index journal", err)
		}
	}
	return nil
}

// indexCursor is the last seq of the account's journal in
// journal_by_extension, and whether it has a cursor row.
func indexCursor(ctx context.Context, c conn, accountID int64) (int64, bool, error) {
	var seq int64
	err := c.row(ctx, `SELECT seq FROM journal_index_cursors WHERE account_id = ?`, accountID).Scan(&seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, dbErr("read journal index cursor", err)
	}
	return seq, true, nil
}

// ReadExtensionEvents returns the extension's events with from <= At < to,
// in order, in one read transaction: those the index holds (the chunks
// whose span meets the period, then the extension's events in them),
// then those after the index's cursor, read from the journal itself.
func (s *Store) ReadExtensionEvents(ctx context.Context, accountID, ext int64, from, to time.Time) ([]callfloor.Event, error) {
	out := []callfloor.Event{}
	err := s.read(ctx, func(c conn) error {
		cursor, _, err := indexCursor(ctx, c, accountID)
		if err != nil {
			return err
		}
		seqs, err := indexedSeqs(ctx, c, accountID, ext, toMS(from), toMS(to), cursor)
		if err != nil {
			return err
		}
		for start := 0; start < len(seqs); start += 500 {
			part := seqs[start:min(start+500, len(seqs))]
			args := make([]any, 0, 3+len(part))
			args = append(args, accountID, toMS(from), toMS(to))
			for _, q := range part {
				args = append(args, q)
			}
			out, err = scanEvents(ctx, c, out, `SELECT body FROM journal WHERE account_id = ? AND at >= ? AND at < ? AND seq IN (`+
				strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`) ORDER BY seq`, args...)
			if err != nil {
				return err
			}
		}
		out, err = scanEvents(ctx, c, out, `SELECT body FROM journal WHERE account_id = ? AND seq > ? AND extension_id = ? AND at >= ? AND at < ? ORDER BY seq`,
			accountID, cursor, ext, toMS(from), toMS(to))
		return err
	})
	return out, err
}

// indexedSeqs are the sequence numbers, up to cursor and in order, of the
// extension's events in the chunks whose span meets [from, to) (ms).
func indexedSeqs(ctx context.Context, c conn, accountID, ext, from, to, cursor int64) ([]int64, error) {
	rows, err := c.query(ctx, `SELECT k.seqs FROM journal_chunk_spans p JOIN journal_chunks k
		ON k.account_id = p.account_id AND k.chunk = p.chunk AND k.extension_id = ?
		WHERE p.account_id = ? AND p.last_at >= ? AND p.first_at < ? ORDER BY p.chunk`, ext, accountID, from, to)
	if err != nil {
		return nil, dbErr("read journal index", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var list string
		if err := rows.Scan(&list); err != nil {
			return nil, dbErr("read journal index", err)
		}
		for f := range strings.SplitSeq(strings.TrimSuffix(list, ","), ",") {
			seq, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: journal index holds %q: %w", list, err)
			}
			if seq <= cursor {
				out = append(out, seq)
			}
		}
	}
	return out, rows.Err()
}
