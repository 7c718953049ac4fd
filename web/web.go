// Package web serves the browser app (the Agent Workspace and the
// supervisors' and administrators' pages) next to the API: the bundle
// built from ui/ is embedded in the binary, so a server needs no Node.
// In development the pages come from the Vite dev server instead.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
)

// dist is the bundle `npm run build` writes from ui/ (committed, and
// checked to be up to date by make test).
//
//go:embed all:dist
var dist embed.FS

// Options change how the app is served.
type Options struct {
	// DevURL, when set, is the Vite dev server the pages are proxied to
	// (e.g. http://127.0.0.1:5173), so edits show without a build.
	DevURL *url.URL
	// ConnectSources, if set, names the other origins the page may open
	// sockets to (the SIP over WebSocket URL of browser phones), read on
	// each page load.
	ConnectSources func() []string
}

// Handler serves the API's paths with api and every other path with the
// app: a file of the bundle when there is one, else the app's page, whose
// router shows the screen the path names.
func Handler(api http.Handler, o Options) http.Handler {
	var app http.Handler
	if o.DevURL != nil {
		app = httputil.NewSingleHostReverseProxy(o.DevURL)
	} else {
		sub, err := fs.Sub(dist, "dist")
		if err != nil {
			panic(err) // the embed pattern guarantees the directory
		}
		app = &files{fs: sub}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			api.ServeHTTP(w, r) // the API's own 404 or 405, in its error shape
			return
		}
		var extra []string
		if o.ConnectSources != nil {
			extra = o.ConnectSources()
		}
		securityHeaders(w.Header(), o.DevURL != nil, extra)
		app.ServeHTTP(w, r)
	})
}

// isAPI reports whether p belongs to the API rather than to the app.
func isAPI(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || p == "/healthz" || p == "/metrics"
}

// securityHeaders keeps the app to its own origin: no inline scripts, no
// other hosts, no framing. Inline styles are allowed: the accessible
// widgets position popovers with them, and a style cannot run code. The
// dev server needs inline scripts and its own socket for hot reload.
func securityHeaders(h http.Header, dev bool, connect []string) {
	sources := "'self'"
	for _, c := range connect {
		if c != "" && !strings.ContainsAny(c, " ;,'\"") {
			sources += " " + c
		}
	}
	csp := "default-src 'self'; connect-src " + sources + "; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
		"font-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	if dev {
		csp = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
			"script-src 'self' 'unsafe-inline'; font-src 'self'; media-src 'self' blob:; object-src 'none'; frame-ancestors 'none'"
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

// files serves the embedded bundle. Hashed assets are cached for a year;
// the page itself is revalidated every time so a new build is picked up.
type files struct {
	fs fs.FS
}

func (f *files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(f.fs, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			http.ServeFileFS(w, r, f.fs, name)
			return
		}
		if path.Ext(name) != "" {
			// A missing file (an old asset, a typo) is a 404, not the page.
			http.NotFound(w, r)
			return
		}
	}
	page, err := fs.ReadFile(f.fs, "index.html")
	if err != nil {
		http.Error(w, "the web app was not built into this binary (cd ui && npm run build)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(page)
	}
}
