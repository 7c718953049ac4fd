package fanout

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// proxy passes TCP connections on to the test NATS server, and can cut
// them all, as a network fault would.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T) *proxy {
	t.Helper()
	conn(t, "probe") // skips the test without NATS
	u, err := url.Parse(os.Getenv("CALLFLOOR_TEST_NATS"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: u.Host}
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	go p.accept()
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); s.Close() }()
		go func() { _, _ = io.Copy(c, s); c.Close() }()
	}
}

// cut closes every connection through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// connect connects through the proxy, reconnecting at once after a cut.
func (p *proxy) connect(t *testing.T, name string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("nats://"+p.ln.Addr().String(), nats.Name("callfloor fanout test "+name),
		nats.ReconnectWait(20*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// TestConnectionCut: the connections of the owner and of one receiver
// are cut mid-stream and come back: both receivers get every event, in
// order, those lost in the cut from the journal.
func TestConnectionCut(t *testing.T) {
	px := startProxy(t)
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc := px.connect(t, "owner")
	p := newPublisher(t, pnc, cfg, "")
	near, far := newCollector(), newCollector()
	newReceiver(t, px.connect(t, "node behind the proxy"), cfg, j, near, 0, "")
	dnc, _ := conn(t, "node")
	newReceiver(t, dnc, cfg, j, far, 0, "")
	owner(j, p, 1, 1, 4)
	waitSeqs(t, near, 1, seqs(1, 4))
	waitSeqs(t, far, 1, seqs(1, 4))
	px.cut()
	owner(j, p, 1, 5, 6) // during the cut
	waitFor(t, "the owner's reconnection", func() bool { return pnc.Status() == nats.CONNECTED })
	owner(j, p, 1, 7, 8)
	owner(j, p, 1, 9, 10)
	for _, c := range []*collector{near, far} {
		waitSeqs(t, c, 1, seqs(1, 10))
		c.check(t)
	}
	t.Logf("%d batches dropped or lost", p.Dropped())
}

// TestPublishDoesNotWaitForNATS: with NATS out of reach, Publish still
// returns at once: the queue fills, and what does not fit is dropped.
func TestPublishDoesNotWaitForNATS(t *testing.T) {
	px := startProxy(t)
	cfg := streamConfig(t)
	j := newFakeJournal()
	pnc := px.connect(t, "owner")
	p := newPublisherQueue(t, pnc, cfg, "", 256)
	px.ln.Close()
	px.cut()
	waitFor(t, "the owner's disconnection", func() bool { return pnc.Status() != nats.CONNECTED })
	start := time.Now()
	for s := int64(1); s <= 5000; s++ {
		owner(j, p, 1, s, s)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("5000 batches took %v to publish", d)
	}
	// Those beyond the queue and the window (sent to the connection's
	// buffer, and dropped when no answer comes) at once.
	waitFor(t, "batches dropped", func() bool { return p.Dropped() >= 5000-256-1024-1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := p.Close(ctx); err == nil {
		t.Error("Close without NATS reported the queued batches sent")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
}
