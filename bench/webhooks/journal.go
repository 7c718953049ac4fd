package main

import (
	"context"
	"slices"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

// openStore opens the stopped server's SQLite database, to read what it
// journaled and what waits in the outboxes.
func openStore(ctx context.Context, path string) (*sqlstore.Store, error) {
	return sqlite.Open(ctx, path, sqlstore.Options{})
}

// journal is the seqs of the journal's events that an endpoint of every
// type takes, in order.
type journal []int64

// readJournal reads the account's events after seq.
func readJournal(ctx context.Context, st *sqlstore.Store, account, after int64) (journal, error) {
	every := &callfloor.WebhookEndpoint{}
	var j journal
	for {
		evs, err := st.ReadEvents(ctx, account, after, 10000)
		if err != nil || len(evs) == 0 {
			return j, err
		}
		for i := range evs {
			if _, ok := every.Wants(&evs[i]); ok {
				j = append(j, evs[i].Seq)
			}
		}
		after = evs[len(evs)-1].Seq
	}
}

// after is the part of the journal after seq.
func (j journal) after(seq int64) []int64 {
	i, _ := slices.BinarySearch(j, seq+1)
	return j[i:]
}

// missingOf counts the seqs the journal does not hold.
func (j journal) missingOf(seqs []int64) int {
	n := 0
	for _, seq := range seqs {
		if _, found := slices.BinarySearch(j, seq); !found {
			n++
		}
	}
	return n
}

// pendingOf says which of seqs wait in the endpoint's outbox.
func pendingOf(ctx context.Context, st *sqlstore.Store, account, endpoint int64, seqs []int64) (map[int64]bool, error) {
	ctx = callfloor.SystemContext(ctx, account)
	out := map[int64]bool{}
	for _, seq := range seqs {
		m, err := st.FindWebhookMessage(ctx, endpoint, seq, 0)
		if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[seq] = m.Status == callfloor.WebhookPending
	}
	return out, nil
}
