package floor

import (
	"context"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
)

// writeTimeout bounds one journal write: a database that hangs fails the
// appends waiting on it (the engines rebuild from the journal) instead of
// holding every request for ever. A variable for the tests.
var writeTimeout = 30 * time.Second

// BatchJournal is a Journal that can also append the events of several
// accounts in one transaction.
type BatchJournal interface {
	Journal
	AppendBatch(ctx context.Context, batch []callfloor.AccountEvents) error
}

// GroupWriter is a Journal shared by every account's engine: appends that
// arrive while a transaction is being written are merged into the next one,
// so one fsync serves many accounts. Reads go straight to the journal.
type GroupWriter struct {
	j       BatchJournal
	reqs    chan groupReq
	done    chan struct{}
	stopped chan struct{}
	max     int

	// mu orders sends on reqs before Close: once closed is set, nothing
	// more is queued, so the writer's last drain answers every append.
	mu     sync.RWMutex
	closed bool
}

type groupReq struct {
	b   callfloor.AccountEvents
	err chan error
}

// NewGroupWriter starts a group writer over j; Close stops it.
func NewGroupWriter(j BatchJournal) *GroupWriter {
	g := &GroupWriter{j: j, reqs: make(chan groupReq, 1024), done: make(chan struct{}), stopped: make(chan struct{}), max: 256}
	go g.run()
	return g
}

// AppendEvents waits until the events are durable, in whichever
// transaction carried them.
func (g *GroupWriter) AppendEvents(ctx context.Context, accountID int64, evs []callfloor.Event) error {
	return g.AppendFenced(ctx, accountID, 0, evs)
}

// AppendFenced is AppendEvents fenced by an ownership epoch (0: none):
// the transaction that carries the events checks it, and refuses them
// with callfloor.ErrFenced when it is not the account's current one.
func (g *GroupWriter) AppendFenced(ctx context.Context, accountID, epoch int64, evs []callfloor.Event) error {
	r := groupReq{b: callfloor.AccountEvents{AccountID: accountID, Epoch: epoch, Events: evs}, err: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrEngineStopped
	}
	g.reqs <- r
	g.mu.RUnlock()
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		// The write may still land: the engine rebuilds from the
		// journal, which says whether it did.
		return ctx.Err()
	}
}

// queued is how many appends wait for the writer (for tests).
func (g *GroupWriter) queued() int { return len(g.reqs) }

// ReadEvents reads the journal.
func (g *GroupWriter) ReadEvents(ctx context.Context, accountID, after int64, limit int) ([]callfloor.Event, error) {
	return g.j.ReadEvents(ctx, accountID, after, limit)
}

// Close stops the writer once the appends already queued are written;
// later ones get ErrEngineStopped. It returns when the writer is done.
func (g *GroupWriter) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		<-g.stopped
		return
	}
	g.closed = true
	g.mu.Unlock()
	close(g.done)
	<-g.stopped
}

func (g *GroupWriter) run() {
	defer close(g.stopped)
	for {
		var first groupReq
		select {
		case first = <-g.reqs:
		case <-g.done:
			// Nothing is queued after done: write what is.
			for {
				select {
				case r := <-g.reqs:
					g.write([]groupReq{r})
				default:
					return
				}
			}
		}
		batch := []groupReq{first}
	drain:
		for len(batch) < g.max {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.write(batch)
	}
}

// write appends the batch in one transaction. If it fails, each account's
// events are tried alone, so that one account's failure (another writer
// took its sequence numbers, or another node its epoch) does not fail
// the others; alone, each keeps its epoch.
func (g *GroupWriter) write(batch []groupReq) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	all := make([]callfloor.AccountEvents, len(batch))
	for i, r := range batch {
		all[i] = r.b
	}
	err := g.j.AppendBatch(ctx, all)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.err <- err
		}
		return
	}
	for _, r := range batch {
		r.err <- g.j.AppendBatch(ctx, []callfloor.AccountEvents{r.b})
	}
}
