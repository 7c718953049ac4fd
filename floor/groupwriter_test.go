package floor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

// batchJournal records its transactions; appends of account 13 fail.
type batchJournal struct {
	mu    sync.Mutex
	txs   int
	rows  map[int64]int
	delay time.Duration
}

func (b *batchJournal) AppendEvents(ctx context.Context, id int64, evs []callfloor.Event) error {
	return b.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: id, Events: evs}})
}

func (b *batchJournal) AppendBatch(_ context.Context, batch []callfloor.AccountEvents) error {
	time.Sleep(b.delay)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range batch {
		if a.AccountID == 13 {
			return errors.New("sequence taken")
		}
	}
	b.txs++
	for _, a := range batch {
		b.rows[a.AccountID] += len(a.Events)
	}
	return nil
}

func (b *batchJournal) ReadEvents(context.Context, int64, int64, int) ([]callfloor.Event, error) {
	return nil, nil
}

func TestGroupWriterMergesAccountsAndIsolatesFailures(t *testing.T) {
	j := &batchJournal{rows: map[int64]int{}, delay: 2 * time.Millisecond}
	g := NewGroupWriter(j)
	defer g.Close()
	var wg sync.WaitGroup
	errs := make([]error, 41)
	for acc := int64(1); acc <= 40; acc++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if err := g.AppendEvents(context.Background(), acc, make([]callfloor.Event, 3)); err != nil {
					errs[acc] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for acc := int64(1); acc <= 40; acc++ {
		switch {
		case acc == 13 && errs[acc] == nil:
			t.Fatal("account 13's failure was not reported")
		case acc != 13 && (errs[acc] != nil || j.rows[acc] != 30):
			t.Fatalf("account %d: err %v, %d rows", acc, errs[acc], j.rows[acc])
		}
	}
	if j.txs >= 39*10 {
		t.Fatalf("%d appends took %d transactions: nothing was merged", 39*10, j.txs)
	}
}
