package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/webhook/delivery"
)

// Config is every setting of the server. Each one can come from the YAML
// file, a CALLFLOOR_* environment variable or a flag; flags win over the
// environment, which wins over the file.
type Config struct {
	Data         string
	HTTP         string
	SIP          string
	SIPWS        string
	SIPTLS       string
	SIPWSS       string
	TLSCert      string
	TLSKey       string
	SIPKeepalive time.Duration
	SIPDigest    []string
	// SIPRate and SIPBurst are the requests a second each source address
	// may send to SIP, and how many at once.
	SIPRate  float64
	SIPBurst int
	// SIPBanFailures failed authentications from one address within 5
	// minutes ban it for SIPBanTime.
	SIPBanFailures int
	SIPBanTime     time.Duration
	// SIPAllow are networks never rate-limited nor banned.
	SIPAllow []netip.Prefix
	RTPPorts PortRange
	// MediaTimeout ends a call whose party sent no RTP and no RTCP for
	// this long (gone without a BYE); 0 turns it off.
	MediaTimeout time.Duration
	// PagePhoneGrace is how long a call waits for an agent's page phone
	// that vanished (a reload, a closed tab) to come back.
	PagePhoneGrace time.Duration
	// WebRTCListen is the UDP address of browser phones' media (ICE),
	// one port for every call; empty: the SIP address's IP, a free port.
	// WebRTCPublicIP is the address browsers reach it at behind a 1:1
	// NAT.
	WebRTCListen   string
	WebRTCPublicIP string
	// SIPWSURL is the URL browsers register at (a reverse proxy's
	// wss://...); empty: made from the sip-wss or sip-ws listener.
	SIPWSURL string
	// WebRTCICEServers are STUN and TURN URLs handed to browsers, with
	// the TURN servers' username and credential.
	WebRTCICEServers []string
	WebRTCTURNUser   string
	WebRTCTURNPass   string
	// SIPSessionExpires is the RFC 4028 session interval asked for and
	// granted; 0 turns session timers off.
	SIPSessionExpires time.Duration
	Database          string
	// SecretKeyFile holds the key that seals the trunks' passwords in
	// the database; empty: secret.key in the data directory.
	SecretKeyFile string
	LogLevel      string
	LogFormat     string
	SessionTTL    time.Duration
	SecureCookies bool
	// WebhookAllowPrivate lets webhook requests reach loopback and
	// private addresses.
	WebhookAllowPrivate bool
	// WebhookTimeout is how long a webhook endpoint has to answer;
	// WebhookLease how long a message a server is sending stays its own
	// (a server that dies leaves its messages to be sent again then).
	WebhookTimeout time.Duration
	WebhookLease   time.Duration
	SIPRealm       string
	Simulate       bool
	// NATS, with a PostgreSQL Database, makes the server a node of a
	// cluster (docs/scale-out.md); Node is its name there, ClusterTTL
	// how long its leases and its presence outlive its last renewal,
	// and NodeHost the host other nodes and the SIP proxy reach its
	// listeners at.
	NATS       string
	Node       string
	ClusterTTL time.Duration
	NodeHost   string
	// Cluster names the cluster: the prefix of its NATS subjects,
	// buckets and streams, so that clusters may share one NATS.
	Cluster string
	// MetricsToken, when set, serves the Prometheus metrics at /metrics
	// to requests bearing it; MetricsListen serves them without a token
	// on an address of their own. Both empty: no metrics served.
	MetricsToken  string
	MetricsListen string
	// UIDev is the Vite dev server the web app's pages are proxied to in
	// development; empty serves the bundle built into the binary.
	UIDev        string
	DemoPassword string
	// DemoCarrier is the SIP (UDP) address of the demo's simulated
	// carrier; empty runs none.
	DemoCarrier string
	// DemoInboundRate is how many calls a minute the simulated carrier
	// places into the demo's inbound numbers.
	DemoInboundRate float64
}

// DemoSIPWS is the SIP over WebSocket address `callfloor demo` serves by
// default, so its agents' pages can be their phones.
const DemoSIPWS = "127.0.0.1:5066"

// DefaultConfig returns the settings used when nothing else is given.
func DefaultConfig() Config {
	return Config{
		Data:              "data",
		HTTP:              "127.0.0.1:8080",
		SIP:               "127.0.0.1:5060",
		SIPKeepalive:      30 * time.Second,
		SIPDigest:         []string{"MD5"},
		SIPRate:           10,
		SIPBurst:          50,
		SIPBanFailures:    5,
		SIPBanTime:        15 * time.Minute,
		SIPAllow:          []netip.Prefix{},
		RTPPorts:          PortRange{Min: 10000, Max: 20000},
		MediaTimeout:      30 * time.Second,
		PagePhoneGrace:    time.Minute,
		SIPSessionExpires: 30 * time.Minute,
		LogLevel:          "info",
		LogFormat:         "text",
		SessionTTL:        12 * time.Hour,
		WebhookTimeout:    delivery.Timeout,
		WebhookLease:      delivery.Lease,
		SIPRealm:          "callfloor",
		ClusterTTL:        5 * time.Second,
		Cluster:           "callfloor",
		DemoPassword:      "callfloor",
		WebRTCICEServers:  []string{},
		DemoCarrier:       "127.0.0.1:5080",
		// About one call every 30 seconds: enough to watch, not a flood.
		DemoInboundRate: 2,
	}
}

// setting describes one configuration value once for all three sources.
type setting struct {
	name  string // flag name; YAML key is name with '-' as '_'; env is CALLFLOOR_ + upper
	usage string
	demo  bool // only for `callfloor demo`
	// boolean settings are flags that stand alone (--simulate).
	boolean bool
	get     func(*Config) string
	set     func(*Config, string) error
}

func (s setting) yamlKey() string { return strings.ReplaceAll(s.name, "-", "_") }
func (s setting) envKey() string {
	return "CALLFLOOR_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) },
		func(c *Config, v string) error { *p(c) = v; return nil }
}

func settings() []setting {
	mk := func(name, usage string, demo bool, p func(*Config) *string) setting {
		g, s := str(p)
		return setting{name: name, usage: usage, demo: demo, get: g, set: s}
	}
	return []setting{
		mk("data", "directory for the SQLite database and other state", false, func(c *Config) *string { return &c.Data }),
		mk("http", "address the HTTP API listens on", false, func(c *Config) *string { return &c.HTTP }),
		mk("sip", "address SIP listens on, UDP and TCP (port 0 picks one)", false, func(c *Config) *string { return &c.SIP }),
		mk("sip-ws", "address SIP over WebSocket (browsers) listens on; empty: off", false, func(c *Config) *string { return &c.SIPWS }),
		mk("sip-tls", "address SIP over TLS listens on (needs tls-cert and tls-key); empty: off", false, func(c *Config) *string { return &c.SIPTLS }),
		mk("sip-wss", "address SIP over secure WebSocket (browsers) listens on (needs tls-cert and tls-key); empty: off", false, func(c *Config) *string { return &c.SIPWSS }),
		mk("tls-cert", "PEM file of the certificate (and its chain) for sip-tls and sip-wss", false, func(c *Config) *string { return &c.TLSCert }),
		mk("tls-key", "PEM file of the private key of tls-cert", false, func(c *Config) *string { return &c.TLSKey }),
		{name: "sip-keepalive", usage: "how often registered phones are sent an OPTIONS keepalive (three unanswered remove a registration); 0: off",
			get: func(c *Config) string { return c.SIPKeepalive.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || (d != 0 && (d < 5*time.Second || d > time.Hour)) {
					return fmt.Errorf("sip keepalive must be 0 (off) or a duration between 5s and 1h")
				}
				c.SIPKeepalive = d
				return nil
			}},
		{name: "sip-digest", usage: "digest algorithms SIP challenges offer: md5, or md5,sha-256 for phones that know RFC 8760 (some, like baresip 1.0, fail on any list naming sha-256)",
			get: func(c *Config) string { return strings.ToLower(strings.Join(c.SIPDigest, ",")) },
			set: func(c *Config, v string) error {
				a, err := registrar.ParseAlgorithms(v)
				if err != nil {
					return err
				}
				c.SIPDigest = a
				return nil
			}},
		{name: "sip-rate", usage: "SIP requests a second each source address may send (beyond the burst, more are dropped), 0.1 to 100000",
			get: func(c *Config) string { return strconv.FormatFloat(c.SIPRate, 'g', -1, 64) },
			set: func(c *Config, v string) error {
				r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || math.IsNaN(r) || r < 0.1 || r > 100000 {
					return fmt.Errorf("sip rate must be a number of requests a second from 0.1 to 100000, e.g. 10")
				}
				c.SIPRate = r
				return nil
			}},
		intSetting("sip-burst", "SIP requests one source address may send at once, above sip-rate", 1, 100000,
			func(c *Config) *int { return &c.SIPBurst }),
		intSetting("sip-ban-failures", "failed SIP authentications from one address within 5 minutes that ban it for sip-ban-time", 1, 1000,
			func(c *Config) *int { return &c.SIPBanFailures }),
		{name: "sip-ban-time", usage: "how long an address is banned after sip-ban-failures failed authentications, 1s to 168h",
			get: func(c *Config) string { return c.SIPBanTime.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || d < time.Second || d > 7*24*time.Hour {
					return fmt.Errorf("sip ban time must be a duration between 1s and 168h, e.g. 15m")
				}
				c.SIPBanTime = d
				return nil
			}},
		{name: "sip-allow", usage: "networks (CIDR, comma-separated, e.g. 192.0.2.0/24,2001:db8::/64) whose addresses are never rate-limited nor banned by SIP; empty: none",
			get: func(c *Config) string { return formatPrefixes(c.SIPAllow) },
			set: func(c *Config, v string) error {
				p, err := parsePrefixes(v)
				if err != nil {
					return err
				}
				c.SIPAllow = p
				return nil
			}},
		{name: "rtp-ports", usage: "UDP ports for RTP, MIN-MAX (MIN even), e.g. 10000-20000",
			get: func(c *Config) string { return c.RTPPorts.String() },
			set: func(c *Config, v string) error {
				r, err := ParsePortRange(v)
				if err != nil {
					return err
				}
				c.RTPPorts = r
				return nil
			}},
		{name: "media-timeout", usage: "how long a party in a call may send no RTP and no RTCP before the call ends (a phone or carrier gone without a BYE), 5s to 1h; 0: never",
			get: func(c *Config) string { return c.MediaTimeout.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || (d != 0 && (d < 5*time.Second || d > time.Hour)) {
					return fmt.Errorf("media timeout must be 0 (never) or a duration between 5s and 1h, e.g. 30s")
				}
				c.MediaTimeout = d
				return nil
			}},
		{name: "sip-session-expires", usage: "session interval (RFC 4028) asked of and granted to phones and carriers: a call not refreshed within it ends; 90s to 24h; 0: no session timers",
			get: func(c *Config) string { return c.SIPSessionExpires.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || (d != 0 && (d < 90*time.Second || d > 24*time.Hour)) {
					return fmt.Errorf("sip session expires must be 0 (off) or a duration between 90s and 24h, e.g. 30m")
				}
				c.SIPSessionExpires = d
				return nil
			}},
		{name: "webrtc-listen", usage: "UDP address (IP:port) of the browser phones' media: one port for every call, to open in the firewall; empty: the SIP address's IP and a free port",
			get: func(c *Config) string { return c.WebRTCListen },
			set: func(c *Config, v string) error {
				if v = strings.TrimSpace(v); v != "" {
					if _, err := netip.ParseAddrPort(v); err != nil {
						return fmt.Errorf("webrtc listen must be an IP:port, e.g. 0.0.0.0:3478")
					}
				}
				c.WebRTCListen = v
				return nil
			}},
		mk("sip-ws-url", "URL browsers register at (e.g. wss://pbx.example.com/sip behind a reverse proxy); empty: ws:// or wss:// of the sip-ws or sip-wss address", false,
			func(c *Config) *string { return &c.SIPWSURL }),
		{name: "webrtc-ice-servers", usage: "STUN and TURN URLs handed to browser phones, comma-separated (e.g. stun:stun.example.com:3478,turn:turn.example.com:3478); empty: none",
			get: func(c *Config) string { return strings.Join(c.WebRTCICEServers, ",") },
			set: func(c *Config, v string) error {
				c.WebRTCICEServers = []string{}
				for _, u := range strings.Split(v, ",") {
					if u = strings.TrimSpace(u); u == "" {
						continue
					}
					if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
						return fmt.Errorf("webrtc ice server %q must be a stun:, turn: or turns: URL", u)
					}
					c.WebRTCICEServers = append(c.WebRTCICEServers, u)
				}
				return nil
			}},
		mk("webrtc-turn-username", "username of the TURN servers in webrtc-ice-servers", false, func(c *Config) *string { return &c.WebRTCTURNUser }),
		mk("webrtc-turn-credential", "credential of the TURN servers in webrtc-ice-servers (keep it secret)", false, func(c *Config) *string { return &c.WebRTCTURNPass }),
		{name: "page-phone-grace", usage: "how long a call waits, the customer hearing music, for an agent's page phone that vanished (a reload, a closed tab) to come back; then a queue's caller goes back to the queue and other calls end; 10s to 1h",
			get: func(c *Config) string { return c.PagePhoneGrace.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || d < 10*time.Second || d > time.Hour {
					return fmt.Errorf("page phone grace must be a duration between 10s and 1h, e.g. 1m")
				}
				c.PagePhoneGrace = d
				return nil
			}},
		{name: "webrtc-public-ip", usage: "the address browsers reach webrtc-listen at, behind a 1:1 NAT (the only ICE candidate offered); empty: the listening address",
			get: func(c *Config) string { return c.WebRTCPublicIP },
			set: func(c *Config, v string) error {
				if v = strings.TrimSpace(v); v != "" {
					if _, err := netip.ParseAddr(v); err != nil {
						return fmt.Errorf("webrtc public ip must be an IP address, e.g. 203.0.113.10")
					}
				}
				c.WebRTCPublicIP = v
				return nil
			}},
		mk("database", "database URL: empty for SQLite in the data directory, or postgres://...", false, func(c *Config) *string { return &c.Database }),
		{name: "nats", usage: "NATS URL (nats://host:4222, JetStream on); with a postgres:// database the server is a node of a cluster (see docs/scale-out.md); empty: a single server",
			get: func(c *Config) string { return c.NATS },
			set: func(c *Config, v string) error {
				if v = strings.TrimSpace(v); v != "" {
					u, err := url.Parse(v)
					if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
						return fmt.Errorf("nats must be a URL such as nats://127.0.0.1:4222")
					}
				}
				c.NATS = v
				return nil
			}},
		{name: "node", usage: "this node's name in a cluster: letters, digits, - and _, up to 64, the same across restarts; empty: the host name",
			get: func(c *Config) string { return c.Node },
			set: func(c *Config, v string) error {
				if v = strings.TrimSpace(v); v != "" && !validNodeName(v) {
					return fmt.Errorf("node must be 1 to 64 letters, digits, - or _, e.g. node-1")
				}
				c.Node = v
				return nil
			}},
		{name: "cluster", usage: "in a cluster, its name: the prefix of its NATS subjects, key-value buckets and streams (letters, digits, - and _, up to 64); every node of one cluster has the same",
			get: func(c *Config) string { return c.Cluster },
			set: func(c *Config, v string) error {
				if v = strings.TrimSpace(v); !validNodeName(v) {
					return fmt.Errorf("cluster must be 1 to 64 letters, digits, - or _, e.g. callfloor")
				}
				c.Cluster = v
				return nil
			}},
		{name: "cluster-ttl", usage: "in a cluster, how long a node's account leases and its presence outlive its last renewal: a node that dies loses its accounts after this; 2s to 60s",
			get: func(c *Config) string { return c.ClusterTTL.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || d < 2*time.Second || d > time.Minute {
					return fmt.Errorf("cluster ttl must be a duration between 2s and 60s, e.g. 5s")
				}
				c.ClusterTTL = d
				return nil
			}},
		{name: "node-host", usage: "in a cluster, the host name or IP other nodes and the SIP proxy reach this node's listeners at; empty: the HTTP listener's host",
			get: func(c *Config) string { return c.NodeHost },
			set: func(c *Config, v string) error {
				v = strings.TrimSpace(v)
				if strings.ContainsAny(v, "/:@ ") {
					return fmt.Errorf("node host must be a host name or an IPv4 address, without a port")
				}
				c.NodeHost = v
				return nil
			}},
		mk("secret-key-file", "file of the key (64 hex digits) that seals the trunks' passwords in the database, created when missing; "+
			"every server of one PostgreSQL database needs the same one; empty: secret.key in the data directory", false,
			func(c *Config) *string { return &c.SecretKeyFile }),
		{name: "log-level", usage: "log level: debug, info, warn or error",
			get: func(c *Config) string { return c.LogLevel },
			set: func(c *Config, v string) error {
				var l slog.Level
				if err := l.UnmarshalText([]byte(v)); err != nil {
					return fmt.Errorf("log level must be debug, info, warn or error")
				}
				c.LogLevel = strings.ToLower(v)
				return nil
			}},
		{name: "log-format", usage: "log format: text or json",
			get: func(c *Config) string { return c.LogFormat },
			set: func(c *Config, v string) error {
				if v != "text" && v != "json" {
					return fmt.Errorf("log format must be text or json")
				}
				c.LogFormat = v
				return nil
			}},
		{name: "session-ttl", usage: "how long a login session lasts, e.g. 12h",
			get: func(c *Config) string { return c.SessionTTL.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Minute || d > 30*24*time.Hour {
					return fmt.Errorf("session ttl must be a duration between 1m and 720h")
				}
				c.SessionTTL = d
				return nil
			}},
		boolSetting("secure-cookies", "mark session cookies Secure (set when serving behind HTTPS)", func(c *Config) *bool { return &c.SecureCookies }),
		boolSetting("webhook-allow-private", "let webhook requests (the campaigns' buttons and the integrated system webhooks) reach loopback, private and link-local addresses; off, they are refused",
			func(c *Config) *bool { return &c.WebhookAllowPrivate }),
		{name: "webhook-timeout", usage: "how long a webhook endpoint (the integrated system webhooks) has to answer a message before the try counts as failed, 1s to 60s",
			get: func(c *Config) string { return c.WebhookTimeout.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || d < time.Second || d > time.Minute {
					return fmt.Errorf("webhook timeout must be a duration between 1s and 60s, e.g. 15s")
				}
				c.WebhookTimeout = d
				return nil
			}},
		{name: "webhook-lease", usage: "how long a webhook message a server is sending stays its own: a server that dies mid-send leaves it to be sent again (same id) after this; at least twice webhook-timeout, up to 1h",
			get: func(c *Config) string { return c.WebhookLease.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil || d < 2*time.Second || d > time.Hour {
					return fmt.Errorf("webhook lease must be a duration between 2s and 1h (and at least twice webhook-timeout), e.g. 1m")
				}
				c.WebhookLease = d
				return nil
			}},
		mk("sip-realm", "SIP digest realm for extension credentials", false, func(c *Config) *string { return &c.SIPRealm }),
		boolSetting("simulate", "serve the simulated telephony plane's endpoints (tests and scripted demos)", func(c *Config) *bool { return &c.Simulate }),
		{name: "metrics-token", usage: "serve the Prometheus metrics at /metrics to requests with this bearer token (16 characters or more); empty: not on the API's address",
			get: func(c *Config) string { return c.MetricsToken },
			set: func(c *Config, v string) error {
				if v != "" && len(v) < 16 {
					return fmt.Errorf("metrics token must have 16 characters or more")
				}
				c.MetricsToken = v
				return nil
			}},
		{name: "metrics-listen", usage: "serve the Prometheus metrics, without a token, on this address of their own (e.g. 127.0.0.1:9090, for a private network); empty: none",
			get: func(c *Config) string { return c.MetricsListen },
			set: func(c *Config, v string) error {
				if v != "" {
					if _, _, err := net.SplitHostPort(v); err != nil {
						return fmt.Errorf("metrics listen must be host:port, e.g. 127.0.0.1:9090")
					}
				}
				c.MetricsListen = v
				return nil
			}},
		{name: "ui-dev", usage: "development: URL of the Vite dev server (cd ui && npm run dev) to serve the web app from, e.g. http://127.0.0.1:5173; empty: the built-in app",
			get: func(c *Config) string { return c.UIDev },
			set: func(c *Config, v string) error {
				if v == "" {
					c.UIDev = ""
					return nil
				}
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("ui dev must be an http URL of the Vite dev server, e.g. http://127.0.0.1:5173")
				}
				c.UIDev = v
				return nil
			}},
		mk("demo-password", "password of every demo user and SIP secret, used when the demo is first seeded", true, func(c *Config) *string { return &c.DemoPassword }),
		{name: "demo-carrier", demo: true,
			usage: "UDP address of the simulated carrier the demo's trunk registers with, IP:port; empty: no carrier",
			get:   func(c *Config) string { return c.DemoCarrier },
			set: func(c *Config, v string) error {
				if err := checkDemoCarrier(v); err != nil {
					return err
				}
				c.DemoCarrier = v
				return nil
			}},
		{name: "demo-inbound-rate", demo: true,
			usage: fmt.Sprintf("calls a minute the simulated carrier places into the demo's inbound numbers, 0 to %d; 0: none", maxDemoInboundRate),
			get:   func(c *Config) string { return strconv.FormatFloat(c.DemoInboundRate, 'g', -1, 64) },
			set: func(c *Config, v string) error {
				r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || math.IsNaN(r) || r < 0 || r > maxDemoInboundRate {
					return fmt.Errorf("demo inbound rate must be a number of calls a minute from 0 (none) to %d, e.g. 2", maxDemoInboundRate)
				}
				c.DemoInboundRate = r
				return nil
			}},
	}
}

// maxDemoInboundRate caps the simulated carrier's calls a minute. Its
// calls come from loopback like the phones', but from the trunk's own
// address, which the registrar never rate-limits.
const maxDemoInboundRate = 120

// checkDemoCarrier accepts an empty address (no carrier) or IP:port with
// an address the demo's trunk can register with: a given IP (not 0.0.0.0
// or ::, no zone) and a given port (not 0).
func checkDemoCarrier(v string) error {
	if v == "" {
		return nil
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil || ap.Addr().IsUnspecified() || ap.Addr().Zone() != "" || ap.Port() == 0 {
		return fmt.Errorf("demo carrier must be an IP address and port such as 127.0.0.1:5080 (IPv6 in brackets), or empty for no carrier")
	}
	return nil
}

// intSetting is a whole number from lo to hi.
func intSetting(name, usage string, lo, hi int, p func(*Config) *int) setting {
	return setting{name: name, usage: fmt.Sprintf("%s, %d to %d", usage, lo, hi),
		get: func(c *Config) string { return strconv.Itoa(*p(c)) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("%s must be a whole number from %d to %d", strings.ReplaceAll(name, "-", " "), lo, hi)
			}
			*p(c) = n
			return nil
		}}
}

// parsePrefixes reads networks in CIDR notation, separated by commas (or
// spaces); empty is none. A single address is refused: write /32 or /128.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("sip allow: %q is not a network in CIDR notation such as 192.0.2.0/24 or 2001:db8::/64 (a single address is 192.0.2.7/32)", f)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func formatPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func boolSetting(name, usage string, p func(*Config) *bool) setting {
	return setting{name: name, usage: usage, boolean: true,
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s must be true or false", strings.ReplaceAll(name, "-", " "))
			}
			*p(c) = b
			return nil
		}}
}

// flagValue collects a setting's flag as text; boolean ones stand alone.
type flagValue struct {
	v       string
	boolean bool
}

func (f *flagValue) String() string     { return f.v }
func (f *flagValue) Set(v string) error { f.v = v; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.boolean }

// LoadConfig layers defaults, the YAML file (--config or CALLFLOOR_CONFIG),
// the environment and the flags, in that order. demo adds the demo-only
// settings; extra registers a command's own flags.
func LoadConfig(name string, args []string, env func(string) string, demo bool, extra func(*flag.FlagSet)) (Config, error) {
	cfg := DefaultConfig()
	if demo {
		// The demo's agents use the page as their phone.
		cfg.SIPWS = DemoSIPWS
	}
	fs := flag.NewFlagSet("callfloor "+name, flag.ContinueOnError)
	if extra != nil {
		extra(fs)
	}
	configPath := fs.String("config", "", "YAML configuration file (default: $CALLFLOOR_CONFIG)")
	flagVals := map[string]*flagValue{}
	var list []setting
	for _, s := range settings() {
		if s.demo && !demo {
			continue
		}
		list = append(list, s)
		flagVals[s.name] = &flagValue{v: s.get(&cfg), boolean: s.boolean}
		fs.Var(flagVals[s.name], s.name, s.usage+" ($"+s.envKey()+")")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	path := *configPath
	if path == "" {
		path = env("CALLFLOOR_CONFIG")
	}
	if path != "" {
		if err := applyYAML(&cfg, path, list); err != nil {
			return cfg, err
		}
	}
	for _, s := range list {
		if v := env(s.envKey()); v != "" {
			if err := s.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("%s: %w", s.envKey(), err)
			}
		}
	}
	var ferr error
	fs.Visit(func(f *flag.Flag) {
		for _, s := range list {
			if s.name == f.Name && ferr == nil {
				if err := s.set(&cfg, flagVals[s.name].v); err != nil {
					ferr = fmt.Errorf("--%s: %w", s.name, err)
				}
			}
		}
	})
	if ferr != nil {
		return cfg, ferr
	}
	return cfg, cfg.check()
}

// check validates what spans settings, once every source is applied.
func (c Config) check() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("tls-cert and tls-key go together: set both or neither")
	}
	if (c.SIPTLS != "" || c.SIPWSS != "") && c.TLSCert == "" {
		return errors.New("sip-tls and sip-wss need a certificate: set tls-cert and tls-key (PEM files)")
	}
	if c.NATS != "" && !isPostgres(c.Database) {
		return errors.New("nats makes the server a cluster node, which needs a shared postgres:// database")
	}
	if least := delivery.MinLease(c.WebhookTimeout); c.WebhookLease < least {
		return fmt.Errorf("webhook-lease (%s) must be at least twice webhook-timeout (%s), %s, so that a slow answer's message is not sent again beside it",
			c.WebhookLease, c.WebhookTimeout, least)
	}
	return nil
}

// validNodeName: 1 to 64 ASCII letters, digits, '-' and '_' (a NATS
// key-value key and a Kamailio-safe token).
func validNodeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PortRange is an inclusive range of ports, such as the RTP ports.
type PortRange struct{ Min, Max int }

func (r PortRange) String() string { return strconv.Itoa(r.Min) + "-" + strconv.Itoa(r.Max) }

// ParsePortRange reads MIN-MAX with 1024 <= MIN < MAX <= 65535 and MIN
// even: RTP takes an even port and RTCP the odd one after it.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	r := PortRange{Min: portNumber(lo), Max: portNumber(hi)}
	if !ok || r.Min < 1024 || r.Max > 65535 || r.Min >= r.Max || r.Min%2 != 0 {
		return PortRange{}, fmt.Errorf("rtp ports must be MIN-MAX with 1024 <= MIN < MAX <= 65535 and MIN even, e.g. 10000-20000")
	}
	return r, nil
}

// portNumber reads up to five decimal digits (no sign, no spaces), or
// returns -1.
func portNumber(s string) int {
	if s == "" || len(s) > 5 {
		return -1
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func applyYAML(cfg *Config, path string, list []setting) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]setting{}
	for _, s := range settings() {
		known[s.yamlKey()] = s
	}
	for k, v := range raw {
		s, ok := known[k]
		if !ok {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		if v == nil {
			continue
		}
		if list, ok := v.([]any); ok {
			// A YAML list (sip_allow) is the comma-separated value.
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = fmt.Sprint(e)
			}
			v = strings.Join(parts, ",")
		}
		if err := s.set(cfg, fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, k, err)
		}
	}
	return nil
}

// Logger builds the slog logger the configuration asks for.
func (c Config) Logger(w *os.File) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

var errUsage = errors.New("usage")
