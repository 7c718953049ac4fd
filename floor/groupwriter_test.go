package floor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
)

// batchJournal records its transactions; appends of account 13 fail,
// and those fenced by another epoch than epochs holds.
type batchJournal struct {
	mu     sync.Mutex
	txs    int
	rows   map[int64]int
	delay  time.Duration
	epochs map[int64]int64
}

func (b *batchJournal) AppendEvents(ctx context.Context, id int64, evs []callfloor.Event) error {
	return b.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: id, Events: evs}})
}

func (b *batchJournal) AppendFenced(ctx context.Context, id, epoch int64, evs []callfloor.Event) error {
	return b.AppendBatch(ctx, []callfloor.AccountEvents{{AccountID: id, Epoch: epoch, Events: evs}})
}

func (b *batchJournal) AppendBatch(_ context.Context, batch []callfloor.AccountEvents) error {
	time.Sleep(b.delay)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range batch {
		if a.AccountID == 13 {
			return errors.New("sequence taken")
		}
		if a.Epoch != 0 && a.Epoch != b.epochs[a.AccountID] {
			return callfloor.Errorf(callfloor.ErrFenced, "account %d: epoch %d", a.AccountID, a.Epoch)
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

// gateJournal holds its first transaction until released.
type gateJournal struct {
	batchJournal
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (g *gateJournal) AppendBatch(ctx context.Context, batch []callfloor.AccountEvents) error {
	g.once.Do(func() {
		close(g.entered)
		<-g.gate
	})
	return g.batchJournal.AppendBatch(ctx, batch)
}

// TestGroupWriterCloseAnswersEveryAppend: appends queued when Close is
// called are written and answered; appends after it are refused; none
// waits for ever.
func TestGroupWriterCloseAnswersEveryAppend(t *testing.T) {
	j := &gateJournal{batchJournal: batchJournal{rows: map[int64]int{}}, gate: make(chan struct{}), entered: make(chan struct{})}
	g := NewGroupWriter(j)
	ev := []callfloor.Event{{Type: callfloor.EventLoggedIn}}
	results := make(chan error, 20)
	go func() { results <- g.AppendEvents(context.Background(), 1, ev) }()
	<-j.entered // the first transaction is being written
	for i := range 10 {
		go func() { results <- g.AppendEvents(context.Background(), int64(2+i), ev) }()
	}
	for g.queued() < 10 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { g.Close(); close(closed) }()
	close(j.gate)
	for i := range 11 {
		select {
		case err := <-results:
			if err != nil {
				t.Fatalf("append %d: %v", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%d appends still waiting after Close", 11-i)
		}
	}
	<-closed
	if err := g.AppendEvents(context.Background(), 99, ev); err != ErrEngineStopped {
		t.Fatalf("append after Close: %v", err)
	}
	if n := len(j.rows); n != 11 {
		t.Fatalf("%d accounts written, want 11", n)
	}
}

// hangingJournal never finishes an append until its context ends.
type hangingJournal struct{ memJournal }

func (h *hangingJournal) AppendEvents(ctx context.Context, _ int64, _ []callfloor.Event) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestHungDatabaseFailsTheCommand: a journal write that never returns
// fails its command once the write's deadline passes, instead of holding
// it (and every command after it) for ever.
func TestHungDatabaseFailsTheCommand(t *testing.T) {
	old := writeTimeout
	writeTimeout = 100 * time.Millisecond
	defer func() { writeTimeout = old }()
	j := &hangingJournal{}
	e, err := Start(context.Background(), EngineConfig{AccountID: 7, Journal: j, Clock: clocktest.New(t0),
		LoadConfig: func(context.Context) (*Config, error) { return testConfig(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	done := make(chan error, 1)
	go func() {
		_, err := e.Do(context.Background(), Login{Ext: agentA})
		done <- err
	}()
	select {
	case err := <-done:
		if callfloor.ErrorCode(err) != callfloor.ErrInternal {
			t.Fatalf("the command over a hung database: %v, want internal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command still waits on a hung database")
	}
}

// TestGroupWriterKeepsEpochs: each append keeps its epoch in the merged
// transaction and, when that fails, in the append of its account alone:
// a stale epoch is refused, a current one and no epoch go through.
func TestGroupWriterKeepsEpochs(t *testing.T) {
	j := &gateJournal{batchJournal: batchJournal{rows: map[int64]int{}, epochs: map[int64]int64{5: 3, 6: 2}},
		gate: make(chan struct{}), entered: make(chan struct{})}
	g := NewGroupWriter(j)
	defer g.Close()
	ev := []callfloor.Event{{Type: callfloor.EventLoggedIn}}
	first := make(chan error, 1)
	go func() { first <- g.AppendFenced(context.Background(), 5, 3, ev) }()
	<-j.entered // the first transaction is being written
	type req struct{ account, epoch int64 }
	// Account 13's failure fails the merged transaction; each is then
	// written alone.
	appends := []req{{13, 0}, {5, 3}, {6, 1}, {7, 0}}
	errs := make([]chan error, len(appends))
	for i, a := range appends {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- g.AppendFenced(context.Background(), a.account, a.epoch, ev) }()
	}
	for g.queued() < len(appends) {
		time.Sleep(time.Millisecond)
	}
	close(j.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-errs[0]; err == nil {
		t.Fatal("account 13's failure was not reported")
	}
	if err := <-errs[1]; err != nil {
		t.Fatalf("account 5 under its current epoch: %v", err)
	}
	if err := <-errs[2]; callfloor.ErrorCode(err) != callfloor.ErrFenced {
		t.Fatalf("account 6 under a stale epoch: %v, want fenced", err)
	}
	if err := <-errs[3]; err != nil {
		t.Fatalf("account 7 without an epoch: %v", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.rows[5] != 2 || j.rows[6] != 0 || j.rows[7] != 1 {
		t.Fatalf("rows %v", j.rows)
	}
}
