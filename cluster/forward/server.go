package forward

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/callfloor/callfloor"
)

// Server runs the requests other nodes forward for the accounts this
// node serves through its http.Handler (the node's API).
type Server struct {
	nc    *nats.Conn
	h     http.Handler
	cfg   Config
	owns  func(accountID int64) bool
	chunk int
	log   *slog.Logger

	mu   sync.Mutex
	subs map[int64]*served
}

// served is one account's subscription and the requests it is running.
type served struct {
	sub      *nats.Subscription
	inFlight sync.WaitGroup
}

// NewServer returns a Server that runs forwarded requests through h.
// When owns is not nil, a request for an account it says this node does
// not own is answered "not the owner" without running h (a node may
// give an account up a moment before it stops serving it).
func NewServer(nc *nats.Conn, h http.Handler, owns func(accountID int64) bool, cfg Config) *Server {
	cfg = cfg.withDefaults()
	return &Server{nc: nc, h: h, cfg: cfg, owns: owns, chunk: chunkSize(cfg, nc.MaxPayload()),
		log: cfg.Logger, subs: map[int64]*served{}}
}

// Serve starts taking the account's forwarded requests; it returns once
// the NATS server knows of the subscription. Serving an account twice
// is serving it once.
func (s *Server) Serve(accountID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[accountID]; ok {
		return nil
	}
	sv := &served{}
	sub, err := s.nc.QueueSubscribe(Subject(s.cfg.Prefix, accountID), queue, func(m *nats.Msg) {
		// Callbacks of one subscription run one after the other: each
		// request gets a goroutine, so a slow one does not hold up the
		// next. Stop waits for them once the subscription has closed,
		// after which no callback adds to inFlight.
		sv.inFlight.Add(1)
		go func() {
			defer sv.inFlight.Done()
			s.handle(accountID, m)
		}()
	})
	if err != nil {
		return fmt.Errorf("forward: serve account %d: %w", accountID, err)
	}
	if err := s.nc.FlushTimeout(s.cfg.Timeout); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("forward: serve account %d: %w", accountID, err)
	}
	sv.sub = sub
	s.subs[accountID] = sv
	return nil
}

// Stop ends the account's subscription: the requests already delivered
// run to their end, and Stop returns once they have, or with ctx's error
// when it ends first (they still finish). Later requests find nobody
// serving the account and are retried by their clients.
func (s *Server) Stop(ctx context.Context, accountID int64) error {
	s.mu.Lock()
	sv := s.subs[accountID]
	delete(s.subs, accountID)
	s.mu.Unlock()
	if sv == nil {
		return nil
	}
	closed := sv.sub.StatusChanged(nats.SubscriptionClosed)
	if err := sv.sub.Drain(); err == nil {
		select {
		case <-closed:
		case <-ctx.Done():
			return ctx.Err()
		}
	} else if !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return fmt.Errorf("forward: stop account %d: %w", accountID, err)
	}
	done := make(chan struct{})
	go func() {
		sv.inFlight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	// The last answers are on their way out of this process.
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
	}
	if err := s.nc.FlushWithContext(ctx); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("forward: stop account %d: %w", accountID, err)
	}
	return nil
}

// Close stops every account as Stop does.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.subs))
	for id := range s.subs {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.Stop(ctx, id))
	}
	return errors.Join(errs...)
}

// Serving lists the accounts served, in no order.
func (s *Server) Serving() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.subs))
	for id := range s.subs {
		ids = append(ids, id)
	}
	return ids
}

// handle runs one forwarded request and sends its answer.
func (s *Server) handle(accountID int64, m *nats.Msg) {
	if m.Reply == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.WithValue(WithForwarded(context.Background()), accountKey{}, accountID))
	defer cancel()
	rw := &replyWriter{s: s, ctx: ctx, cancel: cancel, reply: m.Reply, header: http.Header{}}
	q, err := decodeRequest(m.Data)
	if err != nil {
		s.log.Warn("forward: unreadable request", "account", accountID, "error", err)
		rw.abort("the owner could not read the request")
		return
	}
	if s.owns != nil && !s.owns(accountID) {
		rw.header.Set(HeaderNotOwner, "1")
		rw.WriteHeader(http.StatusServiceUnavailable)
		rw.finish()
		return
	}
	u, _ := url.ParseRequestURI(q.URI) // decodeRequest checked it
	var body io.ReadCloser = http.NoBody
	switch {
	case q.Pulled && q.BodyLen > 0:
		body = &pullReader{s: s, ctx: ctx, subject: q.BodySubject, size: q.BodyLen}
	case len(q.Body) > 0:
		body = io.NopCloser(bytes.NewReader(q.Body))
	}
	r := (&http.Request{
		Method: q.Method, URL: u, RequestURI: q.URI,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: q.Header, Body: body, ContentLength: q.BodyLen,
		Host: q.Host, RemoteAddr: q.RemoteAddr,
	}).WithContext(ctx)
	if q.TLS {
		// The client's connection was TLS; its details stay there.
		r.TLS = &tls.ConnectionState{HandshakeComplete: true}
	}
	if s.run(r, rw) {
		rw.finish()
	}
}

// run runs the handler; it reports false when the handler panicked, and
// then the client has been told that the answer is cut.
func (s *Server) run(r *http.Request, rw *replyWriter) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				s.log.Error("forward: panic serving a forwarded request", "method", r.Method,
					"uri", r.RequestURI, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			rw.abort("the owner failed while answering")
			ok = false
		}
	}()
	s.h.ServeHTTP(rw, r)
	return true
}

// errAnswered refuses a write after the answer was sent.
var errAnswered = errors.New("forward: the answer has been sent")

// replyWriter is the handler's http.ResponseWriter: it keeps up to a
// chunk of body, then sends the head with it, then the body chunk by
// chunk. An answer that fits in one chunk goes as one message.
type replyWriter struct {
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc
	reply  string

	header   http.Header
	status   int
	headSent bool
	done     bool
	seq      uint64
	buf      []byte
	err      error // the client is gone: writes fail
}

func (w *replyWriter) Header() http.Header { return w.header }

func (w *replyWriter) WriteHeader(code int) {
	if w.status != 0 || code < 200 || code > 999 {
		return // 1xx answers are not passed on; a second status is ignored
	}
	w.status = code
}

func (w *replyWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, errAnswered
	}
	w.WriteHeader(http.StatusOK)
	w.buf = append(w.buf, p...)
	for len(w.buf) >= w.s.chunk && w.err == nil {
		w.send(w.buf[:w.s.chunk], false)
		w.buf = append(w.buf[:0], w.buf[w.s.chunk:]...)
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// Flush sends what is kept, the head with it if it has not gone yet.
func (w *replyWriter) Flush() {
	if w.err != nil || w.done {
		return
	}
	w.WriteHeader(http.StatusOK)
	if w.headSent && len(w.buf) == 0 {
		return
	}
	w.send(w.buf, false)
	w.buf = w.buf[:0]
}

// finish sends the rest of the answer, marked last.
func (w *replyWriter) finish() {
	if w.err != nil || w.done {
		return
	}
	w.WriteHeader(http.StatusOK)
	w.send(w.buf, true)
	w.buf = nil
	w.done = true
}

// abort tells the client that the answer will not come, or not whole.
func (w *replyWriter) abort(reason string) {
	if w.err != nil || w.done {
		return
	}
	w.done = true
	if err := w.s.nc.Publish(w.reply, appendAbort(nil, w.seq, reason)); err != nil {
		w.s.log.Warn("forward: could not tell the client that the answer is cut", "error", err)
	}
}

// send sends the head (with body, when it fits beside it) or more
// body.
func (w *replyWriter) send(body []byte, last bool) {
	if !w.headSent {
		w.headSent = true
		h := cleanHeader(w.header)
		notOwner := notOwnerAnswer(w.status, h, body, last)
		h.Del(HeaderNotOwner)
		head := appendHead(make([]byte, 0, len(body)+256), w.seq, w.status, h, last, notOwner, nil)
		if int64(len(head)+len(body)) <= w.s.nc.MaxPayload() {
			w.publish(append(head, body...), last)
			return
		}
		// Headers too large to go with the body: the head goes alone.
		w.publish(appendHead(head[:0], w.seq, w.status, h, false, notOwner, nil), false)
	}
	if w.err == nil {
		w.publish(appendBody(make([]byte, 0, len(body)+16), w.seq, last, body), last)
	}
}

// publish sends one message of the answer. Every Window-th message but
// the last waits for the client's acknowledgement.
func (w *replyWriter) publish(data []byte, last bool) {
	w.seq++
	var err error
	if !last && w.seq%uint64(w.s.cfg.Window) == 0 {
		ctx, cancel := context.WithTimeout(w.ctx, w.s.cfg.Timeout)
		_, err = w.s.nc.RequestWithContext(ctx, w.reply, data)
		cancel()
	} else {
		err = w.s.nc.Publish(w.reply, data)
	}
	if err != nil {
		w.err = fmt.Errorf("forward: the client is gone: %w", err)
		w.cancel()
	}
}

// cleanHeader copies h without what cannot travel: hop-by-hop fields and
// names or values net/http would not send either.
func cleanHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	hop := hopByHop(h)
	for name, vs := range h {
		if !isToken(name) || hop[http.CanonicalHeaderKey(name)] {
			continue
		}
		for _, v := range vs {
			if validHeaderValue(v) {
				out[name] = append(out[name], v)
			}
		}
	}
	return out
}

// notOwnerAnswer reports whether an answer says that this node does not
// own the account: the handler set HeaderNotOwner, or answered an error
// of code callfloor.ErrNotOwner in the API's error shape. Only an answer
// whole in its first message can say so.
func notOwnerAnswer(status int, h http.Header, body []byte, whole bool) bool {
	if h.Get(HeaderNotOwner) == "1" {
		return true
	}
	if !whole || status < 400 || len(body) > 64<<10 || !bytes.Contains(body, []byte(callfloor.ErrNotOwner)) {
		return false
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error.Code == callfloor.ErrNotOwner
}

// pullReader reads a body too large for the request's message from the
// client, a chunk at a time.
type pullReader struct {
	s       *Server
	ctx     context.Context
	subject string
	size    int64
	off     int64 // bytes received
	buf     []byte
	err     error
}

func (p *pullReader) Read(b []byte) (int, error) {
	if len(p.buf) == 0 && p.err == nil {
		p.pull()
	}
	if len(p.buf) == 0 {
		return 0, p.err
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

func (p *pullReader) pull() {
	if p.off >= p.size {
		p.err = io.EOF
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.s.cfg.Timeout)
	defer cancel()
	m, err := p.s.nc.RequestWithContext(ctx, p.subject, binary.AppendUvarint(nil, uint64(p.off)))
	switch {
	case err != nil:
		p.err = fmt.Errorf("forward: pull the request body from the client: %w", err)
	case len(m.Data) == 0 || int64(len(m.Data)) > p.size-p.off:
		p.err = fmt.Errorf("forward: the client sent %d bytes of body at %d of %d", len(m.Data), p.off, p.size)
	default:
		p.buf = m.Data
		p.off += int64(len(m.Data))
	}
}

func (p *pullReader) Close() error { return nil }

// hopByHop is the set of fields that concern one connection only: the
// standard ones and those that h's Connection field names.
func hopByHop(h http.Header) map[string]bool {
	hop := map[string]bool{
		"Connection": true, "Proxy-Connection": true, "Keep-Alive": true,
		"Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true,
		"Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	}
	for _, v := range h.Values("Connection") {
		for f := range bytes.SplitSeq([]byte(v), []byte(",")) {
			if name := string(bytes.TrimSpace(f)); name != "" {
				hop[http.CanonicalHeaderKey(name)] = true
			}
		}
	}
	return hop
}
