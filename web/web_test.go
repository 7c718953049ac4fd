package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// apiStub answers like the API: JSON for its own paths.
var apiStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTeapot)
	io.WriteString(w, `{"api":"`+r.URL.Path+`"}`)
})

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestHandlerServesTheAppAndTheAPI(t *testing.T) {
	h := Handler(apiStub, Options{})
	for _, tt := range []struct {
		method, path string
		status       int
		want         string // in the body
		cache        string
	}{
		{"GET", "/", 200, `<div id="root">`, "no-cache"},
		{"GET", "/workspace", 200, `<div id="root">`, "no-cache"}, // a screen's path is the app's page
		{"HEAD", "/", 200, "", "no-cache"},
		{"GET", "/api/v1/auth/me", http.StatusTeapot, `"api":"/api/v1/auth/me"`, ""},
		{"GET", "/api/nope", http.StatusTeapot, `"api":"/api/nope"`, ""},
		{"GET", "/healthz", http.StatusTeapot, `"api":"/healthz"`, ""},
		{"GET", "/metrics", http.StatusTeapot, `"api":"/metrics"`, ""},
		{"POST", "/", http.StatusTeapot, `"api":"/"`, ""}, // only pages are GET: the API answers the rest
		{"GET", "/assets/missing-1234.js", 404, "", ""},
		{"GET", "/../../etc/passwd", 200, `<div id="root">`, "no-cache"},
	} {
		w := get(t, h, tt.method, tt.path)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s %s: %d %q", tt.method, tt.path, w.Code, w.Body.String())
		}
		if got := w.Header().Get("Cache-Control"); got != tt.cache {
			t.Errorf("%s %s: Cache-Control %q, want %q", tt.method, tt.path, got, tt.cache)
		}
	}
}

func TestHandlerServesHashedAssetsForAYear(t *testing.T) {
	h := Handler(apiStub, Options{})
	page := get(t, h, "GET", "/").Body.String()
	i := strings.Index(page, "/assets/")
	if i < 0 {
		t.Fatalf("the page names no asset: %s", page)
	}
	asset := page[i : i+strings.IndexAny(page[i:], `"'`)]
	w := get(t, h, "GET", asset)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Body.Len() == 0 {
		t.Fatalf("%s: %d %q", asset, w.Code, w.Header().Get("Cache-Control"))
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "script-src") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
}

func TestHandlerProxiesToTheDevServer(t *testing.T) {
	dev := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "vite "+r.URL.Path)
	}))
	defer dev.Close()
	u, _ := url.Parse(dev.URL)
	h := Handler(apiStub, Options{DevURL: u})
	if w := get(t, h, "GET", "/src/main.tsx"); w.Body.String() != "vite /src/main.tsx" {
		t.Fatalf("dev page: %d %q", w.Code, w.Body.String())
	}
	if w := get(t, h, "GET", "/api/v1/auth/me"); w.Code != http.StatusTeapot {
		t.Fatalf("the API went to the dev server: %d %q", w.Code, w.Body.String())
	}
}

// TestConnectSources: the page may open sockets to the origins the
// server names (the page phone's SIP over WebSocket), and nowhere else.
func TestConnectSources(t *testing.T) {
	h := Handler(http.NotFoundHandler(), Options{ConnectSources: func() []string {
		return []string{"ws://127.0.0.1:5066", "ws://evil; script-src *"}
	}})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' ws://127.0.0.1:5066;") || strings.Contains(csp, "evil") {
		t.Errorf("CSP %q", csp)
	}
}
