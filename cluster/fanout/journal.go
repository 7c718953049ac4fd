package fanout

import (
	"context"
	"fmt"

	"github.com/callfloor/callfloor"
)

// Journal is the part of callfloor.Journal a receiver reads missing
// events from.
type Journal interface {
	// ReadEvents returns up to limit events of the account after seq, in
	// order.
	ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error)
}

// readPage is how many events one journal read asks for.
const readPage = 1000

// Backfill reads the account's events after after, up to upto, from the
// journal, in order. It fails when the journal does not hold them all:
// a short answer would leave a hole in what the caller hands on.
func Backfill(ctx context.Context, j Journal, accountID, after, upto int64) ([]callfloor.Event, error) {
	var out []callfloor.Event
	err := backfill(ctx, j, accountID, after, upto, func(evs []callfloor.Event) {
		out = append(out, evs...)
	})
	return out, err
}

// backfill reads the events after after, up to upto, a page at a time,
// and hands each page to deliver as it comes. An error means the pages
// handed so far stop short of upto.
func backfill(ctx context.Context, j Journal, accountID, after, upto int64, deliver func([]callfloor.Event)) error {
	for after < upto {
		evs, err := j.ReadEvents(ctx, accountID, after, int(min(upto-after, readPage)))
		if err != nil {
			return fmt.Errorf("fanout: read account %d's journal after %d: %w", accountID, after, err)
		}
		// Keep what follows after without a hole, up to upto.
		n := 0
		for n < len(evs) && evs[n].Seq == after+int64(n)+1 && evs[n].Seq <= upto {
			n++
		}
		if n == 0 {
			return callfloor.Errorf(callfloor.ErrNotFound, "fanout: account %d's journal has no event %d (wanted up to %d)", accountID, after+1, upto)
		}
		deliver(evs[:n:n])
		after = evs[n-1].Seq
	}
	return nil
}
