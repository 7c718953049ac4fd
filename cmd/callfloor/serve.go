package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/api"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/dispatch"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/memtrim"
	"github.com/callfloor/callfloor/media/relay"
	"github.com/callfloor/callfloor/password"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/reportsched"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/sip/trunk"
	"github.com/callfloor/callfloor/sipview"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
	"github.com/callfloor/callfloor/telephony"
	"github.com/callfloor/callfloor/web"
	"github.com/callfloor/callfloor/webhook/delivery"
	"github.com/callfloor/callfloor/webrtc"
)

// Main is one running server: its store, its floor engines, its event hub
// and its HTTP listener. Tests start
// the real program through it on port 0.
type Main struct {
	Config Config
	Logger *slog.Logger
	Clock  callfloor.TimerClock
	Hasher *password.Hasher

	Store callfloor.Store
	Floor *floor.Floor
	Hub   *bus.Hub
	// journal merges the engines' appends into shared transactions.
	journal *floor.GroupWriter
	// Registrar holds the SIP registrations, on sipUDP and sipTCP.
	Registrar *registrar.Registrar
	// view answers the SIP plane's look-ups from memory; stopView ends
	// its reloads and its PostgreSQL listener.
	view     *sipview.View
	stopView func()
	calls    *b2bua.B2BUA
	link     *telephony.Link
	// acd routes the queues' callers; the floor's publisher reads it
	// from its own goroutine.
	acd atomic.Pointer[dispatch.Dispatcher]
	// Trunks keeps the registration trunks registered with carriers,
	// and carriers keeps their addresses for the registrar to trust.
	Trunks    *trunk.Client
	carriers  trunk.Sources
	stopWatch func()
	// dialer works the campaigns; stopDialer ends it.
	dialer     *dialer.Dialer
	stopDialer func()
	// stopReports ends the automated reports' scheduler.
	stopReports func()
	// stopTrim ends the memory trimmer.
	stopTrim func()
	// stopIndex ends the journal's indexing by extension.
	stopIndex func()
	// webhooks delivers the integrated system webhooks from the journal;
	// the floor's publisher reads it from its own goroutine.
	webhooks atomic.Pointer[delivery.Service]
	sipUDP   net.PacketConn
	sipTCP   net.Listener
	sipWS    net.Listener
	sipTLS   net.Listener
	sipWSS   net.Listener
	ln       net.Listener
	srv      *http.Server
	// metricsLn and metricsSrv serve the metrics on their own address.
	metricsLn  net.Listener
	metricsSrv *http.Server
	// webrtc carries the media of browser phones.
	webrtc *webrtc.Endpoint
	// cluster is set on a node of a cluster (Config.NATS; cluster.go).
	cluster *clusterNode
}

// NewMain returns a Main for cfg with the production clock and hasher.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, Clock: callfloor.SystemClock{}, Hasher: password.New(password.Default)}
}

// Open opens the store and the HTTP listener; it does not serve yet.
func (m *Main) Open(ctx context.Context) error {
	st, err := openStore(ctx, m.Config, sqlstore.Options{Clock: m.Clock, Logger: m.Logger})
	if err != nil {
		return err
	}
	m.Store = st
	if err := m.openView(ctx, st); err != nil {
		m.Close()
		return err
	}
	// The realtime stream keeps the last 100,000 events of each account
	// for clients that reconnect; a client that falls 10,000 behind is
	// dropped and resynchronises.
	m.Hub = bus.NewHub(100000, 10000)
	if m.Config.NATS != "" {
		if err := m.connectCluster(ctx); err != nil {
			m.Close()
			return err
		}
	}
	clustered := m.cluster != nil
	m.journal = floor.NewGroupWriter(st)
	m.Floor = floor.New(floor.FloorConfig{
		// A cluster node runs only the accounts it owns; the calls of
		// an account it takes over were carried by a node that is gone.
		Owned: clustered, LostReason: lostReason(clustered),
		Journal: m.journal, Snapshots: st,
		Phones: func(acc, ext int64) floor.Phone {
			if m.Registrar == nil {
				return floor.Phone{}
			}
			soft, browser := m.Registrar.Kinds(acc, ext)
			return floor.Phone{Softphone: soft, Browser: browser}
		},
		// The simulated telephony plane plays the phones: no registration.
		RequirePhone: !m.Config.Simulate, Clock: m.Clock, Logger: m.Logger, Publish: m.publish,
		LoadConfig: floor.StoreConfig(st),
	})
	// A single server runs every account; a cluster node's placer takes
	// its share once it serves.
	if !clustered {
		var ids []int64
		if ids, err = m.accountIDs(ctx); err == nil {
			err = m.Floor.StartAll(ctx, ids)
		}
	}
	if err != nil {
		m.Close()
		return fmt.Errorf("starting the floor: %w", err)
	}
	if err := m.openSIP(); err != nil {
		m.Close()
		return err
	}
	m.startDialer()
	authSvc := auth.NewService(auth.Config{
		Store: st, Hasher: m.Hasher, Clock: m.Clock, SessionTTL: m.Config.SessionTTL, Logger: m.Logger,
	})
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if m.Config.MetricsListen != "" {
		mln, err := net.Listen("tcp", m.Config.MetricsListen)
		if err != nil {
			m.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		m.metricsLn = mln
		// The metrics' own address also serves Go's profiles
		// (/debug/pprof/), for an operator chasing memory or CPU; the
		// API's address never does.
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		m.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	hooks := delivery.New(delivery.Config{Store: st, Clock: m.Clock, Logger: m.Logger,
		AllowPrivate: m.Config.WebhookAllowPrivate, Timeout: m.Config.WebhookTimeout, Lease: m.Config.WebhookLease, Publish: m.publishLive, Registry: registry})
	m.webhooks.Store(hooks)
	var cluster api.Cluster
	if clustered {
		cluster = newClusterAPI(m.cluster, m.Floor.Runs)
	}
	handler := api.New(api.Config{
		Cluster: cluster, Registry: registry, MetricsToken: m.Config.MetricsToken,
		Store: st, Auth: authSvc, Hasher: m.Hasher, Clock: m.Clock, Logger: m.Logger,
		SIPRealm: m.Config.SIPRealm, Version: buildVersion(), SecureCookies: m.Config.SecureCookies,
		Floor: m.Floor, Hub: m.Hub, Simulate: m.Config.Simulate, Phones: m.Registrar,
		Calls: m.callControl(), Queues: m.queueFigures(), Trunks: m.trunkRegistrations(),
		BrowserPhone: m.browserPhone, Previews: m.dialer, WebhookAllowPrivate: m.Config.WebhookAllowPrivate,
		Webhooks: hooks,
	})
	m.startReports(handler)
	m.startTrim()
	if ix, ok := m.Store.(journalIndexer); ok {
		var owned func() []int64
		if c := m.cluster; c != nil {
			owned = c.ownedIDs
		}
		m.stopIndex = indexJournals(ix, owned, m.Logger)
	}
	hooks.Start()
	ln, err := net.Listen("tcp", m.Config.HTTP)
	if err != nil {
		m.Close()
		return fmt.Errorf("http listener: %w", err)
	}
	m.ln = ln
	var webOpts web.Options
	webOpts.ConnectSources = func() []string {
		// The page phone's socket is on another port, so another origin.
		u, err := url.Parse(m.browserPhone().WebSocketURL)
		if err != nil || u.Host == "" {
			return nil
		}
		return []string{u.Scheme + "://" + u.Host}
	}
	if m.Config.UIDev != "" {
		webOpts.DevURL, _ = url.Parse(m.Config.UIDev) // checked when the setting was read
	}
	m.srv = &http.Server{
		Handler:           web.Handler(handler, webOpts),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	if clustered {
		if err := m.startCluster(ctx, handler); err != nil {
			m.Close()
			return err
		}
	}
	return nil
}

// lostReason is the end reason of the calls an engine finds at its start
// that no telephony plane here carries.
func lostReason(clustered bool) string {
	if clustered {
		return "node_lost"
	}
	return "lost"
}

// owns is nil on a single server, which runs every account; a cluster
// node's tells the accounts whose floor runs here.
func (m *Main) owns() func(int64) bool {
	if m.cluster == nil {
		return nil
	}
	return m.Floor.Runs
}

// openSIP starts the registrar on UDP and TCP at the same address, and
// on TLS, WebSocket and secure WebSocket when configured.
func (m *Main) openSIP() error {
	var tlsConf *tls.Config
	if m.Config.SIPTLS != "" || m.Config.SIPWSS != "" {
		// The error names the files, never what they hold.
		cert, err := tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey)
		if err != nil {
			return fmt.Errorf("sip tls certificate (tls-cert %s, tls-key %s): %w", m.Config.TLSCert, m.Config.TLSKey, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	keepalive := m.Config.SIPKeepalive
	if keepalive == 0 {
		keepalive = -1 // off
	}
	var nonceKey []byte // random: a single server's nonces need not outlive it
	if m.cluster != nil {
		// A challenge one node sent may be answered to another (the
		// proxy moved the account meanwhile): the nodes share the key.
		secret, err := loadSecretKey(m.Config)
		if err != nil {
			return err
		}
		nonceKey = sipNonceKey(secret)
	}
	r, err := registrar.New(registrar.Config{Store: m.view, Realm: m.Config.SIPRealm, Clock: m.Clock, Logger: m.Logger, NonceKey: nonceKey,
		Keepalive: keepalive, Algorithms: m.Config.SIPDigest,
		RequestRate: m.Config.SIPRate, RequestBurst: m.Config.SIPBurst,
		MaxAuthFailures: m.Config.SIPBanFailures, BanTime: m.Config.SIPBanTime,
		Allow: m.Config.SIPAllow, Trusted: m.carriers.Contains, Owns: m.owns()})
	if err != nil {
		return fmt.Errorf("sip registrar: %w", err)
	}
	m.Registrar = r
	// With port 0 the UDP port the system picks may be taken for TCP:
	// try another pair then.
	_, port, _ := net.SplitHostPort(m.Config.SIP)
	for attempt := 0; ; attempt++ {
		if m.sipUDP, err = net.ListenPacket("udp", m.Config.SIP); err != nil {
			return fmt.Errorf("sip udp listener: %w", err)
		}
		// Bursts of calls overflow the default receive buffer (about
		// 200 KB), dropping INVITEs into retransmissions; the kernel caps
		// this at net.core.rmem_max.
		if u, ok := m.sipUDP.(*net.UDPConn); ok {
			_ = u.SetReadBuffer(8 << 20)
		}
		if m.sipTCP, err = net.Listen("tcp", m.sipUDP.LocalAddr().String()); err == nil {
			break
		}
		m.sipUDP.Close()
		m.sipUDP, m.sipTCP = nil, nil
		if port != "0" || attempt == 10 {
			return fmt.Errorf("sip tcp listener: %w", err)
		}
	}
	// The stream listeners open before the B2BUA, which puts their
	// addresses in its Contact for dialogs over them.
	if m.Config.SIPWS != "" {
		if m.sipWS, err = net.Listen("tcp", m.Config.SIPWS); err != nil {
			return fmt.Errorf("sip websocket listener: %w", err)
		}
	}
	if m.Config.SIPTLS != "" {
		if m.sipTLS, err = net.Listen("tcp", m.Config.SIPTLS); err != nil {
			return fmt.Errorf("sip tls listener: %w", err)
		}
	}
	if m.Config.SIPWSS != "" {
		if m.sipWSS, err = net.Listen("tcp", m.Config.SIPWSS); err != nil {
			return fmt.Errorf("sip secure websocket listener: %w", err)
		}
	}
	if err := m.openCalls(); err != nil {
		return err
	}
	go r.ServeUDP(m.sipUDP)
	go r.ServeTCP(m.sipTCP)
	// Trunks register once the socket they send from is served (their
	// answers come back to it).
	if err := m.Trunks.Reload(context.Background()); err != nil {
		m.Logger.Warn("trunk registrations not started", "err", err)
	}
	if m.sipWS != nil {
		go r.ServeWS(m.sipWS)
	}
	if m.sipTLS != nil {
		go r.ServeTLS(m.sipTLS, tlsConf)
	}
	if m.sipWSS != nil {
		go r.ServeWSS(m.sipWSS, tlsConf)
	}
	// Registrations reach the floor: an agent's view shows its phone.
	changes, stop := r.Watch()
	m.stopWatch = stop
	go func() {
		for ch := range changes {
			in := floor.Phone{Ext: ch.ExtensionID, Softphone: ch.Softphone, Browser: ch.Browser}
			if _, err := m.Floor.Do(context.Background(), ch.AccountID, in); err != nil {
				m.Logger.Warn("phone status not recorded", "account", ch.AccountID, "ext", ch.ExtensionID, "err", err)
			}
		}
	}()
	return nil
}

// openCalls starts the B2BUA on the registrar's sockets, with the floor
// deciding who may ring and call.
func (m *Main) openCalls() error {
	addr := m.sipUDP.LocalAddr().(*net.UDPAddr)
	ip, _ := netip.AddrFromSlice(addr.IP)
	m.link = telephony.NewLink(m.Floor, m.Logger)
	phones := &laterB2BUA{}
	acd := dispatch.New(dispatch.Config{
		Floor: m.Floor, Phones: phones, Registered: m.Registrar.Registered,
		Extension: func(ctx context.Context, accountID, id int64) (*callfloor.Extension, error) {
			return m.view.FindExtensionByID(callfloor.SystemContext(ctx, accountID), id)
		},
		Journal: m.Store, Publish: m.publishLive, Clock: m.Clock, Logger: m.Logger,
	})
	m.acd.Store(acd)
	if err := m.openWebRTC(ip.Unmap()); err != nil {
		return err
	}
	b, err := b2bua.New(b2bua.Config{
		Registrar: m.Registrar,
		FindExtensionByNumber: func(ctx context.Context, accountID int64, number string) (*callfloor.Extension, error) {
			return m.view.FindExtensionByNumber(callfloor.SystemContext(ctx, accountID), number)
		},
		Contact:   sip.Uri{Scheme: "sip", Host: addr.IP.String(), Port: addr.Port},
		Listeners: m.sipListeners(addr.IP.String()),
		WebRTC:    m.webrtc,
		SendFrom:  addr.String(),
		MediaIP:   ip.Unmap(),
		Ports:     relay.Ports{Min: m.Config.RTPPorts.Min, Max: m.Config.RTPPorts.Max},
		Admit:     m.link.Admit,
		OnEvent: func(ev b2bua.Event) {
			m.link.OnEvent(ev)
			acd.OnCallEvent(ev)
		},
		Trunks:         &telephony.Trunks{Directory: m.view},
		Queues:         acd,
		Logger:         m.Logger,
		MediaTimeout:   offIfZero(m.Config.MediaTimeout),
		BrowserGrace:   m.Config.PagePhoneGrace,
		SessionExpires: offIfZero(m.Config.SIPSessionExpires),
	})
	if err != nil {
		return fmt.Errorf("sip calls: %w", err)
	}
	m.calls = b
	phones.B2BUA = b
	// Registration trunks register with their carriers; trunk changes
	// made through the API are picked up within a poll, and so are the
	// carriers' addresses the registrar trusts.
	tc, err := trunk.New(trunk.Config{Trunks: m.Store, Contact: sip.Uri{Scheme: "sip", Host: addr.IP.String(), Port: addr.Port},
		UserAgent: m.Registrar.UserAgent(), SendFrom: addr.String(), Clock: m.Clock, Logger: m.Logger,
		PollInterval: 30 * time.Second, Sources: &m.carriers, Owns: m.owns()})
	if err != nil {
		return fmt.Errorf("sip trunks: %w", err)
	}
	m.Trunks = tc
	return nil
}

// startDialer starts the campaigns' dialler. It places its calls through
// the B2BUA; with the simulated telephony plane, the simulation reports
// them instead.
func (m *Main) startDialer() {
	var phones dialer.Phones
	if !m.Config.Simulate && m.calls != nil {
		phones = m.calls
	}
	m.dialer = dialer.New(dialer.Config{Store: m.Store, Floor: m.Floor, Phones: phones, Journal: m.Store, Clock: m.Clock, Logger: m.Logger, Owns: m.owns()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.dialer.Run(ctx)
	}()
	m.stopDialer = func() {
		cancel()
		<-done
		m.dialer.Wait() // the power calls in progress, canceled
	}
}

// publish sends the floor's events to the realtime hub, tells the ACD
// of agents becoming free and wakes the account's webhook workers (the
// events are journaled already; nothing here waits for a webhook).
func (m *Main) publish(evs []callfloor.Event) {
	if c := m.cluster; c != nil {
		c.catchUp(m, evs)
	}
	m.Hub.Publish(evs)
	if c := m.cluster; c != nil {
		c.pub.Publish(evs) // to the other nodes' hubs
	}
	if w := m.webhooks.Load(); w != nil {
		w.Notify(evs)
	}
	if d := m.acd.Load(); d != nil {
		d.OnFloorEvents(evs)
	}
}

// publishLive sends live figures (queue.stats, webhook notices) to the
// realtime hub, and on a cluster node to the other nodes' hubs too.
func (m *Main) publishLive(evs []callfloor.Event) {
	m.Hub.PublishLive(evs)
	if c := m.cluster; c != nil {
		c.pub.PublishLive(evs)
	}
}

// laterB2BUA is the ACD's way to the B2BUA, which is made after the ACD
// (each needs the other); it is set before SIP is served.
type laterB2BUA struct{ *b2bua.B2BUA }

// callControl is the API's way to the in-call controls: none in
// simulation mode, where the simulated plane reports calls instead.
func (m *Main) callControl() api.CallControl {
	if m.Config.Simulate || m.calls == nil {
		return nil
	}
	return settledCalls{m.calls, m.link}
}

// settledCalls are the B2BUA's controls, answered once the call events
// they caused are on the floor (so the answer shows the state after them).
type settledCalls struct {
	*b2bua.B2BUA
	link *telephony.Link
}

func (c settledCalls) Settle(ctx context.Context) error { return c.link.Settle(ctx) }

// queueFigures is the API's way to the queues' live figures.
func (m *Main) queueFigures() api.QueueFigures {
	if d := m.acd.Load(); d != nil {
		return d
	}
	return nil
}

// trunkRegistrations is the API's way to the trunks' registrations.
func (m *Main) trunkRegistrations() api.TrunkRegistrations {
	if m.Trunks == nil {
		return nil
	}
	return trunkStatus{m.Trunks}
}

// trunkStatus gives the API an account's share of the trunk client's
// registrations.
type trunkStatus struct{ c *trunk.Client }

func (t trunkStatus) Registrations(account int64) []callfloor.TrunkStatus {
	var out []callfloor.TrunkStatus
	for _, s := range t.c.Status() {
		if s.AccountID == account {
			out = append(out, s.TrunkStatus)
		}
	}
	return out
}

// SIPAddr is the address the SIP registrar listens on.
func (m *Main) SIPAddr() string { return m.sipUDP.LocalAddr().String() }

// Addr is the address the HTTP server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// URL is the base URL of the HTTP server.
func (m *Main) URL() string { return "http://" + m.Addr() }

// Run serves HTTP until ctx is done, then shuts down gracefully.
func (m *Main) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	m.Logger.Info("serving", "http", m.URL())
	if m.metricsSrv != nil {
		go func() {
			if err := m.metricsSrv.Serve(m.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.Logger.Error("metrics listener stopped", "err", err)
			}
		}()
		m.Logger.Info("serving metrics", "addr", m.metricsLn.Addr().String())
		defer m.metricsSrv.Close()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startReports runs the automated reports' scheduler, which mails the
// reports through the API's renderer.
func (m *Main) startReports(deliver reportsched.Deliverer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s := &reportsched.Scheduler{Store: m.Store, Deliver: deliver, Clock: m.Clock, Logger: m.Logger}
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	m.stopReports = func() {
		cancel()
		<-done
	}
}

// startTrim gives the memory a burst of calls freed back to the system
// once the burst is over (see internal/memtrim).
func (m *Main) startTrim() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t := memtrim.New(memtrim.Config{Logger: m.Logger})
	go func() {
		defer close(done)
		t.Run(ctx, m.Clock)
	}()
	m.stopTrim = func() {
		cancel()
		<-done
	}
}

// Close stops SIP and the floor and releases the store.
func (m *Main) Close() error {
	if m.stopTrim != nil {
		m.stopTrim()
	}
	if m.stopReports != nil {
		m.stopReports()
	}
	if m.stopIndex != nil {
		m.stopIndex()
	}
	if w := m.webhooks.Load(); w != nil {
		w.Stop()
	}
	if m.stopDialer != nil {
		m.stopDialer()
	}
	if m.Trunks != nil {
		m.Trunks.Close()
	}
	// The calls first: the callers still waiting are hung up, and the
	// ACD, still open, journals them as abandoned before it closes.
	if m.calls != nil {
		m.calls.Close()
	}
	if d := m.acd.Load(); d != nil {
		d.Close()
	}
	if m.link != nil {
		m.link.Close()
	}
	if m.webrtc != nil {
		m.webrtc.Close()
	}
	// The calls have ended (journaled while the node still owned their
	// accounts); the accounts go to the other nodes now.
	if m.cluster != nil {
		m.cluster.close(m)
	}
	if m.stopWatch != nil {
		m.stopWatch()
	}
	if m.Registrar != nil {
		m.Registrar.Close()
	}
	if m.sipUDP != nil {
		m.sipUDP.Close()
	}
	if m.sipTCP != nil {
		m.sipTCP.Close()
	}
	if m.sipWS != nil {
		m.sipWS.Close()
	}
	if m.sipTLS != nil {
		m.sipTLS.Close()
	}
	if m.sipWSS != nil {
		m.sipWSS.Close()
	}
	if m.Floor != nil {
		m.Floor.Close()
	}
	if m.journal != nil {
		m.journal.Close()
	}
	if m.stopView != nil {
		m.stopView()
	}
	if m.Store != nil {
		return m.Store.Close()
	}
	return nil
}

// viewReload is how often the SIP view reloads everything, in case a
// change was missed (see sipview).
const viewReload = 5 * time.Minute

// openView loads the SIP plane's view of st and keeps it current: st
// tells it of every change it commits, before the write returns; on
// PostgreSQL a listener tells it of the other servers' changes, and of a
// lost connection (which reloads everything); and it reloads every
// viewReload besides.
func (m *Main) openView(ctx context.Context, st *sqlstore.Store) error {
	v := sipview.New(st, m.Logger)
	// Watching before the first load: a change committed meanwhile is
	// applied after it (the view's loads run one at a time).
	st.OnChange(func(ch callfloor.Change) { v.Apply(context.Background(), ch) }) // a failure is logged there
	if err := v.Reload(ctx); err != nil {
		return fmt.Errorf("loading the SIP view: %w", err)
	}
	run, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { v.Run(run, m.Clock, viewReload) })
	if isPostgres(m.Config.Database) {
		l := &postgres.Listener{URL: m.Config.Database, Logger: m.Logger,
			Change: func(ch callfloor.Change) { v.Apply(run, ch) },
			Reset: func() {
				if err := v.Reload(run); err != nil && run.Err() == nil {
					m.Logger.Error("sip view reload failed", "err", err)
				}
			}}
		wg.Go(func() { l.Run(run) })
	}
	m.view = v
	m.stopView = func() {
		cancel()
		wg.Wait()
	}
	return nil
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// openStore opens the configured database with the secret key, and seals
// any trunk password still stored in clear.
func openStore(ctx context.Context, cfg Config, opts sqlstore.Options) (*sqlstore.Store, error) {
	var st *sqlstore.Store
	var err error
	switch {
	case cfg.Database == "":
		if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		if opts.SecretKey, err = loadSecretKey(cfg); err != nil {
			return nil, err
		}
		st, err = sqlite.Open(ctx, filepath.Join(cfg.Data, "callfloor.db"), opts)
	case isPostgres(cfg.Database):
		if opts.SecretKey, err = loadSecretKey(cfg); err != nil {
			return nil, err
		}
		st, err = postgres.Open(ctx, cfg.Database, opts)
	default:
		return nil, fmt.Errorf("database URL must be empty (SQLite) or start with postgres://")
	}
	if err != nil {
		return nil, err
	}
	n, err := st.SealTrunkPasswords(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("sealing trunk passwords: %w", err)
	}
	if n > 0 && opts.Logger != nil {
		opts.Logger.InfoContext(ctx, "sealed trunk passwords stored in clear", "count", n, "key_file", secretKeyPath(cfg))
	}
	return st, nil
}

func serve(ctx context.Context, cfg Config, demo bool, stdout io.Writer) error {
	logger := cfg.Logger(os.Stderr)
	m := NewMain(cfg, logger)
	if err := m.Open(ctx); err != nil {
		return err
	}
	var sim *demoRun
	// The demo's simulated carrier stops after the server, which first
	// withdraws its trunk's registration from it and hangs up their calls.
	defer func() {
		m.Close()
		sim.Close()
	}()
	if demo {
		var err error
		if sim, err = startDemo(ctx, m, stdout); err != nil {
			return err
		}
	}
	return m.Run(ctx)
}

// offIfZero is the B2BUA's spelling of a configured duration whose 0
// means off: -1 (its 0 means its default).
func offIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// sipListeners are the stream listeners' addresses for the B2BUA's
// Contact, with host as the host (the UDP socket's: a listener on every
// interface is reached at the address the phones use for SIP).
func (m *Main) sipListeners(host string) map[string]sip.Uri {
	out := map[string]sip.Uri{}
	for tp, ln := range map[string]net.Listener{"TCP": m.sipTCP, "WS": m.sipWS, "TLS": m.sipTLS, "WSS": m.sipWSS} {
		if ln == nil {
			continue
		}
		out[tp] = sip.Uri{Scheme: "sip", Host: host, Port: ln.Addr().(*net.TCPAddr).Port}
	}
	return out
}

// openWebRTC opens the WebRTC endpoint of browser phones on
// --webrtc-listen (by default the SIP address's IP, a free port).
func (m *Main) openWebRTC(sipIP netip.Addr) error {
	listen := netip.AddrPortFrom(sipIP, 0)
	if m.Config.WebRTCListen != "" {
		ap, err := netip.ParseAddrPort(m.Config.WebRTCListen)
		if err != nil {
			return fmt.Errorf("webrtc listen address %q: %w", m.Config.WebRTCListen, err)
		}
		listen = ap
	}
	var public netip.Addr
	if m.Config.WebRTCPublicIP != "" {
		var err error
		if public, err = netip.ParseAddr(m.Config.WebRTCPublicIP); err != nil {
			return fmt.Errorf("webrtc public address %q: %w", m.Config.WebRTCPublicIP, err)
		}
	}
	e, err := webrtc.New(webrtc.Config{Listen: listen, PublicIP: public, Logger: m.Logger})
	if err != nil {
		return err
	}
	m.webrtc = e
	m.Logger.Info("webrtc media", "udp", e.Addr().String(), "public_ip", m.Config.WebRTCPublicIP)
	return nil
}

// browserPhone says where browser phones register: --sip-ws-url, else
// the secure WebSocket listener, else the plain one; and the ICE servers.
func (m *Main) browserPhone() api.BrowserPhone {
	var bp api.BrowserPhone
	switch {
	case m.Config.SIPWSURL != "":
		bp.WebSocketURL = m.Config.SIPWSURL
	case m.sipWSS != nil:
		bp.WebSocketURL = "wss://" + m.sipWSS.Addr().String()
	case m.sipWS != nil:
		bp.WebSocketURL = "ws://" + m.sipWS.Addr().String()
	}
	for _, u := range m.Config.WebRTCICEServers {
		s := api.ICEServer{URLs: []string{u}}
		if strings.HasPrefix(u, "turn") {
			s.Username, s.Credential = m.Config.WebRTCTURNUser, m.Config.WebRTCTURNPass
		}
		bp.ICEServers = append(bp.ICEServers, s)
	}
	return bp
}
