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
		Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil, MaxIdleConnsPerHost: 4,
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
}

// Send posts body (JSON) to url, signed with secret, and says how it went;
// the error is for a request that could not be made or answered.
func (c *Client) Send(ctx context.Context, url, secret string, body []byte, now time.Time) (Result, error) {
	r := Result{ID: NewMessageID()}
	sig, err := Sign(secret, r.ID, now, body)
	if err != nil {
		return r, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return r, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "callfloor-webhooks/1")
	req.Header.Set("webhook-id", r.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
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
	return r, nil
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
