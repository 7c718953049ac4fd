package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"gopkg.in/yaml.v3"

	"github.com/callfloor/callfloor/password"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("http: 127.0.0.1:7000\ndata: /from/file\nsession_ttl: 2h\nlog_format: json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool { return reflect.DeepEqual(c, DefaultConfig()) }},
		{"file", []string{"--config", file}, nil, func(c Config) bool {
			return c.HTTP == "127.0.0.1:7000" && c.Data == "/from/file" && c.SessionTTL == 2*time.Hour && c.LogFormat == "json"
		}},
		{"file from env", nil, map[string]string{"CALLFLOOR_CONFIG": file}, func(c Config) bool { return c.HTTP == "127.0.0.1:7000" }},
		{"env beats file", []string{"--config", file}, map[string]string{"CALLFLOOR_HTTP": "127.0.0.1:7001"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:7001" && c.Data == "/from/file"
		}},
		{"flag beats env and file", []string{"--config", file, "--http", "127.0.0.1:7002"}, map[string]string{"CALLFLOOR_HTTP": "127.0.0.1:7001"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:7002"
		}},
		{"flag equal to default still wins", []string{"--http", "127.0.0.1:8080"}, map[string]string{"CALLFLOOR_HTTP": "127.0.0.1:7001"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:8080"
		}},
		{"database url", []string{"--database", "postgres://x@127.0.0.1/db"}, nil, func(c Config) bool { return c.Database == "postgres://x@127.0.0.1/db" }},
		{"bool env", nil, map[string]string{"CALLFLOOR_SECURE_COOKIES": "true"}, func(c Config) bool { return c.SecureCookies }},
		{"bool flag alone", []string{"--simulate", "--http", "127.0.0.1:7003"}, nil, func(c Config) bool {
			return c.Simulate && c.HTTP == "127.0.0.1:7003"
		}},
		{"bool flag false beats env", []string{"--simulate=false"}, map[string]string{"CALLFLOOR_SIMULATE": "true"}, func(c Config) bool { return !c.Simulate }},
		{"sip limits from flags", []string{"--sip-rate", "0.5", "--sip-burst", "200", "--sip-ban-failures", "20", "--sip-ban-time", "1h"}, nil, func(c Config) bool {
			return c.SIPRate == 0.5 && c.SIPBurst == 200 && c.SIPBanFailures == 20 && c.SIPBanTime == time.Hour
		}},
		{"sip allow from env", nil, map[string]string{"CALLFLOOR_SIP_ALLOW": "192.0.2.9/24, 2001:DB8::/64,::ffff:10.0.0.0/104"}, func(c Config) bool {
			return formatPrefixes(c.SIPAllow) == "192.0.2.0/24,2001:db8::/64,10.0.0.0/8"
		}},
		{"sip allow emptied by flag", []string{"--sip-allow", ""}, map[string]string{"CALLFLOOR_SIP_ALLOW": "192.0.2.0/24"}, func(c Config) bool {
			return len(c.SIPAllow) == 0
		}},
		{"webhook timeout and lease", []string{"--webhook-timeout", "2s", "--webhook-lease", "4s"}, nil, func(c Config) bool {
			return c.WebhookTimeout == 2*time.Second && c.WebhookLease == 4*time.Second
		}},
		{"cluster node", []string{"--database", "postgres://x@127.0.0.1/db", "--nats", "nats://127.0.0.1:4222", "--node", "node-2", "--cluster-ttl", "8s", "--node-host", "10.0.0.2", "--cluster", "east-1"}, nil, func(c Config) bool {
			return c.Cluster == "east-1" && c.NATS == "nats://127.0.0.1:4222" && c.Node == "node-2" && c.ClusterTTL == 8*time.Second && c.NodeHost == "10.0.0.2"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig("serve", tc.args, envMap(tc.env), false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("htp: 127.0.0.1:1\n"), 0o600)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("http: [\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown yaml key", []string{"--config", bad}, nil, `unknown setting "htp"`},
		{"broken yaml", []string{"--config", broken}, nil, "broken.yaml"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, nil, "config file"},
		{"bad duration", []string{"--session-ttl", "forever"}, nil, "--session-ttl"},
		{"bad env level", nil, map[string]string{"CALLFLOOR_LOG_LEVEL": "loud"}, "CALLFLOOR_LOG_LEVEL"},
		{"bad bool", []string{"--secure-cookies=maybe"}, nil, "secure"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"demo flag outside demo", []string{"--demo-password", "x"}, nil, "demo-password"},
		{"demo carrier outside demo", []string{"--demo-carrier", "127.0.0.1:5080"}, nil, "demo-carrier"},
		{"demo inbound rate outside demo", []string{"--demo-inbound-rate", "2"}, nil, "demo-inbound-rate"},
		{"sip rate zero", []string{"--sip-rate", "0"}, nil, "sip rate must be"},
		{"sip burst zero", nil, map[string]string{"CALLFLOOR_SIP_BURST": "0"}, "sip burst must be a whole number from 1"},
		{"sip ban failures not a number", []string{"--sip-ban-failures", "five"}, nil, "sip ban failures must be"},
		{"sip ban time too short", []string{"--sip-ban-time", "0s"}, nil, "sip ban time must be"},
		{"sip allow single address", []string{"--sip-allow", "192.0.2.7"}, nil, "192.0.2.7/32"},
		{"sip allow bad network", []string{"--sip-allow", "192.0.2.0/24,office"}, nil, `"office" is not a network`},
		{"webhook timeout too long", []string{"--webhook-timeout", "2m"}, nil, "webhook timeout must be"},
		{"webhook lease shorter than two sends", []string{"--webhook-lease", "20s"}, nil, "at least twice webhook-timeout (15s)"},
		{"nats without postgres", []string{"--nats", "nats://127.0.0.1:4222"}, nil, "needs a shared postgres:// database"},
		{"nats not a url", []string{"--nats", "127.0.0.1:4222", "--database", "postgres://x@h/db"}, nil, "nats must be a URL"},
		{"node name with a dot", []string{"--node", "node.1"}, nil, "node must be 1 to 64"},
		{"cluster name empty", []string{"--cluster", ""}, nil, "cluster must be 1 to 64"},
		{"cluster ttl too short", []string{"--cluster-ttl", "1s"}, nil, "cluster ttl must be"},
		{"node host with a port", []string{"--node-host", "10.0.0.2:80"}, nil, "node host must be"},
		{"webhook lease shorter than a shorter timeout's", []string{"--webhook-timeout", "3s", "--webhook-lease", "5s"}, nil, "webhook-lease (5s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig("serve", tc.args, envMap(tc.env), false, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// The sample file documents every setting with its default value.
func TestSampleConfigIsTrue(t *testing.T) {
	path := filepath.Join("..", "..", "callfloor.sample.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings() {
		if _, ok := raw[s.yamlKey()]; !ok {
			t.Errorf("callfloor.sample.yaml does not document %q", s.yamlKey())
		}
	}
	c, err := LoadConfig("demo", []string{"--config", path}, envMap(nil), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("sample values differ from the defaults:\n%+v\n%+v", c, DefaultConfig())
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in   string
		want PortRange
		ok   bool
	}{
		{"10000-20000", PortRange{10000, 20000}, true},
		{" 10000-20001 ", PortRange{10000, 20001}, true},
		{"1024-65535", PortRange{1024, 65535}, true},
		{"30000-30001", PortRange{30000, 30001}, true},
		{"10001-20000", PortRange{}, false}, // RTP ports are even
		{"20000-10000", PortRange{}, false},
		{"10000-10000", PortRange{}, false},
		{"1022-2000", PortRange{}, false},
		{"10000-65536", PortRange{}, false},
		{"10000", PortRange{}, false},
		{"10000-", PortRange{}, false},
		{"-20000", PortRange{}, false},
		{"10000 - 20000", PortRange{}, false},
		{"+10000-20000", PortRange{}, false},
		{"10000-20000-30000", PortRange{}, false},
		{"010000-20000", PortRange{}, false},
		{"ten-twenty", PortRange{}, false},
		{"", PortRange{}, false},
	}
	for _, tc := range tests {
		got, err := ParsePortRange(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePortRange(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "10000-20000") {
			t.Errorf("ParsePortRange(%q): error %q shows no example", tc.in, err)
		}
	}
}

func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"10000-20000", "1024-65535", "10001-20000", "-", "99999-100000", "0-0", "1e4-2e4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePortRange(s)
		if err != nil {
			if r != (PortRange{}) {
				t.Fatalf("%q: error with a range %v", s, r)
			}
			return
		}
		if r.Min < 1024 || r.Max > 65535 || r.Min >= r.Max || r.Min%2 != 0 {
			t.Fatalf("%q: accepted %v", s, r)
		}
		if again, err := ParsePortRange(r.String()); err != nil || again != r {
			t.Fatalf("%q: %v does not round-trip: %v, %v", s, r, again, err)
		}
	})
}

func TestSIPTransportSettings(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		want  string // part of the error; empty: no error
		check func(Config) bool
	}{
		{"tls needs a certificate", []string{"--sip-tls", "127.0.0.1:5061"}, nil, "tls-cert and tls-key", nil},
		{"wss needs a certificate", nil, map[string]string{"CALLFLOOR_SIP_WSS": "127.0.0.1:7443"}, "tls-cert and tls-key", nil},
		{"cert without key", []string{"--sip-tls", "127.0.0.1:5061", "--tls-cert", cert}, nil, "go together", nil},
		{"key without cert", []string{"--tls-key", key}, nil, "go together", nil},
		{"tls and wss", []string{"--sip-tls", "127.0.0.1:5061", "--sip-wss", "127.0.0.1:7443"},
			map[string]string{"CALLFLOOR_TLS_CERT": cert, "CALLFLOOR_TLS_KEY": key}, "", func(c Config) bool {
				return c.SIPTLS == "127.0.0.1:5061" && c.SIPWSS == "127.0.0.1:7443" && c.TLSCert == cert && c.TLSKey == key
			}},
		{"certificate alone is fine", []string{"--tls-cert", cert, "--tls-key", key}, nil, "", func(c Config) bool { return c.SIPTLS == "" }},
		{"keepalive off", []string{"--sip-keepalive", "0"}, nil, "", func(c Config) bool { return c.SIPKeepalive == 0 }},
		{"keepalive", nil, map[string]string{"CALLFLOOR_SIP_KEEPALIVE": "90s"}, "", func(c Config) bool { return c.SIPKeepalive == 90*time.Second }},
		{"keepalive too often", []string{"--sip-keepalive", "1s"}, nil, "--sip-keepalive", nil},
		{"keepalive not a duration", []string{"--sip-keepalive", "often"}, nil, "--sip-keepalive", nil},
		{"rtp ports", []string{"--rtp-ports", "40000-40999"}, nil, "", func(c Config) bool { return c.RTPPorts == PortRange{40000, 40999} }},
		{"rtp ports from env", nil, map[string]string{"CALLFLOOR_RTP_PORTS": "20000-29999"}, "", func(c Config) bool { return c.RTPPorts == PortRange{20000, 29999} }},
		{"bad rtp ports", []string{"--rtp-ports", "40001-40999"}, nil, "--rtp-ports", nil},
		{"bad rtp ports from env", nil, map[string]string{"CALLFLOOR_RTP_PORTS": "5000"}, "CALLFLOOR_RTP_PORTS", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig("serve", tc.args, envMap(tc.env), false, nil)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

// writeTestCert writes a fresh self-signed certificate for 127.0.0.1 and
// its key as PEM files and returns their paths and a pool trusting it.
func writeTestCert(t *testing.T) (cert, key string, roots *x509.CertPool, keyPEM []byte) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "callfloor test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(leaf)
	return cert, key, roots, keyPEM
}

// The server serves SIP over TLS and secure WebSocket with the configured
// certificate; a bad certificate stops it with an error that names the
// files and shows nothing of the key.
func TestSIPOverTLSListeners(t *testing.T) {
	cert, key, roots, keyPEM := writeTestCert(t)
	keyLine := strings.Split(string(keyPEM), "\n")[1]
	var logs bytes.Buffer
	open := func(cert, key string) (*Main, error) {
		cfg := DefaultConfig()
		cfg.Data, cfg.HTTP, cfg.SIP = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
		cfg.SIPTLS, cfg.SIPWSS, cfg.TLSCert, cfg.TLSKey = "127.0.0.1:0", "127.0.0.1:0", cert, key
		m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		m.Hasher = password.New(password.Fast)
		return m, m.Open(context.Background())
	}

	m, err := open(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	for transport, ln := range map[string]net.Listener{"TLS": m.sipTLS, "WSS": m.sipWSS} {
		req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port})
		req.SetTransport(transport)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		res, err := client.Do(ctx, req)
		cancel()
		if err != nil || res.StatusCode != sip.StatusOK {
			t.Fatalf("OPTIONS over %s: %v %v", transport, res, err)
		}
	}

	for _, tc := range []struct{ cert, key, want string }{
		{cert, filepath.Join(t.TempDir(), "none.pem"), "none.pem"},
		{key, cert, "tls-cert " + key}, // swapped
	} {
		m, err := open(tc.cert, tc.key)
		if err == nil {
			m.Close()
			t.Fatalf("opened with cert %s, key %s", tc.cert, tc.key)
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), keyLine) {
			t.Fatalf("error %q", err)
		}
	}
	if strings.Contains(logs.String(), keyLine) {
		t.Fatal("the key was logged")
	}
}

// In YAML the allow list may be a list or one comma-separated string.
func TestConfigSIPAllowYAML(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"list":   "sip_allow:\n  - 192.0.2.0/24\n  - 2001:db8::/64\n",
		"string": "sip_allow: 192.0.2.0/24,2001:db8::/64\n",
	} {
		file := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig("serve", []string{"--config", file}, envMap(nil), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatPrefixes(c.SIPAllow); got != "192.0.2.0/24,2001:db8::/64" {
			t.Errorf("%s: allow %s", name, got)
		}
	}
}

// TestMetricsListen: with metrics-listen the metrics are served on their
// own address, without a token, and not on the API's address.
func TestMetricsListen(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data, cfg.HTTP, cfg.SIP = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.MetricsListen = "127.0.0.1:0"
	m := NewMain(cfg, slog.New(slog.DiscardHandler))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	get := func(url string) (int, string) {
		t.Helper()
		for range 50 {
			resp, err := http.Get(url)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		t.Fatalf("%s never answered", url)
		return 0, ""
	}
	if code, body := get("http://" + m.metricsLn.Addr().String() + "/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics listener: %d %.200s", code, body)
	}
	if code, _ := get(m.URL() + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("the API's /metrics without a token setting: %d", code)
	}
	if code, body := get("http://" + m.metricsLn.Addr().String() + "/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("heap profile on the metrics listener: %d %.200s", code, body)
	}
	if _, body := get(m.URL() + "/debug/pprof/heap?debug=1"); strings.Contains(body, "heap profile") {
		t.Fatal("the API's address serves profiles")
	}
}

// TestDemoServesSIPOverWebSocket: the demo's agents are browser phones,
// so `callfloor demo` serves SIP over WebSocket unless told otherwise;
// `serve` does not.
func TestDemoServesSIPOverWebSocket(t *testing.T) {
	for _, tc := range []struct {
		name string
		demo bool
		args []string
		want string
	}{
		{"demo", true, nil, DemoSIPWS},
		{"demo, another address", true, []string{"--sip-ws", "127.0.0.1:0"}, "127.0.0.1:0"},
		{"demo, off", true, []string{"--sip-ws", ""}, ""},
		{"serve", false, nil, ""},
	} {
		c, err := LoadConfig(tc.name, tc.args, envMap(nil), tc.demo, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.SIPWS != tc.want {
			t.Errorf("%s: sip-ws %q, want %q", tc.name, c.SIPWS, tc.want)
		}
	}
}
