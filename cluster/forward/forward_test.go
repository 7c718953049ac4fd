package forward

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/clocktest"
	"github.com/callfloor/callfloor/internal/natstest"
)

// rig is one test's cluster: a client node and server nodes, each on a
// connection of its own, under a subject prefix of the test's own.
type rig struct {
	t   testing.TB
	cfg Config
}

func newRig(t testing.TB, cfg Config) *rig {
	cfg.Prefix = "fwdtest_" + nuid.Next()
	return &rig{t: t, cfg: cfg}
}

func (g *rig) client() *Client {
	return NewClient(natstest.Conn(g.t, g.t.Name()+" client"), g.cfg)
}

func (g *rig) server(h http.Handler, owns func(int64) bool) *Server {
	s := NewServer(natstest.Conn(g.t, g.t.Name()+" server"), h, owns, g.cfg)
	g.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

func (g *rig) serve(s *Server, account int64) {
	g.t.Helper()
	if err := s.Serve(account); err != nil {
		g.t.Fatal(err)
	}
}

// forward runs one request through c and returns the recorded answer.
func forward(t testing.TB, c *Client, account int64, r *http.Request) (*httptest.ResponseRecorder, error) {
	t.Helper()
	w := httptest.NewRecorder()
	err := c.Forward(r.Context(), account, w, r)
	return w, err
}

// errorCode is the code of an answer in the API's error shape.
func errorCode(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("answer %d %q is not an error: %v", w.Code, w.Body.String(), err)
	}
	if e.Error.Message == "" {
		t.Errorf("error %s has no message", e.Error.Code)
	}
	return e.Error.Code
}

// echo answers with what it saw of the request.
type seen struct {
	Method, URI, Path, Query, Host, RemoteAddr string
	Header                                     http.Header
	Body                                       []byte
	ContentLength                              int64
	Forwarded, TLS                             bool
	Account                                    int64
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusTeapot)
		return
	}
	s := seen{Method: r.Method, URI: r.RequestURI, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
		RemoteAddr: r.RemoteAddr, Header: r.Header, Body: body, ContentLength: r.ContentLength,
		Forwarded: Forwarded(r.Context()), TLS: r.TLS != nil}
	s.Account, _ = Account(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("X-Answer", "one")
	w.Header().Add("X-Answer", "two")
	w.Header().Set("Connection", "close") // hop-by-hop: not passed on
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(s)
}

func TestRoundTrip(t *testing.T) {
	g := newRig(t, Config{})
	g.serve(g.server(http.HandlerFunc(echo), nil), 7)
	c := g.client()
	big := make([]byte, defaultMaxBody) // too large for the request's message: pulled
	_, _ = rand.Read(big)
	tests := []struct {
		name   string
		method string
		target string
		body   []byte
		header http.Header
		tls    bool
		status int
	}{
		{name: "GET with a query", method: "GET", target: "/api/v1/floor/agents?queue=3&x=a%20b", status: 200},
		{name: "POST JSON", method: "POST", target: "/api/v1/floor/agents/5/pause",
			body: []byte(`{"reason":7}`), header: http.Header{"Content-Type": {"application/json"}}, status: 201},
		{name: "PUT empty", method: "PUT", target: "/api/v1/x", status: 200},
		{name: "DELETE over TLS", method: "DELETE", target: "/api/v1/x/1", tls: true, status: 200},
		{name: "header fields", method: "GET", target: "/h",
			header: http.Header{"Authorization": {"Bearer abc"}, "X-Many": {"1", "2"},
				"Connection": {"X-Hop"}, "X-Hop": {"dropped"}, "Keep-Alive": {"timeout=5"}, "Te": {"trailers"},
				HeaderNotOwner: {"1"}}, status: 200},
		{name: "body of MaxBody bytes, pulled", method: "POST", target: "/import", body: big, status: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, bytes.NewReader(tt.body))
			if tt.body == nil {
				r = httptest.NewRequest(tt.method, tt.target, nil)
			}
			r.RemoteAddr = "203.0.113.9:4711"
			r.Host = "floor.example.com"
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			r.TLS = nil
			if tt.tls {
				r.TLS = &tls.ConnectionState{HandshakeComplete: true}
			}
			w, err := forward(t, c, 7, r)
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			if got := w.Header().Values("X-Answer"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
				t.Errorf("X-Answer %q", got)
			}
			if w.Header().Get("Connection") != "" {
				t.Errorf("hop-by-hop Connection passed on")
			}
			var s seen
			if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
				t.Fatal(err)
			}
			if s.Method != tt.method || s.URI != tt.target || s.Host != "floor.example.com" ||
				s.RemoteAddr != "203.0.113.9:4711" || !s.Forwarded || s.TLS != tt.tls || s.Account != 7 {
				t.Errorf("owner saw %+v", s)
			}
			if !bytes.Equal(s.Body, tt.body) || s.ContentLength != int64(len(tt.body)) {
				t.Errorf("owner saw a body of %d bytes (Content-Length %d), want %d", len(s.Body), s.ContentLength, len(tt.body))
			}
			for k, vs := range tt.header {
				switch k {
				case "Connection", "X-Hop", "Keep-Alive", "Te", HeaderNotOwner:
					if s.Header.Get(k) != "" {
						t.Errorf("%s passed on", k)
					}
				default:
					if strings.Join(s.Header[k], ",") != strings.Join(vs, ",") {
						t.Errorf("%s: %q, want %q", k, s.Header[k], vs)
					}
				}
			}
		})
	}
}

func TestLargeAnswerArrivesWhole(t *testing.T) {
	g := newRig(t, Config{})
	answer := make([]byte, 5<<20)
	_, _ = rand.Read(answer)
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		for b := answer; len(b) > 0; {
			n := min(len(b), 100_000) // writes that do not line up with chunks
			_, _ = w.Write(b[:n])
			b = b[n:]
		}
	}), nil), 1)
	c := g.client()
	// A real HTTP server in front, as the API's will be.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.Forward(r.Context(), 1, w, r); err != nil {
			panic(http.ErrAbortHandler)
		}
	}))
	defer front.Close()
	res, err := http.Get(front.URL + "/api/v1/reports/calls.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv" || !bytes.Equal(got, answer) {
		t.Fatalf("status %d, %s, %d bytes: not the answer", res.StatusCode, res.Header.Get("Content-Type"), len(got))
	}
	if st := c.Stats(); st.Answered != 1 || st.Latency.Count() != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestTooLargeIsRefusedUnsent(t *testing.T) {
	g := newRig(t, Config{MaxBody: 1000})
	// Nothing serves the account: a plain subscription counts what is sent.
	watch := natstest.Conn(t, "watch")
	var sent atomic.Int32
	sub, err := watch.Subscribe(Subject(g.cfg.Prefix, 3), func(*nats.Msg) { sent.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := watch.Flush(); err != nil {
		t.Fatal(err)
	}
	c := g.client()
	body := bytes.Repeat([]byte("x"), 1001)
	tests := []struct {
		name string
		r    *http.Request
	}{
		{"Content-Length", httptest.NewRequest("POST", "/import", bytes.NewReader(body))},
		{"no Content-Length", func() *http.Request {
			r := httptest.NewRequest("POST", "/import", io.MultiReader(bytes.NewReader(body)))
			r.ContentLength = -1
			return r
		}()},
		{"within a MaxBytesReader", func() *http.Request {
			r := httptest.NewRequest("POST", "/import", bytes.NewReader(body))
			r.ContentLength = -1
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 500)
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := forward(t, c, 3, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != http.StatusRequestEntityTooLarge || errorCode(t, w) != callfloor.ErrPayloadTooLarge {
				t.Fatalf("answer %d %s", w.Code, w.Body.String())
			}
		})
	}
	if err := watch.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d messages sent", n)
	}
	if st := c.Stats(); st.TooLarge != 3 {
		t.Errorf("TooLarge %d", st.TooLarge)
	}
}

func TestRetriesUntilAServerAppears(t *testing.T) {
	g := newRig(t, Config{})
	s := g.server(http.HandlerFunc(echo), nil)
	c := g.client()
	go func() {
		time.Sleep(200 * time.Millisecond)
		if err := s.Serve(9); err != nil {
			t.Error(err)
		}
	}()
	start := time.Now()
	w, err := forward(t, c, 9, httptest.NewRequest("POST", "/api/v1/floor/x", strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusCreated {
		t.Fatalf("answer %d %s", w.Code, w.Body.String())
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("answered after %v", d)
	}
	st := c.Stats()
	if st.NoResponders == 0 || st.Retries != st.NoResponders || st.Answered != 1 {
		t.Errorf("stats %+v", st)
	}
	// 10, 20, 40, 80, 160 ms waits: about six tries in 200 ms, never dozens.
	if st.Retries > 10 {
		t.Errorf("%d retries in 200 ms: the backoff does not grow", st.Retries)
	}
}

func TestStopLetsARequestFinish(t *testing.T) {
	g := newRig(t, Config{RetryFor: 200 * time.Millisecond})
	entered, release := make(chan struct{}), make(chan struct{})
	s := g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "done")
	}), nil)
	g.serve(s, 4)
	c := g.client()
	type result struct {
		w   *httptest.ResponseRecorder
		err error
	}
	answer := make(chan result, 1)
	go func() {
		w, err := forward(t, c, 4, httptest.NewRequest("POST", "/slow", nil))
		answer <- result{w, err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background(), 4) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a request ran", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	res := <-answer
	if res.err != nil || res.w.Code != 200 || res.w.Body.String() != "done" {
		t.Fatalf("answer %d %q, %v", res.w.Code, res.w.Body.String(), res.err)
	}
	// Nobody serves the account now.
	w, err := forward(t, c, 4, httptest.NewRequest("GET", "/slow", nil))
	if err != nil || w.Code != http.StatusServiceUnavailable || errorCode(t, w) != callfloor.ErrNotOwner {
		t.Fatalf("after Stop: %d %s, %v", w.Code, w.Body.String(), err)
	}
}

func TestNotOwnerIsRetriedOnTheNewOwner(t *testing.T) {
	apiNotOwner := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":{"code":"not_owner","message":"this node does not own account 5"}}`)
	}
	tests := []struct {
		name string
		old  http.HandlerFunc
		owns func(int64) bool
	}{
		{"an error of code not_owner", apiNotOwner, nil},
		{"the header", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(HeaderNotOwner, "1")
			w.WriteHeader(http.StatusConflict)
		}, nil},
		{"owns says no", func(w http.ResponseWriter, r *http.Request) {
			t.Error("the old owner ran the request")
		}, func(int64) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, Config{})
			var oldCalls atomic.Int32
			handedOver := make(chan struct{})
			var once sync.Once
			old := g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				oldCalls.Add(1)
				tt.old(w, r)
				once.Do(func() { close(handedOver) })
			}), tt.owns)
			if tt.owns != nil {
				old.owns = func(id int64) bool {
					oldCalls.Add(1)
					once.Do(func() { close(handedOver) })
					return false
				}
			}
			var newCalls atomic.Int32
			nu := g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				newCalls.Add(1)
				echo(w, r)
			}), nil)
			g.serve(old, 5)
			go func() {
				<-handedOver
				g.serve(nu, 5)
				if err := old.Stop(context.Background(), 5); err != nil {
					t.Error(err)
				}
			}()
			c := g.client()
			w, err := forward(t, c, 5, httptest.NewRequest("POST", "/api/v1/floor/agents/1/login", strings.NewReader(`{}`)))
			if err != nil || w.Code != http.StatusCreated {
				t.Fatalf("answer %d %s, %v", w.Code, w.Body.String(), err)
			}
			if oldCalls.Load() == 0 || newCalls.Load() != 1 {
				t.Errorf("old owner asked %d times, new one %d", oldCalls.Load(), newCalls.Load())
			}
			if st := c.Stats(); st.NotOwner == 0 || st.Answered != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestGivesUpAfterRetryFor(t *testing.T) {
	tests := []struct {
		name  string
		serve bool // by a node that is not the owner
	}{{"nobody serves", false}, {"the server is not the owner", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, Config{RetryFor: 300 * time.Millisecond})
			if tt.serve {
				g.serve(g.server(http.HandlerFunc(echo), func(int64) bool { return false }), 6)
			}
			c := g.client()
			start := time.Now()
			w, err := forward(t, c, 6, httptest.NewRequest("GET", "/x", nil))
			d := time.Since(start)
			if err != nil || w.Code != http.StatusServiceUnavailable || errorCode(t, w) != callfloor.ErrNotOwner {
				t.Fatalf("answer %d %s, %v", w.Code, w.Body.String(), err)
			}
			if d < 300*time.Millisecond || d > time.Second {
				t.Errorf("gave up after %v with RetryFor 300ms", d)
			}
			if st := c.Stats(); st.GaveUp != 1 || st.Retries == 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestAHungOwnerIsATimeout(t *testing.T) {
	g := newRig(t, Config{Timeout: 200 * time.Millisecond})
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
	}), nil), 8)
	c := g.client()
	start := time.Now()
	w, err := forward(t, c, 8, httptest.NewRequest("POST", "/x", strings.NewReader("{}")))
	d := time.Since(start)
	if err != nil || w.Code != http.StatusGatewayTimeout || errorCode(t, w) != callfloor.ErrOwnerTimeout {
		t.Fatalf("answer %d %s, %v", w.Code, w.Body.String(), err)
	}
	if d < 200*time.Millisecond || d > time.Second {
		t.Errorf("timed out after %v", d)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the owner ran it %d times", n)
	}
}

func TestACutAnswerAbortsTheConnection(t *testing.T) {
	g := newRig(t, Config{ChunkSize: 1000})
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 5000))
		panic("the report failed half-way")
	}), nil), 2)
	c := g.client()
	w, err := forward(t, c, 2, httptest.NewRequest("GET", "/report.csv", nil))
	if !errors.Is(err, ErrCut) || w.Code != 200 {
		t.Fatalf("answer %d, %v", w.Code, err)
	}
	// Through a Router, that is net/http's abort.
	rt := &Router{Client: c, Local: func(int64) bool { return false }}
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("Route panicked with %v", p)
			}
		}()
		rt.Route(httptest.NewRecorder(), httptest.NewRequest("GET", "/report.csv", nil), 2)
	}()
	// A failure before anything was written is an answer.
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}), nil), 12)
	w, err = forward(t, c, 12, httptest.NewRequest("GET", "/x", nil))
	if err != nil || w.Code != http.StatusBadGateway || errorCode(t, w) != callfloor.ErrInternal {
		t.Fatalf("answer %d %s, %v", w.Code, w.Body.String(), err)
	}
}

func TestRouter(t *testing.T) {
	g := newRig(t, Config{})
	g.serve(g.server(http.HandlerFunc(echo), nil), 1)
	rt := &Router{Client: g.client(), Local: func(id int64) bool { return id == 2 }}
	tests := []struct {
		name      string
		account   int64
		forwarded bool
		handled   bool
	}{
		{"another node's account", 1, false, true},
		{"this node's account", 2, false, false},
		{"a forwarded request", 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			if tt.forwarded {
				r = r.WithContext(WithForwarded(r.Context()))
			}
			w := httptest.NewRecorder()
			if got := rt.Route(w, r, tt.account); got != tt.handled {
				t.Fatalf("handled %v", got)
			}
			if tt.handled && w.Code != 200 {
				t.Errorf("answer %d %s", w.Code, w.Body.String())
			}
		})
	}
	if (&Router{Client: rt.Client}).Route(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), 1) {
		t.Error("a Router without Local forwarded")
	}
}

// TestTimeoutOnTheClock: the client's Timeout runs on its Clock, to the
// nanosecond.
func TestTimeoutOnTheClock(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	g := newRig(t, Config{Clock: clock})
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}), nil), 8)
	c := g.client()
	answer := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		w, _ := forward(t, c, 8, httptest.NewRequest("POST", "/x", strings.NewReader("{}")))
		answer <- w
	}()
	<-entered
	for clock.Timers() != 1 {
		time.Sleep(time.Millisecond)
	}
	clock.Advance(defaultTimeout - time.Nanosecond)
	if clock.Fired() != 0 {
		t.Fatal("the timeout fired early")
	}
	clock.Advance(time.Nanosecond)
	w := <-answer
	if w.Code != http.StatusGatewayTimeout || errorCode(t, w) != callfloor.ErrOwnerTimeout {
		t.Fatalf("answer %d %s", w.Code, w.Body.String())
	}
}

func TestManyAtOnce(t *testing.T) {
	g := newRig(t, Config{})
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, r.Body)
	}), nil), 1)
	c := g.client()
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.Repeat(string(rune('a'+i%26)), i*100)
			w, err := forward(t, c, 1, httptest.NewRequest("POST", "/echo", strings.NewReader(body)))
			if err != nil || w.Code != 200 || w.Body.String() != body {
				t.Errorf("request %d: %d, %d bytes, %v", i, w.Code, w.Body.Len(), err)
			}
		}()
	}
	wg.Wait()
	if st := c.Stats(); st.Answered != 100 {
		t.Errorf("stats %+v", st)
	}
}

func TestLargeHeaderFields(t *testing.T) {
	g := newRig(t, Config{ChunkSize: 512 << 10})
	big := strings.Repeat("v", 800<<10)
	answer := bytes.Repeat([]byte("0123456789"), 100<<10)
	g.serve(g.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", big) // too large to go with a chunk of body
		_, _ = w.Write(answer)
	}), nil), 1)
	c := g.client()
	w, err := forward(t, c, 1, httptest.NewRequest("GET", "/x", nil))
	if err != nil || w.Code != 200 || w.Header().Get("X-Big") != big || !bytes.Equal(w.Body.Bytes(), answer) {
		t.Fatalf("answer %d, %d bytes, %v", w.Code, w.Body.Len(), err)
	}
	// A request whose header fields alone are too large for a message.
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("X-Big", strings.Repeat(big, 2))
	w, err = forward(t, c, 1, r)
	if err != nil || w.Code != http.StatusRequestEntityTooLarge || errorCode(t, w) != callfloor.ErrPayloadTooLarge {
		t.Fatalf("answer %d %s, %v", w.Code, w.Body.String(), err)
	}
}
