package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/baresiptest"
	"github.com/callfloor/callfloor/internal/sipptest"
	"github.com/callfloor/callfloor/internal/smtptest"
	"github.com/callfloor/callfloor/internal/syncbuf"
	"github.com/callfloor/callfloor/webhook"
)

// TestBrowserJourneys runs the web app's journeys, ui/e2e/*.journey.mjs:
// each is a Node program that drives Debian's Chromium with Playwright
// against a demo server of its own, started here on free ports with the
// simulated carrier as the customers and baresip softphones (answering at
// once) as the agents' phones. A journey asks this rig for what happens
// on the telephony side (a customer calls a number) over a small HTTP
// API whose address it gets in RIG_URL.
func TestBrowserJourneys(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journeys are long")
	}
	node, chromium := need(t, "node"), need(t, "chromium")
	ui, err := filepath.Abs(filepath.Join("..", "..", "ui"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ui, "node_modules", "playwright-core")); err != nil {
		missing(t, "the web app's npm packages are not installed: run scripts/setup test")
	}
	pattern := "*.journey.mjs"
	if p := os.Getenv("JOURNEYS"); p != "" {
		pattern = p // e.g. JOURNEYS=calls.journey.mjs runs one
	}
	journeys, _ := filepath.Glob(filepath.Join(ui, "e2e", pattern))
	if len(journeys) == 0 {
		t.Fatal("no journeys in ui/e2e")
	}
	shots := filepath.Join(ui, "e2e", "artifacts")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	mic := writeMicrophone(t)
	for _, j := range journeys {
		name := strings.TrimSuffix(filepath.Base(j), ".journey.mjs")
		t.Run(name, func(t *testing.T) {
			rig := startRig(t)
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			out := &syncbuf.Buffer{}
			cmd := exec.CommandContext(ctx, node, j)
			cmd.Dir = ui
			cmd.Stdout, cmd.Stderr = out, out
			cmd.Env = append(os.Environ(),
				"CALLFLOOR_URL="+rig.m.URL(), "RIG_URL="+rig.url, "CHROMIUM="+chromium,
				"SHOTS_DIR="+shots, "DEMO_PASSWORD="+rig.password,
				"FAKE_MIC="+mic, fmt.Sprintf("MIC_TONE=%d", micTone))
			err := cmd.Run()
			t.Logf("journey %s:\n%s", name, out.String())
			if err != nil {
				t.Fatalf("journey %s failed: %v", name, err)
			}
		})
	}
}

// need finds a program: missing, the test fails under CI (where
// scripts/setup installs it) and is skipped elsewhere.
func need(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		missing(t, prog+" is not installed: run scripts/setup test")
	}
	return p
}

func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// journeyRig is one journey's demo server, its phones and the HTTP API
// the journey drives the telephony side with.
type journeyRig struct {
	m        *Main
	d        *demoRun
	url      string
	password string
	phones   map[string]*baresiptest.Phone
	// hooks are the webhook requests the rig's /hook received.
	hookMu sync.Mutex
	hooks  []map[string]string
	// smtp is the mail server a journey points automated reports at.
	smtp *smtptest.Server
	// integrator is what the rig's /integrator received: an integrated
	// system webhook's raw body and Standard Webhooks headers.
	integrator []map[string]string
}

// startRig starts the demo with no scheduled carrier calls and a baresip
// phone, answering at once, for agents 3 and 4 (203, 204). Reception
// (210), a participant of both queues, has no phone, so the queues'
// calls go to the agents.
func startRig(t *testing.T) *journeyRig {
	t.Helper()
	baresiptest.Path(t)
	cfg := demoConfig(t, fmt.Sprintf("127.0.0.1:%d", sipptest.FreePort(t)), 0)
	cfg.SIPWS = "127.0.0.1:0"      // agents 1 and 2 use the page as their phone
	cfg.WebhookAllowPrivate = true // the rig's /hook receives webhook buttons
	m, d, _, err := runDemo(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &journeyRig{m: m, d: d, password: cfg.DemoPassword, phones: map[string]*baresiptest.Phone{},
		smtp: smtptest.Start(t, smtptest.Options{})}
	// The demo's campaign waits on hold: a journey that wants its leads
	// takes it off hold (POST /campaign).
	setDemoCampaigns(t, m, "", false, 0)
	exts := demoExtensions(t, m)
	for _, num := range []string{"203", "204"} {
		r.phones[num] = baresiptest.New(t, baresiptest.Options{User: exts[num].SIPUsername, Password: cfg.DemoPassword,
			Registrar: m.SIPAddr(), AutoAnswer: true})
	}
	waitFor(t, 10*time.Second, func() (bool, string) {
		for num, p := range r.phones {
			if ok, err := p.Registered(context.Background()); !ok {
				return false, fmt.Sprintf("phone %s not registered: %v", num, err)
			}
		}
		return true, ""
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: r.handler(t), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	r.url = "http://" + ln.Addr().String()
	return r
}

// handler is the rig's API:
//
//	POST /call   {"did":"442079460600","from":"+441632960042"}  the carrier calls a DID
//	POST /phone  {"ext":"204","do":"hangup"}                     a phone hangs up
//	GET  /carrier                                                the carrier's media and digits
//	GET  /agent?ext=204                                          the floor's view of an agent: state, phone_ready
//	POST /campaign {"type":"preview","active":true,"preview_seconds":60}
//	                                                             the demo's campaigns of a type (any, without) off hold or on, the countdown
//	POST /hook, GET /hook                                        a webhook receiver, and what it received (verified or why not)
//	GET  /phone?ext=204&freq=1400                                what a phone hears: the level of freq
//	GET  /mail                                                   the rig's SMTP server's address, and the messages it took
//	POST /integrator, GET /integrator                            an integrator's webhook receiver, and the raw messages it got
func (r *journeyRig) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /call", func(w http.ResponseWriter, req *http.Request) {
		var in struct{ DID, From string }
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := r.d.Carrier.Place(in.DID, in.From, 10*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		t.Logf("rig: the carrier calls %s from %s", in.DID, in.From)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /phone", func(w http.ResponseWriter, req *http.Request) {
		var in struct{ Ext, Do string }
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := r.phones[in.Ext]
		if p == nil || in.Do != "hangup" {
			http.Error(w, "no such phone or action", http.StatusNotFound)
			return
		}
		if err := p.Hangup(req.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /carrier", func(w http.ResponseWriter, req *http.Request) {
		// What the simulated carrier's customers sent and received.
		s := r.d.Carrier.Stats()
		json.NewEncoder(w).Encode(map[string]any{"rtp_received": s.RTPReceived, "rtp_sent": s.RTPSent,
			"digits": s.LastDigits, "active": s.Active})
	})
	mux.HandleFunc("GET /phone", func(w http.ResponseWriter, req *http.Request) {
		// How loud freq is in the last second a phone received, on the
		// scale of baresiptest.ToneLevel.
		p := r.phones[req.URL.Query().Get("ext")]
		freq, err := strconv.ParseFloat(req.URL.Query().Get("freq"), 64)
		if p == nil || err != nil {
			http.Error(w, "no such phone, or no freq", http.StatusNotFound)
			return
		}
		a, err := p.Received()
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		last := a.Last(time.Second)
		json.NewEncoder(w).Encode(map[string]any{"level": last.Level(freq), "seconds": last.Duration().Seconds(),
			"heard_level": baresiptest.ToneLevel})
	})
	mux.HandleFunc("POST /campaign", func(w http.ResponseWriter, req *http.Request) {
		var in struct {
			Type           callfloor.CampaignType
			Active         bool
			PreviewSeconds int `json:"preview_seconds"`
		}
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		setDemoCampaigns(t, r.m, in.Type, in.Active, in.PreviewSeconds)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, req *http.Request) {
		// A webhook button's receiver: it checks the signature with the
		// campaign's secret, as an integrator's Standard Webhooks library
		// would, and keeps what it got for GET /hook.
		body, _ := io.ReadAll(req.Body)
		ctx := callfloor.SystemContext(context.Background(), 1)
		verified := "no campaign"
		list, _ := r.m.Store.ListCampaigns(ctx)
		for _, c := range list {
			if c.Name != demoCampaignName { // the button's campaign
				continue
			}
			verified = "verified"
			if err := webhook.Verify(c.WebhookSecret, req.Header, body, time.Now()); err != nil {
				verified = err.Error()
			}
		}
		r.hookMu.Lock()
		r.hooks = append(r.hooks, map[string]string{"body": string(body), "verified": verified})
		r.hookMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ticket":"T-1001"}`)
	})
	mux.HandleFunc("GET /hook", func(w http.ResponseWriter, req *http.Request) {
		r.hookMu.Lock()
		defer r.hookMu.Unlock()
		json.NewEncoder(w).Encode(append([]map[string]string{}, r.hooks...))
	})
	mux.HandleFunc("POST /integrator", func(w http.ResponseWriter, req *http.Request) {
		// An integrator's endpoint: it keeps the message as it came, for
		// the journey to verify with the Standard Webhooks reference
		// library (npm standardwebhooks).
		body, _ := io.ReadAll(req.Body)
		r.hookMu.Lock()
		r.integrator = append(r.integrator, map[string]string{"body": string(body),
			"webhook-id": req.Header.Get("webhook-id"), "webhook-timestamp": req.Header.Get("webhook-timestamp"),
			"webhook-signature": req.Header.Get("webhook-signature")})
		r.hookMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /integrator", func(w http.ResponseWriter, req *http.Request) {
		r.hookMu.Lock()
		defer r.hookMu.Unlock()
		json.NewEncoder(w).Encode(append([]map[string]string{}, r.integrator...))
	})
	mux.HandleFunc("GET /mail", func(w http.ResponseWriter, req *http.Request) {
		type message struct {
			From        string            `json:"from"`
			To          []string          `json:"to"`
			Subject     string            `json:"subject"`
			Text        string            `json:"text"`
			Attachments map[string]string `json:"attachments"`
		}
		out := struct {
			Host     string    `json:"host"`
			Port     int       `json:"port"`
			Messages []message `json:"messages"`
		}{Host: r.smtp.Host, Port: r.smtp.Port, Messages: []message{}}
		for _, env := range r.smtp.Messages() {
			m := message{From: env.From, To: env.To, Attachments: map[string]string{}}
			if p, err := smtptest.Parse(env.Data); err == nil {
				dec := new(mime.WordDecoder)
				m.Subject, _ = dec.DecodeHeader(p.Header.Get("Subject"))
				m.Text = p.Text
				for name, data := range p.Attachments {
					m.Attachments[name] = string(data)
				}
			} else {
				m.Text = "unreadable message: " + err.Error()
			}
			out.Messages = append(out.Messages, m)
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /agent", func(w http.ResponseWriter, req *http.Request) {
		// The floor's own view of an agent, for a journey to compare
		// with what the page shows.
		ext := demoExtensions(t, r.m)[req.URL.Query().Get("ext")]
		if ext == nil {
			http.Error(w, "no such extension", http.StatusNotFound)
			return
		}
		var state callfloor.AgentState
		phone := false
		_ = r.m.Floor.View(req.Context(), 1, func(s *floor.State, _ *floor.Config) {
			a := s.Agent(ext.ID)
			state, phone = a.State, a.PhoneRegistered
		})
		json.NewEncoder(w).Encode(map[string]any{"state": state, "phone_ready": phone})
	})
	return mux
}

// setDemoCampaigns sets the demo campaigns of type typ (any, when empty)
// active or on hold, and their preview countdown (0 leaves it), and
// reloads the floor.
func setDemoCampaigns(t *testing.T, m *Main, typ callfloor.CampaignType, active bool, previewSeconds int) {
	t.Helper()
	ctx := callfloor.SystemContext(context.Background(), 1)
	list, err := m.Store.ListCampaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if typ != "" && c.Type != typ {
			continue
		}
		if _, err := m.Store.UpdateCampaign(ctx, c.ID, func(c *callfloor.Campaign) error {
			c.Active = active
			if previewSeconds > 0 {
				c.PreviewSeconds = previewSeconds
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Floor.Reload(ctx, 1); err != nil {
		t.Fatal(err)
	}
}
