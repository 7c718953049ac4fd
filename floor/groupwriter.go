package floor

import (
	"context"

	"github.com/callfloor/callfloor"
)

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
	j    BatchJournal
	reqs chan groupReq
	done chan struct{}
	max  int
}

type groupReq struct {
	b   callfloor.AccountEvents
	err chan error
}

// NewGroupWriter starts a group writer over j; Close stops it.
func NewGroupWriter(j BatchJournal) *GroupWriter {
	g := &GroupWriter{j: j, reqs: make(chan groupReq, 1024), done: make(chan struct{}), max: 256}
	go g.run()
	return g
}

// AppendEvents waits until the events are durable, in whichever
// transaction carried them.
func (g *GroupWriter) AppendEvents(ctx context.Context, accountID int64, evs []callfloor.Event) error {
	r := groupReq{b: callfloor.AccountEvents{AccountID: accountID, Events: evs}, err: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-g.done:
		return ErrEngineStopped
	}
	return <-r.err
}

// ReadEvents reads the journal.
func (g *GroupWriter) ReadEvents(ctx context.Context, accountID, after int64, limit int) ([]callfloor.Event, error) {
	return g.j.ReadEvents(ctx, accountID, after, limit)
}

// Close stops the writer once the appends already queued are written.
func (g *GroupWriter) Close() { close(g.done) }

func (g *GroupWriter) run() {
	for {
		var first groupReq
		select {
		case first = <-g.reqs:
		case <-g.done:
			return
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
// took its sequence numbers) does not fail the others.
func (g *GroupWriter) write(batch []groupReq) {
	ctx := context.Background()
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
		r.err <- g.j.AppendEvents(ctx, r.b.AccountID, r.b.Events)
	}
}
