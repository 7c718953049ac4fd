package fanout

import (
	"context"
	"errors"
	"sync"

	"github.com/callfloor/callfloor"
)

// fakeJournal holds each account's events 1 to its last, made on demand,
// as the journal would once the owner appended them. down makes every
// read fail.
type fakeJournal struct {
	mu    sync.Mutex
	last  map[int64]int64
	down  bool
	hang  bool // reads wait for their context to end
	reads int
}

func newFakeJournal() *fakeJournal { return &fakeJournal{last: map[int64]int64{}} }

// Append records that the account's events up to seq are journaled.
func (j *fakeJournal) Append(accountID, seq int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.last[accountID] = max(j.last[accountID], seq)
}

func (j *fakeJournal) SetDown(down bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.down = down
}

func (j *fakeJournal) Reads() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.reads
}

func (j *fakeJournal) SetHang(hang bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.hang = hang
}

func (j *fakeJournal) ReadEvents(ctx context.Context, accountID, afterSeq int64, limit int) ([]callfloor.Event, error) {
	j.mu.Lock()
	hang := j.hang
	j.reads++
	j.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.down {
		return nil, errors.New("the journal is down")
	}
	var out []callfloor.Event
	for s := afterSeq + 1; s <= j.last[accountID] && len(out) < limit; s++ {
		out = append(out, ev(accountID, s))
	}
	return out, nil
}
