package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/webhook"
)

// received is one request a receiver got.
type received struct {
	id, signature string
	ts            time.Time
	body          []byte
	// seq and lane are the journal event's (0 for a test message), typ
	// the body's type.
	seq, lane int64
	typ       string
	// at is the fake clock's time when it arrived; status what the
	// receiver answered (0: no answer, the request was cut short).
	at     time.Time
	status int
	// verified lists the secrets (by index) whose signature matched.
	verified []int
}

// receiver is an integrator's endpoint on loopback: it checks every
// message's signature as the Standard Webhooks specification says, and
// answers what answer tells it to.
type receiver struct {
	t       *testing.T
	clock   *clocktest.Clock
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	secrets []string
	// answer returns the status and headers for a request, the
	// receiver's before-th; nil is 204. block makes the handler wait
	// until the request is cut short. It runs under the receiver's lock.
	answer func(r *received, before int) (status int, header http.Header, block bool)
	// held counts the requests blocked right now.
	held int
}

func newReceiver(t *testing.T, clock *clocktest.Clock, secrets ...string) *receiver {
	rc := &receiver{t: t, clock: clock, secrets: secrets}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/hooks" }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := received{id: r.Header.Get("webhook-id"), signature: r.Header.Get("webhook-signature"), body: body, at: rc.clock.Now()}
	sec, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		rc.t.Errorf("webhook-timestamp %q", r.Header.Get("webhook-timestamp"))
	}
	m.ts = time.Unix(sec, 0)
	if d := rc.clock.Now().Sub(m.ts); d > 5*time.Minute || d < -5*time.Minute {
		rc.t.Errorf("message %s stamped %v, %v from the receiver's clock", m.id, m.ts, d)
	}
	for i, s := range rc.secrets {
		if specVerify(s, m.id, sec, body, m.signature) {
			m.verified = append(m.verified, i)
		}
	}
	var msg struct {
		Type string `json:"type"`
		Data struct {
			Seq         int64 `json:"seq"`
			ExtensionID int64 `json:"extension_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		rc.t.Errorf("body %s: %v", body, err)
	}
	m.typ, m.seq, m.lane = msg.Type, msg.Data.Seq, msg.Data.ExtensionID
	status, header, block := http.StatusNoContent, http.Header(nil), false
	rc.mu.Lock()
	if rc.answer != nil {
		status, header, block = rc.answer(&m, len(rc.got))
	}
	if block {
		rc.held++
		rc.got = append(rc.got, m)
		rc.mu.Unlock()
		<-r.Context().Done()
		rc.mu.Lock()
		rc.held--
		rc.mu.Unlock()
		return
	}
	m.status = status
	rc.got = append(rc.got, m)
	rc.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "answer %d", status)
}

// specVerify is the receiver's side of Standard Webhooks 1.0, written
// from the specification rather than with package webhook: the
// signature is "v1," and the base64 HMAC-SHA256, under the base64 secret
// after "whsec_", of "id.timestamp.body"; the header may hold several,
// space separated.
func specVerify(secret, id string, ts int64, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Split(header, " ") {
		v, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// rig is a delivery service over SQLite with a fake clock, an account
// and an endpoint at a receiver.
type rig struct {
	t      *testing.T
	clock  *clocktest.Clock
	path   string
	store  *sqlstore.Store
	svc    *Service
	acc    *callfloor.Account
	ctx    context.Context
	rc     *receiver
	ep     *callfloor.WebhookEndpoint
	seq    int64
	lease  time.Duration // the service's (Lease when 0)
	mu     sync.Mutex
	events []callfloor.Event // published live
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func newRig(t *testing.T) *rig {
	clock := clocktest.New(t0)
	r := &rig{t: t, clock: clock, path: filepath.Join(t.TempDir(), "callfloor.db")}
	r.open()
	t.Cleanup(r.close)
	r.acc = &callfloor.Account{Name: "Acme", TimeZone: "Europe/London"}
	must(t, r.store.CreateAccount(context.Background(), r.acc))
	r.ctx = callfloor.SystemContext(context.Background(), r.acc.ID)
	r.rc = newReceiver(t, clock, secret)
	r.ep = &callfloor.WebhookEndpoint{URL: r.rc.url(), Enabled: true, Secret: secret}
	must(t, r.store.CreateWebhookEndpoint(r.ctx, r.ep))
	return r
}

// open opens the store and a service on it (not started).
func (r *rig) open() {
	st, err := sqlite.Open(context.Background(), r.path, sqlstore.Options{Clock: r.clock})
	must(r.t, err)
	r.store = st
	r.svc = New(Config{Store: st, Clock: r.clock, AllowPrivate: true, Timeout: 300 * time.Millisecond, Lease: r.lease,
		Jitter: func(d time.Duration) time.Duration { return d }, Publish: r.publish})
}

func (r *rig) close() {
	if r.svc != nil {
		r.svc.Stop()
	}
	if r.store != nil {
		r.store.Close()
	}
	r.svc, r.store = nil, nil
}

func (r *rig) publish(evs []callfloor.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, evs...)
}

func (r *rig) published() []callfloor.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]callfloor.Event(nil), r.events...)
}

// journal appends n pause events, for the extensions in turn.
func (r *rig) journal(n int, exts ...int64) {
	r.t.Helper()
	var evs []callfloor.Event
	for i := range n {
		r.seq++
		evs = append(evs, callfloor.Event{AccountID: r.acc.ID, Seq: r.seq, At: r.clock.Now(), Type: callfloor.EventPaused,
			ExtensionID: exts[i%len(exts)], State: callfloor.StatePaused})
	}
	must(r.t, r.store.AppendEvents(context.Background(), r.acc.ID, evs))
}

// runUntil runs passes, moving the clock to each next due time, until
// nothing is due before end; the clock is left at end.
func (r *rig) runUntil(end time.Time) {
	r.t.Helper()
	for {
		next, err := r.svc.RunOnce(context.Background(), r.acc.ID, r.ep.ID)
		must(r.t, err)
		if next == nil || next.After(end) {
			break
		}
		r.clock.Set(*next)
	}
	r.clock.Set(end)
}

func (r *rig) endpoint() *callfloor.WebhookEndpoint {
	r.t.Helper()
	ep, err := r.store.FindWebhookEndpointByID(r.ctx, r.ep.ID)
	must(r.t, err)
	return ep
}

func (r *rig) attempts() []*callfloor.WebhookAttempt {
	r.t.Helper()
	list, err := r.store.ListWebhookAttempts(r.ctx, r.ep.ID, 0, 10000)
	must(r.t, err)
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// checkDelivery checks what every delivery test promises: every event of
// the journal up to the rig's seq arrived with a 2xx; every message
// carried the id msg_<endpoint>_<seq>, the same on each try, and a
// signature the receiver verified; and per lane the messages went in
// order (a later event never before an earlier one was delivered).
func (r *rig) checkDelivery(got []received) {
	r.t.Helper()
	delivered := map[int64]bool{}
	lastOfLane := map[int64]int64{}
	for _, m := range got {
		if m.typ == string(callfloor.WebhookTest) {
			continue
		}
		if want := callfloor.WebhookMessageID(r.ep.ID, m.seq, 0); m.id != want {
			r.t.Fatalf("the event of seq %d came as %s, want %s", m.seq, m.id, want)
		}
		if len(m.verified) == 0 {
			r.t.Fatalf("%s: no signature verified (%s)", m.id, m.signature)
		}
		if m.seq < lastOfLane[m.lane] {
			r.t.Fatalf("lane %d: seq %d sent after seq %d", m.lane, m.seq, lastOfLane[m.lane])
		}
		if m.seq > lastOfLane[m.lane] && lastOfLane[m.lane] != 0 && !delivered[lastOfLane[m.lane]] {
			r.t.Fatalf("lane %d: seq %d sent before seq %d was delivered", m.lane, m.seq, lastOfLane[m.lane])
		}
		lastOfLane[m.lane] = m.seq
		if m.status >= 200 && m.status < 300 {
			delivered[m.seq] = true
		}
	}
	for seq := int64(1); seq <= r.seq; seq++ {
		if !delivered[seq] {
			r.t.Fatalf("the event of seq %d never arrived (%d requests)", seq, len(got))
		}
	}
}

// waitFor waits (real time, bounded) for the workers to get somewhere.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// unreachable returns a loopback URL where nothing listens, and a
// function that starts h there.
func unreachable(t *testing.T, h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hooks", func() {
		ln, err := net.Listen("tcp", addr)
		must(t, err)
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
		srv.Start()
		t.Cleanup(srv.Close)
	}
}

var _ = webhook.Verify // the receiver checks with its own code, on purpose
