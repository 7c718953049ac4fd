package forward

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/callfloor/callfloor"
)

// Client forwards requests to the node that serves their account.
type Client struct {
	nc    *nats.Conn
	cfg   Config
	chunk int
	log   *slog.Logger
	stats stats

	// One subscription, made at the first request, takes the answers to
	// every request: <inbox>.<try>.r, and the owner's pulls of a body at
	// <inbox>.<try>.b; dispatch hands each to its try.
	mu      sync.Mutex
	sub     *nats.Subscription
	inbox   string
	next    uint64
	waiting map[string]chan *nats.Msg
}

// NewClient returns a Client that forwards over nc. The connection must
// support headers (nats-server 2.2 or later): that is how NATS says that
// nobody serves an account.
func NewClient(nc *nats.Conn, cfg Config) *Client {
	cfg = cfg.withDefaults()
	return &Client{nc: nc, cfg: cfg, chunk: chunkSize(cfg, nc.MaxPayload()), log: cfg.Logger}
}

// Stats returns the client's counts so far.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// ErrCut is the cause of Forward's error when the owner's answer broke
// off after its head was passed on to w.
var ErrCut = errors.New("forward: the answer was cut")

// outcome is how one try ended.
type outcome int

const (
	answered     outcome = iota // passed on whole
	noResponders                // nobody serves the account: try again
	notOwner                    // the node that answered does not own it: try again
	timedOut                    // the owner did not answer in time
	ended                       // ctx ended
	broken                      // unreadable answer, or the owner gave up, before the head
	refused                     // the request cannot travel: nothing was sent
	cut                         // the answer broke off after the head
)

// Forward sends r to the node that serves accountID and passes its
// answer on to w, as if the request had run here. The request's body is
// read whole first: one above MaxBody is answered payload_too_large
// (413) and not sent. While no node serves the account, or the one
// that answered no longer owns it, the request is sent again after a
// wait that doubles from 10 ms to 250 ms, for up to RetryFor; then the
// answer is not_owner (503). An owner that received the request and did
// not answer within Timeout, or stopped answering for as long in the
// middle of a body, makes it owner_timeout (504): the request may have
// run, so it is never sent again.
//
// Forward returns an error wrapping ErrCut only when the answer broke
// off after its head was written to w; the caller should then end the
// connection (panic(http.ErrAbortHandler)) so that the client does not
// take the short body for the whole. Every other outcome is an answer
// in w and a nil error.
func (c *Client) Forward(ctx context.Context, accountID int64, w http.ResponseWriter, r *http.Request) error {
	start := c.cfg.Clock.Now()
	c.stats.add(func(s *Stats) { s.Requests++ })
	body, err := c.readBody(r)
	if err != nil {
		if callfloor.ErrorCode(err) == callfloor.ErrPayloadTooLarge {
			c.stats.add(func(s *Stats) { s.TooLarge++ })
		}
		writeError(w, err)
		return nil
	}
	q := &wireRequest{
		Method: r.Method, URI: r.RequestURI, Host: r.Host, RemoteAddr: r.RemoteAddr,
		TLS: r.TLS != nil, Header: requestHeader(r.Header),
	}
	if q.URI == "" {
		q.URI = r.URL.RequestURI()
	}
	subject := Subject(c.cfg.Prefix, accountID)
	log := func(level slog.Level, msg string, args ...any) {
		c.log.Log(ctx, level, msg, append([]any{"account", accountID, "method", r.Method, "uri", q.URI}, args...)...)
	}
	deadline := start.Add(c.cfg.RetryFor)
	for try := 1; ; try++ {
		out, err := c.try(ctx, subject, q, body, w)
		now := c.cfg.Clock.Now()
		switch out {
		case answered:
			c.stats.observe(now.Sub(start))
			return nil
		case noResponders, notOwner:
			c.stats.add(func(s *Stats) {
				if out == noResponders {
					s.NoResponders++
				} else {
					s.NotOwner++
				}
			})
			if d, ok := nextWait(try, now, deadline); ok && err == nil && c.wait(ctx, d) {
				c.stats.add(func(s *Stats) { s.Retries++ })
				continue
			}
			c.stats.add(func(s *Stats) { s.GaveUp++ })
			log(slog.LevelWarn, "forward: no node answered for the account", "tries", try, "after", now.Sub(start), "error", err)
			writeError(w, callfloor.Errorf(callfloor.ErrNotOwner,
				"no node of the cluster took the request for account %d in %v; try again later",
				accountID, now.Sub(start).Round(time.Millisecond)))
			return nil
		case timedOut, ended:
			c.stats.add(func(s *Stats) { s.Timeouts++ })
			log(slog.LevelWarn, "forward: the owner did not answer in time", "after", now.Sub(start), "ended", out == ended)
			writeError(w, callfloor.Errorf(callfloor.ErrOwnerTimeout,
				"the node that owns account %d did not answer in time; the request may have been carried out", accountID))
			return nil
		case refused:
			c.stats.add(func(s *Stats) { s.TooLarge++ })
			writeError(w, err)
			return nil
		case broken:
			c.stats.add(func(s *Stats) { s.Failed++ })
			log(slog.LevelError, "forward: the owner's answer is unusable", "error", err)
			writeError(w, callfloor.Errorf(callfloor.ErrInternal, "the node that owns account %d failed to answer", accountID))
			return nil
		default: // cut
			c.stats.add(func(s *Stats) { s.Failed++ })
			log(slog.LevelError, "forward: the owner's answer broke off", "error", err)
			return fmt.Errorf("%w: %w", ErrCut, err)
		}
	}
}

// nextWait is the wait after the try-th try (from 1) ended at now: 10 ms
// after the first, twice as long after each next up to 250 ms, and
// never past the deadline, where the last try goes. It reports false at
// the deadline: no more tries.
func nextWait(try int, now, deadline time.Time) (time.Duration, bool) {
	if !now.Before(deadline) {
		return 0, false
	}
	d := firstBackoff
	for i := 1; i < try && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff, deadline.Sub(now)), true
}

// wait waits d on the clock; false when ctx ended first.
func (c *Client) wait(ctx context.Context, d time.Duration) bool {
	t := c.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}

// tooLarge is the refusal of a body above MaxBody.
func (c *Client) tooLarge() error {
	return callfloor.Errorf(callfloor.ErrPayloadTooLarge, "the request body is larger than %d bytes", c.cfg.MaxBody)
}

// readBody reads r's body whole, refusing one above MaxBody.
func (c *Client) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > c.cfg.MaxBody {
		return nil, c.tooLarge()
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, c.cfg.MaxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case int64(len(b)) > c.cfg.MaxBody || errors.As(err, &mbe):
		return nil, c.tooLarge()
	case err != nil:
		return nil, callfloor.Errorf(callfloor.ErrInvalidJSON, "the request body could not be read: %v", err)
	}
	return b, nil
}

// requestHeader copies h without hop-by-hop fields and Content-Length
// (the owner sets it from the body).
func requestHeader(h http.Header) http.Header {
	out := cleanHeader(h)
	out.Del("Content-Length")
	out.Del(HeaderNotOwner)
	return out
}

// try sends the request once and passes an answer on to w.
func (c *Client) try(ctx context.Context, subject string, q *wireRequest, body []byte, w http.ResponseWriter) (outcome, error) {
	inbox, ch, err := c.register()
	if err != nil {
		return noResponders, err
	}
	defer c.unregister(inbox)
	replySubject, bodySubject := inbox+".r", inbox+".b"
	q.Pulled, q.Body, q.BodyLen, q.BodySubject = false, body, int64(len(body)), ""
	data := appendRequest(nil, q)
	if int64(len(data)) > c.nc.MaxPayload() {
		q.Pulled, q.Body, q.BodySubject = true, nil, bodySubject
		if data = appendRequest(nil, q); int64(len(data)) > c.nc.MaxPayload() {
			return refused, callfloor.Errorf(callfloor.ErrPayloadTooLarge,
				"the request's header fields take %d bytes, more than the cluster carries in a message", len(data))
		}
	}
	if err := c.nc.PublishMsg(&nats.Msg{Subject: subject, Reply: replySubject, Data: data}); err != nil {
		if c.nc.IsClosed() {
			return noResponders, err
		}
		return noResponders, nil
	}

	var seq uint64
	head := false
	timer := c.cfg.Clock.NewTimer(c.cfg.Timeout)
	defer func() { timer.Stop() }()
	fail := func(err error) (outcome, error) {
		if head {
			return cut, err
		}
		return broken, err
	}
	for {
		var m *nats.Msg
		select {
		case <-ctx.Done():
			if head {
				return cut, ctx.Err()
			}
			return ended, ctx.Err()
		case <-timer.C():
			if head {
				return cut, errors.New("the owner stopped sending the answer")
			}
			return timedOut, nil
		case m = <-ch:
		}
		timer.Stop()
		timer = c.cfg.Clock.NewTimer(c.cfg.Timeout)
		if m.Subject == bodySubject {
			c.servePull(m, body)
			continue
		}
		if seq == 0 && len(m.Data) == 0 && m.Header.Get("Status") == "503" {
			return noResponders, nil
		}
		rep, err := decodeReply(m.Data)
		if err != nil {
			return fail(err)
		}
		if rep.Seq != seq {
			return fail(fmt.Errorf("answer message %d arrived when %d was due", rep.Seq, seq))
		}
		seq++
		switch rep.Kind {
		case kindAbort:
			return fail(fmt.Errorf("the owner gave up: %s", rep.Reason))
		case kindHead:
			if rep.NotOwner {
				return notOwner, nil
			}
			copyHeader(w.Header(), rep.Header)
			w.WriteHeader(rep.Status)
			head = true
		case kindBody:
			if !head {
				return broken, errors.New("body before the head")
			}
		}
		if len(rep.Body) > 0 {
			if _, err := w.Write(rep.Body); err != nil {
				return cut, err
			}
		}
		if m.Reply != "" {
			_ = http.NewResponseController(w).Flush()
			if err := c.nc.Publish(m.Reply, nil); err != nil {
				return cut, err
			}
		}
		if rep.Last {
			return answered, nil
		}
	}
}

// register makes the subject of one try and the channel its messages
// arrive on.
func (c *Client) register() (string, chan *nats.Msg, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sub == nil || !c.sub.IsValid() {
		inbox := c.nc.NewInbox() + "."
		sub, err := c.nc.Subscribe(inbox+"*.*", func(m *nats.Msg) { c.dispatch(inbox, m) })
		if err != nil {
			return "", nil, fmt.Errorf("forward: subscribe to the answers: %w", err)
		}
		// Each try has at most Window messages unacknowledged: the
		// memory is bounded by the tries under way, not by this limit.
		_ = sub.SetPendingLimits(-1, -1)
		c.sub, c.inbox, c.waiting = sub, inbox, map[string]chan *nats.Msg{}
	}
	c.next++
	subject := c.inbox + strconv.FormatUint(c.next, 36)
	// The answer has at most Window messages unacknowledged; pulls of the
	// body come one at a time.
	ch := make(chan *nats.Msg, c.cfg.Window+8)
	c.waiting[subject] = ch
	return subject, ch, nil
}

func (c *Client) unregister(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiting, subject)
}

// dispatch hands a message to its try. A try that does not keep up
// loses it, and sees the gap in the numbers.
func (c *Client) dispatch(inbox string, m *nats.Msg) {
	rest, ok := strings.CutPrefix(m.Subject, inbox)
	if !ok {
		return
	}
	try, _, _ := strings.Cut(rest, ".")
	c.mu.Lock()
	ch := c.waiting[inbox+try]
	c.mu.Unlock()
	if ch == nil {
		return // a try that ended: a late answer, or one to a try that gave up
	}
	select {
	case ch <- m:
	default:
		c.log.Warn("forward: a message for a try that does not keep up was dropped", "subject", m.Subject)
	}
}

// servePull answers the owner's pull of the body from an offset.
func (c *Client) servePull(m *nats.Msg, body []byte) {
	off, n := binary.Uvarint(m.Data)
	if n <= 0 || off > uint64(len(body)) || m.Reply == "" {
		return // the owner's pull times out
	}
	end := min(off+uint64(c.chunk), uint64(len(body)))
	_ = c.nc.Publish(m.Reply, body[off:end])
}

// copyHeader adds the owner's header fields to dst, without those the
// client keeps to itself.
func copyHeader(dst, src http.Header) {
	for name, vs := range src {
		if name == HeaderNotOwner {
			continue
		}
		for _, v := range vs {
			dst.Add(name, v)
		}
	}
}

// errorStatus is the status of each error Forward answers itself.
var errorStatus = map[string]int{
	callfloor.ErrPayloadTooLarge: http.StatusRequestEntityTooLarge,
	callfloor.ErrInvalidJSON:     http.StatusBadRequest,
	callfloor.ErrNotOwner:        http.StatusServiceUnavailable,
	callfloor.ErrOwnerTimeout:    http.StatusGatewayTimeout,
	callfloor.ErrInternal:        http.StatusBadGateway,
}

// writeError answers err in the API's error shape.
func writeError(w http.ResponseWriter, err error) {
	code := callfloor.ErrorCode(err)
	status, ok := errorStatus[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, callfloor.ErrorMessage(err)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body) // the client went away; nothing to do
}
