package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/history"
	"github.com/callfloor/callfloor/mailer"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/webhook"
)

// Config is what a Server needs. Store is required; the rest has defaults.
type Config struct {
	Store callfloor.Store
	// Auth logs users in and checks tokens; nil builds one from Store,
	// Hasher and Clock.
	Auth *auth.Service
	// Hasher hashes the passwords an administrator sets; nil is
	// password.Default.
	Hasher *password.Hasher
	Clock  callfloor.Clock
	Logger *slog.Logger
	// SIPRealm is the digest realm of the SIP secrets the API sets; empty
	// is callfloor.DefaultSIPRealm.
	SIPRealm string
	// Version is the build version /healthz reports.
	Version string
	// Registry receives the HTTP metrics; nil makes a new one with the Go
	// and process collectors.
	Registry *prometheus.Registry
	// MetricsToken, when set, serves Registry at /metrics to requests
	// that bring it as a bearer token; empty, /metrics is not served here
	// (a separate listener may serve it, see cmd/callfloor).
	MetricsToken string
	// SecureCookies marks the session cookie Secure (serve over HTTPS).
	SecureCookies bool
	// Floor is the floor engine the agent and supervisor commands go to;
	// Hub is the event bus the realtime stream reads. Both are required.
	Floor *floor.Floor
	Hub   *bus.Hub
	// Phones tells which extensions' phones are registered (the SIP
	// registrar); nil shows every extension offline in the lookup.
	Phones Phones
	// Calls carries out the agents' in-call controls (the SIP B2BUA); nil
	// answers them with telephony_unavailable.
	Calls CallControl
	// Queues gives the queues' live figures (the ACD); nil answers
	// telephony_unavailable.
	Queues QueueFigures
	// Trunks reports the trunks' registrations (the SIP trunk client);
	// nil answers telephony_unavailable.
	Trunks TrunkRegistrations
	// BrowserPhone, if set, says where browser phones register (read on
	// each request: the listeners open after the API is made).
	BrowserPhone func() BrowserPhone
	// WebhookAllowPrivate lets the webhook buttons reach loopback and
	// private addresses (tests; an integrator inside the network), and
	// webhook endpoints be created at such addresses or plain http.
	WebhookAllowPrivate bool
	// Webhooks is the webhooks' delivery service, told when an endpoint
	// changes or has a message queued; nil leaves it to its own polling.
	Webhooks WebhookWaker
	// Previews is the dialler, which shows agents campaign leads; nil
	// answers the preview commands with telephony_unavailable.
	Previews Previews
	// Mail sends the automated reports; nil is a mailer.Sender with the
	// system's TLS roots.
	Mail *mailer.Sender
	// Simulate turns on the simulated telephony plane's endpoints, which
	// let a test or a demo script report call events.
	Simulate bool
	// Cluster, on a cluster node, serves the requests of the accounts
	// another node owns there; nil on a single server.
	Cluster Cluster
}

// Cluster is the API's way to the other nodes of a cluster, where each
// account's floor runs on the one node that owns it.
type Cluster interface {
	// Route answers w with what the account's owner answers r, and
	// returns true; false means this node serves r itself (it owns the
	// account, or r was forwarded to it by another node). a is whom this
	// node authenticated r as: the owner takes its word (Vouched).
	Route(w http.ResponseWriter, r *http.Request, a callfloor.Actor) bool
	// Vouched is whom the node that forwarded r authenticated it as;
	// false for a request that did not come from another node.
	Vouched(r *http.Request) (callfloor.Actor, bool)
	// AgentViews are the account's agents (those in only; nil: all) as
	// its owner's floor has them, with the sequence number they are at.
	AgentViews(ctx context.Context, accountID int64, only []int64) (int64, []AgentView, error)
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	store        callfloor.Store
	auth         *auth.Service
	hasher       *password.Hasher
	clock        callfloor.Clock
	log          *slog.Logger
	realm        string
	version      string
	secure       bool
	registry     *prometheus.Registry
	metricsToken string
	metrics      *metrics
	cop          *http.CrossOriginProtection
	openapi      []byte
	mux          *http.ServeMux
	floor        *floor.Floor
	hub          *bus.Hub
	history      *history.Projector
	streams      streams
	simulate     bool
	phones       Phones
	calls        CallControl
	queues       QueueFigures
	previews     Previews
	webhooks     *webhook.Client
	// webhookWaker and webhookAllowPrivate are the webhook endpoints'.
	webhookWaker        WebhookWaker
	webhookAllowPrivate bool
	trunks              TrunkRegistrations
	browserPhone        func() BrowserPhone
	mail                *mailer.Sender
	cluster             Cluster
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Store == nil {
		panic("api: Config.Store is required")
	}
	s := &Server{
		store: cfg.Store, auth: cfg.Auth, hasher: cfg.Hasher, clock: cfg.Clock, log: cfg.Logger,
		realm: cfg.SIPRealm, version: cfg.Version, secure: cfg.SecureCookies, registry: cfg.Registry, metricsToken: cfg.MetricsToken,
		cop:   http.NewCrossOriginProtection(),
		floor: cfg.Floor, hub: cfg.Hub, simulate: cfg.Simulate, phones: cfg.Phones,
		calls: cfg.Calls, queues: cfg.Queues, trunks: cfg.Trunks, browserPhone: cfg.BrowserPhone, previews: cfg.Previews,
		webhooks:     webhook.NewClient(5*time.Second, cfg.WebhookAllowPrivate),
		webhookWaker: cfg.Webhooks, webhookAllowPrivate: cfg.WebhookAllowPrivate,
		history: history.New(cfg.Store), cluster: cfg.Cluster,
	}
	if s.hasher == nil {
		s.hasher = password.New(password.Default)
	}
	if s.clock == nil {
		s.clock = callfloor.SystemClock{}
	}
	if s.mail = cfg.Mail; s.mail == nil {
		s.mail = &mailer.Sender{Clock: s.clock}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.realm == "" {
		s.realm = callfloor.DefaultSIPRealm
	}
	if s.auth == nil {
		s.auth = auth.NewService(auth.Config{Store: s.store, Hasher: s.hasher, Clock: s.clock, Logger: s.log})
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
		s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.metrics = newMetrics(s.registry)
	doc, err := json.MarshalIndent(openAPIDocument(routeTable()), "", "  ")
	if err != nil {
		panic(fmt.Sprintf("api: OpenAPI document: %v", err))
	}
	s.openapi = append(doc, '\n')
	s.mux = s.newMux()
	return s
}

// requestInfo is what the handlers learn about a request that the access
// log and the metrics need: filled in as the request goes.
type requestInfo struct {
	route string
	actor callfloor.Actor
	// forwarded: the account's owner answered (a cluster node).
	forwarded bool
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// ServeHTTP recovers panics, logs every request (never its body, tokens or
// cookies) and counts it in the metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	rec := &recorder{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "method", r.Method, "route", info.route,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.writeError(rec, r, errorf(callfloor.ErrInternal, "panic"))
			}
		}
		s.observe(r, info, rec.statusCode(), time.Since(start))
	}()
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) observe(r *http.Request, info *requestInfo, status int, d time.Duration) {
	route := info.route
	if route == "" {
		route = "unmatched"
	}
	s.metrics.observe(route, status, d)
	level := slog.LevelInfo
	if route == "GET /healthz" || route == "GET /metrics" {
		level = slog.LevelDebug
	}
	s.log.LogAttrs(r.Context(), level, "http request",
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("account", info.actor.AccountID),
		slog.Int64("user", info.actor.UserID))
}

// recorder remembers the status a handler sent.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (rw *recorder) WriteHeader(code int) {
	if !rw.wrote {
		rw.status, rw.wrote = code, true
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.status, rw.wrote = http.StatusOK, true
	}
	return rw.ResponseWriter.Write(b)
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func (rw *recorder) statusCode() int {
	if !rw.wrote {
		return http.StatusOK
	}
	return rw.status
}

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}
