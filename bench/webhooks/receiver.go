package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
)

// receiver is one endpoint's integrator: a Go HTTP server on loopback
// that verifies every message's signature with webhook.Verify and keeps,
// per journal seq, when the message first came and how often it came.
// A failing receiver answers 500 to every other request, whatever it
// carries (a retry too).
type receiver struct {
	failing bool
	srv     *http.Server
	addr    string

	mu       sync.Mutex
	secret   string
	endpoint int64
	got      map[int64]*arrival // by seq
	requests int
	badSigs  int
	badIDs   int // a webhook-id that is not the endpoint's, or disagrees with the body's seq
}

// arrival is what came of one message (one journal event).
type arrival struct {
	first    time.Time
	lat      time.Duration // from the event's journal timestamp to first
	ext      int64
	tries    int // requests, answered 500 or not
	accepted int // requests answered 2xx
}

// hookBody is what a receiver reads of a message: the event's journal
// time, seq and extension (its lane).
type hookBody struct {
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		Seq         int64 `json:"seq"`
		ExtensionID int64 `json:"extension_id"`
	} `json:"data"`
}

// newReceiver serves on a free loopback port.
func newReceiver(failing bool) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{failing: failing, addr: ln.Addr().String(), got: map[int64]*arrival{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// URL is where the receiver takes messages.
func (r *receiver) URL() string { return "http://" + r.addr + "/hooks" }

// expect sets the endpoint the receiver stands for and its secret.
func (r *receiver) expect(endpoint int64, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endpoint, r.secret = endpoint, secret
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.srv.Shutdown(ctx)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	secret, endpoint := r.secret, r.endpoint
	r.mu.Unlock()
	if err := webhook.Verify(secret, req.Header, b, now); err != nil {
		r.mu.Lock()
		r.badSigs++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var body hookBody
	seq, _, ok := callfloor.ParseWebhookMessageID(endpoint, req.Header.Get("webhook-id"))
	if err := json.Unmarshal(b, &body); err != nil || !ok || seq == 0 || body.Data.Seq != seq {
		r.mu.Lock()
		r.badIDs++
		r.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}

	r.mu.Lock()
	r.requests++
	fail := r.failing && r.requests%2 == 0
	a := r.got[seq]
	if a == nil {
		a = &arrival{first: now, lat: now.Sub(body.Timestamp), ext: body.Data.ExtensionID}
		r.got[seq] = a
	}
	a.tries++
	if !fail {
		a.accepted++
	}
	r.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// snapshot copies what the receiver has: the arrivals by seq, and its
// counts.
func (r *receiver) snapshot() (got map[int64]arrival, requests, badSigs, badIDs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got = make(map[int64]arrival, len(r.got))
	for seq, a := range r.got {
		got[seq] = *a
	}
	return got, r.requests, r.badSigs, r.badIDs
}
