package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Client sends messages.
type Client struct {
	http    *http.Client
	allow   bool
	maxRead int64
}

// ErrForbiddenAddress is the error of a URL whose host resolves to an
// address inside the network.
var ErrForbiddenAddress = errors.New("webhook: the address is inside the network (loopback, private, link-local or metadata)")

// NewClient returns a client that waits at most timeout for an answer.
// allowPrivate lets it reach loopback and private addresses (tests, or an
// integrator on the same network by an administrator's choice).
func NewClient(timeout time.Duration, allowPrivate bool) *Client {
	c := &Client{allow: allowPrivate, maxRead: 64 << 10}
	dialer := &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		if !c.allow && Internal(ap.Addr()) {
			return ErrForbiddenAddress
		}
		return nil
	}}
	c.http = &http.Client{
		Timeout: timeout,
		// A delivery worker sends up to 32 requests at once to one
		// endpoint (delivery.Config.Parallel): keeping that many
		// connections open spares a TCP (and TLS) handshake a request.
		Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil, MaxIdleConnsPerHost: 64,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout},
		// A redirect is an answer, never followed: it could lead inside.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// Internal reports whether a is an address inside the network: loopback,
// private, link-local (the clouds' metadata at 169.254.169.254 among
// them), unspecified or multicast, IPv4 or IPv6.
func Internal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) // carrier-grade NAT
}

// Result is how a delivery went.
type Result struct {
	ID      string        `json:"id"`
	Status  int           `json:"status"`
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"-"`
	// LatencyMS is Latency in milliseconds, for people.
	LatencyMS int64 `json:"latency_ms"`
	// Excerpt is the start of the answer's body (1,000 characters at
	// most), or why there was none.
	Excerpt string `json:"excerpt"`
	// RetryAfter is the answer's Retry-After (0: none).
	RetryAfter time.Duration `json:"-"`
}

// Send posts body (JSON) to url, signed with secret under a new message
// id, and says how it went; the error is for a request that could not be
// made or answered.
func (c *Client) Send(ctx context.Context, url, secret string, body []byte, now time.Time) (Result, error) {
	return c.Deliver(ctx, url, []string{secret}, Message{ID: NewMessageID(), Timestamp: now, Body: body})
}

// Message is one message to deliver: its webhook-id (the same on every
// try of it), its webhook-timestamp and its JSON body.
type Message struct {
	ID        string
	Timestamp time.Time
	Body      []byte
}

// Deliver posts m to url, signed with each of secrets (a rotation's new
// and old secret sign side by side), and says how it went; the error is
// for a request that could not be made or answered (see Reason).
func (c *Client) Deliver(ctx context.Context, url string, secrets []string, m Message) (Result, error) {
	r := Result{ID: m.ID}
	sig, err := SignAll(secrets, m.ID, m.Timestamp, m.Body)
	if err != nil {
		return r, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Body))
	if err != nil {
		return r, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "callfloor-webhooks/1")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(m.Timestamp.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	res, err := c.http.Do(req)
	r.Latency = time.Since(start)
	r.LatencyMS = r.Latency.Milliseconds()
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return r, ErrForbiddenAddress
		}
		return r, fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, c.maxRead))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	r.Status, r.OK = res.StatusCode, res.StatusCode >= 200 && res.StatusCode < 300
	r.Excerpt = excerpt(b)
	r.RetryAfter = retryAfter(res.Header.Get("Retry-After"), time.Now())
	return r, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Reason says in a few words why a request got no answer, for people
// (an attempt log): never the URL or anything secret.
func Reason(err error) string {
	var ne net.Error
	var oe *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrForbiddenAddress):
		return "refused: the address is inside the network"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout: no answer in time"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &oe) && oe.Op == "dial":
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return "the host name does not resolve"
		}
		return "could not connect"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "TLS handshake failed"
	}
	return "the request failed"
}

// excerpt is the start of an answer, as valid text.
func excerpt(b []byte) string {
	const max = 1000
	s := string(bytes.ToValidUTF8(b, []byte("?")))
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}
