package main

import (
	"context"
	"log/slog"
	"time"
)

// journalIndexer is the store's indexing of its journals by extension
// (sqlstore.Store).
type journalIndexer interface {
	IndexJournals(ctx context.Context) (int, error)
	IndexJournal(ctx context.Context, accountID int64) (int, error)
}

// indexEvery is how often the server indexes its journals by extension.
const indexEvery = time.Second

// indexJournals keeps every account's journal index by extension up with
// its journal, off the floor's commit path, until the returned stop is
// called. Reads by extension are right at any moment; this keeps them
// fast (the part after the index is read from the journal itself).
//
// owned, on a cluster node, lists the accounts the node owns: it indexes
// those only (each account's journal grows on its owner), so that the
// nodes do not all scan every account and wait on each other's cursors.
// Nil indexes every account.
func indexJournals(st journalIndexer, owned func() []int64, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(indexEvery)
		defer t.Stop()
		for {
			var err error
			if owned == nil {
				_, err = st.IndexJournals(ctx)
			} else {
				for _, id := range owned() {
					if _, err = st.IndexJournal(ctx, id); err != nil {
						break
					}
				}
			}
			if err != nil && ctx.Err() == nil {
				log.Warn("journal index by extension behind", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
