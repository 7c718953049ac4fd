package crashtest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/webhook"
)

// hookReceiver is an integrator's endpoint on loopback. It verifies every
// message's signature with webhook.Verify and notes, in the order they
// happened, each arrival and each answer. A quarter of the requests it
// answers slowly, so that kills land while a message is on the wire; the
// first try of every failEvery-th event fails with a 500 (the first only,
// so that its retry comes after 5 s rather than 5 min).
type hookReceiver struct {
	mu       sync.Mutex
	secret   string
	r        *rand.Rand
	log      []hookEvent
	seen     map[string]int // arrivals by webhook-id
	slow     int            // slow answers under way
	problems []string
}

const failEvery = 30

// hookEvent is an arrival (answer 0, with its body) or an answer: the
// status, or -1 for a request cut short by the server dying.
type hookEvent struct {
	id     string
	body   []byte
	answer int
}

func newHookReceiver() *hookReceiver {
	return &hookReceiver{r: rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano()))), seen: map[string]int{}}
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	if err == nil {
		err = webhook.Verify(h.secret, r.Header, body, time.Now())
	}
	if err != nil {
		h.problems = append(h.problems, fmt.Sprintf("%s: %v", id, err))
		h.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var msg struct {
		Data struct {
			Seq int64 `json:"seq"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &msg)
	status := http.StatusOK
	if h.seen[id] == 0 && msg.Data.Seq%failEvery == 0 {
		status = http.StatusInternalServerError
	}
	h.seen[id]++
	h.log = append(h.log, hookEvent{id: id, body: body})
	var wait time.Duration
	if h.r.IntN(4) == 0 {
		wait = time.Duration(50+h.r.IntN(250)) * time.Millisecond
		h.slow++
	}
	h.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			status = -1
		}
		h.mu.Lock()
		h.slow--
		h.mu.Unlock()
	}
	// The answer is noted before it is written, so that it comes before
	// anything the server sends once it has read it.
	h.mu.Lock()
	h.log = append(h.log, hookEvent{id: id, answer: status})
	h.mu.Unlock()
	if status > 0 {
		w.WriteHeader(status)
	}
}

func (h *hookReceiver) setSecret(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secret = s
}

// waitSlow waits, at most d, for a slow answer to be under way.
func (h *hookReceiver) waitSlow(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		slow := h.slow
		h.mu.Unlock()
		if slow > 0 {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// call sends a JSON request with a bearer token and decodes the answer
// into out (when not nil); it returns the status.
func call(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

// floorStep logs the agent in or off, or pauses or unpauses it, and
// notes the command when acknowledged.
func (d *driver) floorStep() {
	var seq int64
	var ok bool
	what := ""
	switch n := d.r.IntN(10); {
	case n < 2:
		what = "login"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/login", nil)
	case n < 3:
		what = "logoff"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/logoff", nil)
	case n < 6:
		what = "pause"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/pause", map[string]int64{"reason_id": int64(2 + d.r.IntN(3))})
	default:
		what = "unpause"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/unpause", nil)
	}
	if ok && seq > 0 {
		d.mu.Lock()
		*d.acks = append(*d.acks, acked{seq: seq, ext: d.ext, what: what})
		d.mu.Unlock()
	}
}

// TestKillNineDuringWebhookDelivery kills a real server with SIGKILL again
// and again while agents log in, pause and unpause and the server sends
// their events to a webhook endpoint, most kills while a message is on
// the wire. Once the endpoint's backlog is empty: every event the floor
// acknowledged (and every other event of the journal since the endpoint
// was made) arrived and was answered 2xx; each came under
// msg_<endpoint>_<seq> with its journal event as the body, the same on
// every try; a message cut short by a kill came again; each agent's
// events first arrived in journal order, none before the one ahead of it
// was answered; and the attempt log has each recorded attempt of every
// message, numbered 1, 2, ... and ending delivered, and no more attempts
// than the receiver saw.
func TestKillNineDuringWebhookDelivery(t *testing.T) {
	kills := 8
	if v, err := strconv.Atoi(os.Getenv("CALLFLOOR_CRASH_KILLS")); err == nil && v > 0 {
		kills = v
	}
	dir := t.TempDir()
	bin := build(t, dir)
	rc := newHookReceiver()
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	defer logf.Close()
	// A short lease, so that a message a kill cut short goes again after
	// 3 s rather than a minute; the timeout is half of it, as the server
	// requires, and far above the receiver's slowest answer.
	s := &server{t: t, bin: bin, dir: filepath.Join(dir, "data"), addr: freeAddr(t), log: logf,
		args: []string{"--webhook-allow-private", "--webhook-timeout", "1500ms", "--webhook-lease", "3s"}}
	s.start()
	t.Cleanup(func() { s.kill() }) // the server running now, if the test ends early
	base := "http://" + s.addr
	admin := login(t, base, "admin")
	var made struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
		Cursor int64  `json:"cursor"`
	}
	if code := call(t, "POST", base+"/api/v1/webhook-endpoints", admin, map[string]any{"url": hooks.URL + "/hooks"}, &made); code != 201 {
		t.Fatalf("create endpoint: %d", code)
	}
	rc.setSecret(made.Secret)
	byNumber := extensionIDs(t, base, admin)

	var mu sync.Mutex
	var acks []acked
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 1; i <= 4; i++ {
		d := &driver{base: base, agent: login(t, base, fmt.Sprintf("agent%d", i)), ext: byNumber[fmt.Sprint(200+i)],
			r: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), mu: &mu, acks: &acks,
			http: &http.Client{Timeout: 3 * time.Second}}
		wg.Go(func() {
			for ctx.Err() == nil {
				d.floorStep()
				time.Sleep(time.Duration(50+d.r.IntN(100)) * time.Millisecond)
			}
		})
	}
	r := rand.New(rand.NewPCG(98, uint64(time.Now().UnixNano())))
	midSend := 0
	for range kills {
		time.Sleep(time.Duration(300+r.IntN(1200)) * time.Millisecond)
		// A kill waits (a while) for a slow answer, to cut a message
		// short; the lanes a kill cut wait out the lease after it.
		if rc.waitSlow(5 * time.Second) {
			midSend++
		}
		s.kill()
		s.start()
	}
	time.Sleep(time.Second)
	stop()
	wg.Wait()
	var last int64
	for _, a := range acks {
		last = max(last, a.seq)
	}
	if len(acks) < 50 {
		t.Fatalf("only %d commands were acknowledged: the driver did not drive", len(acks))
	}

	// Every message delivered: nothing waits, and the cursor is past the
	// last acknowledged event.
	var ep callfloor.WebhookEndpoint
	deadline := time.Now().Add(60 * time.Second)
	for {
		getJSON(t, base, admin, fmt.Sprintf("/api/v1/webhook-endpoints/%d", made.ID), &ep)
		if !ep.Enabled {
			t.Fatalf("the endpoint was disabled: %s", ep.DisabledReason)
		}
		if ep.Backlog == 0 && ep.Cursor >= last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute the endpoint has %d messages waiting and its cursor at %d (last acknowledged %d); the server's log ends:\n%s",
				ep.Backlog, ep.Cursor, last, s.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The attempt log, page by page.
	logged := map[string][]*callfloor.WebhookAttempt{}
	before := ""
	for {
		var page struct {
			Items []*callfloor.WebhookAttempt `json:"items"`
			Next  *string                     `json:"next"`
		}
		path := fmt.Sprintf("/api/v1/webhook-endpoints/%d/attempts?limit=200", made.ID)
		if before != "" {
			path += "&before=" + before
		}
		getJSON(t, base, admin, path, &page)
		for _, a := range page.Items {
			logged[a.MessageID] = append(logged[a.MessageID], a)
		}
		if page.Next == nil {
			break
		}
		before = *page.Next
	}
	s.kill()

	journal := s.journal(made.Cursor) // since the endpoint was made

	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, p := range rc.problems {
		t.Errorf("receiver: %s", p)
	}
	// Walk the receiver's log: the ids and bodies, the lanes' order, the
	// answers.
	account := callfloor.WebhookEndpoint{ID: made.ID} // every type, the whole account
	arrivals, answered, cut, failed := map[string]int{}, map[string]bool{}, map[string]int{}, map[string]int{}
	lastOfLane := map[int64]int64{} // the seq that first arrived last
	dups := 0
	for _, h := range rc.log {
		seq, _, ok := callfloor.ParseWebhookMessageID(made.ID, h.id)
		e, inJournal := journal[seq]
		if !ok || !inJournal {
			t.Fatalf("a message %s that is no journal event since the endpoint was made (after seq %d)", h.id, made.Cursor)
		}
		switch {
		case h.answer == -1:
			cut[h.id]++
			continue
		case h.answer >= 300:
			failed[h.id]++
			continue
		case h.answer > 0:
			answered[h.id] = true
			continue
		}
		arrivals[h.id]++
		want, _ := callfloor.NewWebhookEventBody(&e)
		if !bytes.Equal(h.body, want) {
			t.Fatalf("%s (try %d) came with the body\n%s\nwant its journal event's\n%s", h.id, arrivals[h.id], h.body, want)
		}
		if arrivals[h.id] > 1 {
			dups++
			continue
		}
		lane := account.Lane(&e)
		if prev := lastOfLane[lane]; prev != 0 {
			if seq < prev {
				t.Fatalf("lane %d: seq %d first arrived after seq %d", lane, seq, prev)
			}
			if !answered[callfloor.WebhookMessageID(made.ID, prev, 0)] {
				t.Fatalf("lane %d: seq %d arrived before seq %d was answered 2xx", lane, seq, prev)
			}
		}
		lastOfLane[lane] = seq
	}
	wanted := 0
	for seq, e := range journal {
		if _, ok := account.Wants(&e); !ok || seq > ep.Cursor {
			continue
		}
		wanted++
		if id := callfloor.WebhookMessageID(made.ID, seq, 0); !answered[id] {
			t.Errorf("%s (%s) was never answered 2xx: %d arrivals", id, e.Type, arrivals[id])
		}
	}
	for _, a := range acks {
		e, ok := journal[a.seq]
		if !ok || e.ExtensionID != a.ext || a.seq > ep.Cursor {
			t.Errorf("acknowledged %q (seq %d, extension %d) is not in the journal up to the cursor: %+v", a.what, a.seq, a.ext, e)
		} else if !answered[callfloor.WebhookMessageID(made.ID, a.seq, 0)] {
			t.Errorf("acknowledged %q (seq %d, %s) never reached the endpoint", a.what, a.seq, e.Type)
		}
	}
	requests, cuts := 0, 0
	for _, n := range arrivals {
		requests += n
	}
	for id, n := range cut {
		cuts += n
		if arrivals[id] <= n {
			t.Errorf("%s was cut short %d times and arrived %d times in all: it never came again", id, n, arrivals[id])
		}
	}
	if cuts < midSend/2 {
		t.Errorf("%d requests cut short by %d kills mid-send", cuts, midSend)
	}

	// The log: each recorded attempt, numbered from 1 in order, the last
	// delivered; no more attempts, nor failures, than the receiver saw.
	for id := range answered {
		list := logged[id]
		slices.SortFunc(list, func(a, b *callfloor.WebhookAttempt) int { return cmp.Compare(a.ID, b.ID) })
		if len(list) == 0 || list[len(list)-1].Outcome != callfloor.WebhookOutcomeDelivered {
			t.Errorf("%s: the log's attempts %+v do not end delivered", id, list)
			continue
		}
		fails := 0
		for i, a := range list {
			if a.Attempt != i+1 {
				t.Errorf("%s: the log's attempt %d is numbered %d", id, i+1, a.Attempt)
			}
			if a.Outcome == callfloor.WebhookOutcomeRetry {
				fails++
			}
		}
		if len(list) > arrivals[id] || fails > failed[id] {
			t.Errorf("%s: %d attempts logged (%d failed), the receiver saw %d (answered %d with an error)", id, len(list), fails, arrivals[id], failed[id])
		}
	}
	for id := range logged {
		if !answered[id] {
			t.Errorf("%s is in the log but was never answered 2xx", id)
		}
	}
	t.Logf("%d kills (%d mid-send), %d acknowledged commands, %d events sent, %d requests: %d cut short, %d answered 500, %d duplicates",
		kills, midSend, len(acks), wanted, requests, cuts, len(failed), dups)
}
