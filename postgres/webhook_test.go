package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/webhook"
	"github.com/callfloor/callfloor/webhook/delivery"
)

// hookLog is a receiver's record, in the order things happened, of each
// request's arrival and of each answer.
type hookLog struct {
	mu      sync.Mutex
	secrets map[string]string // by path
	events  []hookEvent
	seen    map[string]int // arrivals by webhook-id
	bad     []string
}

// hookEvent is an arrival (status 0) or the status answered.
type hookEvent struct {
	id     string
	status int
}

// failEvery: the first try of every failEvery-th event fails with a 500.
const failEvery = 50

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	var msg struct {
		Data struct {
			Seq int64 `json:"seq"`
		} `json:"data"`
	}
	h.mu.Lock()
	err := webhook.Verify(h.secrets[r.URL.Path], r.Header, body, time.Now())
	if err == nil {
		err = json.Unmarshal(body, &msg)
	}
	if err != nil {
		h.bad = append(h.bad, fmt.Sprintf("%s %s: %v", r.URL.Path, id, err))
		h.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	status := http.StatusNoContent
	if h.seen[id] == 0 && msg.Data.Seq%failEvery == 0 {
		status = http.StatusInternalServerError
	}
	h.seen[id]++
	h.events = append(h.events, hookEvent{id: id}, hookEvent{id: id, status: status})
	h.mu.Unlock()
	w.WriteHeader(status)
}

// lockedWriter writes under a lock: the services' goroutines log at
// once.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// delivered counts the messages answered 2xx.
func (h *hookLog) delivered() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := map[string]bool{}
	for _, e := range h.events {
		if e.status >= 200 && e.status < 300 {
			ids[e.id] = true
		}
	}
	return len(ids)
}

// TestTwoServersDeliverWebhooks: two delivery services, each on its own
// connection pool as two servers of one database have, deliver the same
// endpoints while the journal grows by 2,000 events of forty agents (and
// of no agent). One service is woken by the journal, as the server whose
// floor wrote it; the other finds the events by polling.
// Every event an endpoint takes arrives, answered 2xx exactly once; the
// outbox holds each event once per endpoint, all delivered; no message
// is sent twice except a retry after a 500 (none is ever claimed by both
// servers: there is no crash here, so no lease ends); each lane's
// messages arrive in journal order, each after the one ahead of it was
// answered; the attempt log holds every request; and both servers
// delivered.
func TestTwoServersDeliverWebhooks(t *testing.T) {
	url := freshSchema(t)
	ctx := context.Background()
	stores := []*sqlstore.Store{open(t, url, sqlstore.Options{}), open(t, url, sqlstore.Options{})}
	acc := &callfloor.Account{Name: "Acme", TimeZone: "UTC"}
	if err := stores[0].CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	actx := callfloor.SystemContext(ctx, acc.ID)
	rc := &hookLog{secrets: map[string]string{}, seen: map[string]int{}}
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	endpoints := []*callfloor.WebhookEndpoint{
		{URL: hooks.URL + "/all", Enabled: true, Secret: webhook.NewSecret()},
		{URL: hooks.URL + "/paused", Enabled: true, Secret: webhook.NewSecret(),
			EventTypes: []callfloor.WebhookEventType{callfloor.WebhookEventType(callfloor.EventPaused)}},
	}
	for _, ep := range endpoints {
		if err := stores[0].CreateWebhookEndpoint(actx, ep); err != nil {
			t.Fatal(err)
		}
		rc.secrets[ep.URL[len(hooks.URL):]] = ep.Secret
	}

	// What the services log goes to the test's output; an error (a pass
	// that failed, a recording lost) fails the test.
	var logBuf bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, io.MultiWriter(t.Output(), &logBuf)}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var services []*delivery.Service
	var registries []*prometheus.Registry
	for _, st := range stores {
		reg := prometheus.NewRegistry()
		svc := delivery.New(delivery.Config{Store: st, Clock: callfloor.SystemClock{}, AllowPrivate: true, Logger: logger,
			Timeout: 5 * time.Second, Poll: 20 * time.Millisecond, Rescan: 100 * time.Millisecond, Registry: reg,
			// The retry after a 500 comes in 50 ms rather than 5 s.
			Jitter: func(d time.Duration) time.Duration { return d / 100 }})
		svc.Start()
		defer svc.Stop()
		services, registries = append(services, svc), append(registries, reg)
	}

	// The journal: 2,000 events in batches of 1 to 40, a few
	// milliseconds apart.
	const total = 2000
	r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	journal := make([]callfloor.Event, 0, total)
	types := []callfloor.EventType{callfloor.EventPaused, callfloor.EventUnpaused, callfloor.EventLoggedIn}
	for len(journal) < total {
		var batch []callfloor.Event
		for range min(1+r.IntN(40), total-len(journal)) {
			seq := int64(len(journal) + len(batch) + 1)
			ext := int64(r.IntN(41)) // 0: no agent's
			batch = append(batch, callfloor.Event{AccountID: acc.ID, Seq: seq, At: time.Now(), Type: types[r.IntN(len(types))],
				ExtensionID: ext})
		}
		if err := stores[0].AppendEvents(ctx, acc.ID, batch); err != nil {
			t.Fatal(err)
		}
		services[0].Notify(batch)
		journal = append(journal, batch...)
		time.Sleep(time.Duration(r.IntN(5)) * time.Millisecond)
	}
	want := 0
	for _, ep := range endpoints {
		for i := range journal {
			if _, ok := ep.Wants(&journal[i]); ok {
				want++
			}
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for rc.delivered() < want {
		if time.Now().After(deadline) {
			t.Fatalf("after two minutes %d of %d messages were delivered", rc.delivered(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, svc := range services {
		svc.Stop()
	}

	if n := bytes.Count(logBuf.Bytes(), []byte("level=ERROR")); n > 0 {
		t.Errorf("the services logged %d errors", n)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bad {
		t.Errorf("receiver: %s", b)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ep := range endpoints {
		// The outbox: each event the endpoint takes, once, delivered.
		rows := map[int64]int{}
		q, err := db.Query(`SELECT seq, COUNT(*) FROM webhook_outbox WHERE endpoint_id = $1 AND status = 'delivered' GROUP BY seq`, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var seq int64
			var n int
			if err := q.Scan(&seq, &n); err != nil {
				t.Fatal(err)
			}
			rows[seq] = n
		}
		q.Close()
		var others int
		if err := db.QueryRow(`SELECT COUNT(*) FROM webhook_outbox WHERE endpoint_id = $1 AND status <> 'delivered'`, ep.ID).Scan(&others); err != nil {
			t.Fatal(err)
		}
		if others != 0 {
			t.Errorf("endpoint %d: %d messages not delivered", ep.ID, others)
		}
		// The log: each request, by message.
		logged := map[string][]int{} // attempt numbers, in the log's order
		q, err = db.Query(`SELECT message_id, attempt FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id`, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var id string
			var n int
			if err := q.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			logged[id] = append(logged[id], n)
		}
		q.Close()

		taken := 0
		for i := range journal {
			e := &journal[i]
			_, wanted := ep.Wants(e)
			id := callfloor.WebhookMessageID(ep.ID, e.Seq, 0)
			switch {
			case !wanted && (rows[e.Seq] != 0 || rc.seen[id] != 0):
				t.Errorf("%s (%s) is not the endpoint's, yet it is in the outbox %d times and arrived %d times", id, e.Type, rows[e.Seq], rc.seen[id])
			case !wanted:
			case rows[e.Seq] != 1:
				t.Errorf("%s: %d delivered rows in the outbox", id, rows[e.Seq])
			default:
				taken++
				tries := 1
				if e.Seq%failEvery == 0 {
					tries = 2 // a 500, then the retry
				}
				if rc.seen[id] != tries || len(logged[id]) != tries || logged[id][tries-1] != tries {
					t.Errorf("%s: %d requests, attempts %v in the log; want %d", id, rc.seen[id], logged[id], tries)
				}
			}
		}
		if len(rows) != taken {
			t.Errorf("endpoint %d: %d events in the outbox, %d taken from the journal", ep.ID, len(rows), taken)
		}
	}

	// Each lane's order: a message arrives after the one ahead of it in
	// its lane (of its endpoint) was answered 2xx.
	type lane struct{ endpoint, ext int64 }
	ahead := map[lane]int64{}
	answered := map[string]bool{}
	for _, h := range rc.events {
		if h.status != 0 {
			answered[h.id] = answered[h.id] || h.status < 300
			continue
		}
		var epID, seq int64
		fmt.Sscanf(h.id, "msg_%d_%d", &epID, &seq)
		l := lane{epID, journal[seq-1].ExtensionID}
		prev := ahead[l]
		switch {
		case seq < prev:
			t.Fatalf("endpoint %d lane %d: seq %d arrived after seq %d", l.endpoint, l.ext, seq, prev)
		case seq > prev && prev != 0 && !answered[callfloor.WebhookMessageID(epID, prev, 0)]:
			t.Fatalf("endpoint %d lane %d: seq %d arrived before seq %d was answered", l.endpoint, l.ext, seq, prev)
		}
		ahead[l] = seq
	}

	// Both servers delivered.
	var shares []float64
	for _, reg := range registries {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, mf := range mfs {
			if mf.GetName() == "callfloor_webhook_delivered_total" {
				for _, m := range mf.GetMetric() {
					sum += m.GetCounter().GetValue()
				}
			}
		}
		shares = append(shares, sum)
	}
	if shares[0] == 0 || shares[1] == 0 || int(shares[0]+shares[1]) != want {
		t.Errorf("the servers delivered %v messages, want %d between them, some each", shares, want)
	}
	t.Logf("%d events, %d messages to two endpoints, delivered %v by the two servers", total, want, shares)
}
