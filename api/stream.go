package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
)

// streamRoutes is the realtime WebSocket stream.
func streamRoutes() []route {
	return []route{
		{"GET", "/api/v1/stream", agent, http.StatusSwitchingProtocols, "stream", "stream",
			"Realtime floor over WebSocket: a snapshot, then every event in order. Reconnect with ?after=<last seq> to get what was missed (or a fresh snapshot when it is no longer kept). Agents see their own extension, supervisors and admins the whole account. The client may send floor requests as frames {id, method, path, body}; each is answered by a reply frame with the status and body HTTP would give. Frames are StreamMessage (sent) and StreamCommand (received). When the server ends the session it closes the socket with 4001 (logged out, password changed or reset) or 4003 (user disabled, deleted or given another role) and a reason to show; do not reconnect then.",
			read((*Server).stream).withQuery(queryParam{Name: "after", Description: "The seq of the last message received before a reconnection; the events after it are sent instead of a snapshot while they are kept."})},
	}
}

// StreamType is the kind of a StreamMessage: "snapshot", "event", "live"
// (a figure outside the sequence, such as a queue's queue.stats, for
// supervisors) or "reply".
type StreamType string

var streamTypes = []StreamType{"snapshot", "event", "live", "reply"}

// StreamMessage is one WebSocket text frame the server sends.
type StreamMessage struct {
	Type StreamType `json:"type"`
	// Seq is the account's sequence number the message brings the client
	// to; send the last one back as ?after= when reconnecting. On a reply,
	// the sequence number of the command's last event (0: it changed
	// nothing).
	Seq int64 `json:"seq"`
	// Now is the server's clock when a snapshot or a reply was sent, so a
	// client can correct its own clock's offset for durations.
	Now *time.Time `json:"now,omitempty"`
	// Agents are the agents a snapshot shows; on an event, the agents the
	// events up to it touched, as they are after them (a client replaces
	// its copy of each).
	Agents []AgentView      `json:"agents,omitempty"`
	Event  *callfloor.Event `json:"event,omitempty"`
	// ID, Status and Body answer a StreamCommand: the HTTP status and body
	// the same request would have got.
	ID     string          `json:"id,omitempty"`
	Status int             `json:"status,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// StreamCommand is a frame a client sends: one floor request (a path under
// /api/v1/floor/) over the open socket, run exactly as over HTTP with the
// connection's credentials, e.g.
// {"id":"7","method":"POST","path":"/api/v1/floor/me/pause","body":{"reason_id":2}}.
type StreamCommand struct {
	ID     string          `json:"id"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body,omitempty"`
}

const (
	streamPing         = 30 * time.Second
	streamWriteTimeout = 10 * time.Second
)

func (s *Server) stream(w http.ResponseWriter, r *http.Request) (rawJSON, error) {
	ctx := r.Context()
	a := actorOf(r)
	after := int64(-1)
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return rawJSON{}, callfloor.FieldError(callfloor.ErrInvalidField, "after", "after must be the sequence number of the last message received")
		}
		after = n
	}
	scope, err := s.streamScope(ctx, a)
	if err != nil {
		return rawJSON{}, err
	}
	uw := &upgradeWriter{ResponseWriter: w}
	c, err := websocket.Accept(uw, r, nil) // refuses cross-origin browsers
	if err != nil {
		return rawJSON{}, nil // Accept has answered
	}
	defer c.CloseNow()
	c.SetReadLimit(maxBody)
	st := &streamConn{s: s, c: c, raw: uw.conn, account: a.AccountID, scope: scope, creds: r.Header.Clone(), cookies: r.Cookies(),
		user: a.UserID, token: tokenFrom(ctx), tokenID: a.TokenID, kick: make(chan kick, 1)}
	s.streams.add(st)
	defer s.streams.remove(st)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go st.commands(ctx, cancel)
	err = st.run(ctx, after)
	if k, ok := kickOf(err); ok {
		c.Close(websocket.StatusCode(k.code), k.reason)
		return rawJSON{}, nil
	}
	switch {
	case err == nil, errors.Is(err, context.Canceled), websocket.CloseStatus(err) != -1:
		c.Close(websocket.StatusNormalClosure, "")
	default:
		s.log.Warn("stream ended", "account", a.AccountID, "user", a.UserID, "err", err)
		c.Close(websocket.StatusInternalError, "stream error; reconnect with ?after=<last seq>")
	}
	return rawJSON{}, nil
}

// streamScope is the extension an agent sees, or 0 for the whole account.
func (s *Server) streamScope(ctx context.Context, a callfloor.Actor) (int64, error) {
	if a.Role.AtLeast(callfloor.RoleSupervisor) {
		return 0, nil
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return 0, err
	}
	if u.ExtensionID == nil {
		return 0, callfloor.Errorf(callfloor.ErrNotAgent, "the stream shows an agent its own extension, and this user has none")
	}
	return *u.ExtensionID, nil
}

type streamConn struct {
	s       *Server
	c       *websocket.Conn
	raw     *frameConn // beneath c, for the events' frames
	account int64
	scope   int64
	last    int64
	// creds and cookies are the upgrade request's, for the commands.
	creds   http.Header
	cookies []*http.Cookie
	// user and token are whose the stream is; kick closes it (revoke.go).
	user    int64
	token   string
	tokenID int64 // the API token the stream was opened with, if any
	kick    chan kick
	// writeMu keeps each message whole on the socket: held for every
	// write of a message, through c or raw.
	writeMu sync.Mutex
	frames  [][]byte // reused by sendBatches
}

// run sends the snapshot (unless after is still covered by the hub) and
// then every visible event until the client goes. A client that falls
// behind is caught up from the hub, or sent a fresh snapshot.
func (st *streamConn) run(ctx context.Context, after int64) error {
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	for {
		sub, err := st.subscribe(ctx, after)
		if err != nil {
			return err
		}
		err = st.forward(ctx, sub, ping)
		overflowed := sub.Overflowed()
		sub.Close()
		if !overflowed {
			return err
		}
		after = st.last
	}
}

func (st *streamConn) subscribe(ctx context.Context, after int64) (*bus.Subscription, error) {
	seq, views, err := st.s.agentViews(ctx, st.account, st.scope)
	if err != nil {
		return nil, err
	}
	if st.s.cluster != nil {
		st.s.awaitHub(ctx, st.account, seq)
	}
	if after >= 0 {
		if sub, err := st.s.hub.Subscribe(st.account, after, seq); err == nil {
			st.last = after
			return sub, nil
		}
	}
	sub, err := st.s.hub.Subscribe(st.account, seq, seq)
	if err != nil {
		return nil, err
	}
	now := st.s.clock.Now()
	if err := st.send(ctx, StreamMessage{Type: "snapshot", Seq: seq, Now: &now, Agents: views}); err != nil {
		sub.Close()
		return nil, err
	}
	st.last = seq
	return sub, nil
}

// awaitHub waits, on a cluster node, until this node's hub has the
// account's events up to seq (they come from the owner through the
// cluster's event stream, a little after the owner's floor has them),
// so that a stream starting from a snapshot at seq is not sent events it
// already shows. It gives up after hubLag; the hub then starts a
// snapshot's client at what it has.
func (s *Server) awaitHub(ctx context.Context, accountID, seq int64) {
	wctx, cancel := context.WithTimeout(ctx, hubLag)
	defer cancel()
	if !s.hub.Await(wctx, accountID, seq) && ctx.Err() == nil {
		s.log.Warn("stream starts before this node's hub caught up with the account's owner",
			"account", accountID, "hub", s.hub.Last(accountID), "owner", seq)
	}
}

// hubLag bounds how long a stream waits for its node's hub to reach the
// owner's snapshot.
const hubLag = 2 * time.Second

func (st *streamConn) forward(ctx context.Context, sub *bus.Subscription, ping *time.Ticker) error {
	var batches []*bus.Batch
	// After each write the queue rests for streamGather, so that what
	// comes meanwhile goes in the next write, together.
	gather := time.NewTimer(0)
	defer gather.Stop()
	var ready <-chan struct{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case k := <-st.kick:
			return k
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
			err := st.c.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		case <-gather.C:
			ready = sub.Ready()
		case <-ready:
			var ok bool
			batches, ok = sub.Take(batches[:0])
			if !ok {
				return nil
			}
			err := st.sendBatches(ctx, batches)
			clear(batches)
			if err != nil {
				return err
			}
			ready = nil
			gather.Reset(streamGather)
		}
	}
}

// streamGather is how long a stream leaves its queue after a write: the
// most an event waits for the events after it, to go in the same write.
// With many streams, one write of several events instead of one write
// each saves the system calls that would otherwise take the CPU; a
// board repaints no faster anyway (16 ms: 60 frames a second).
const streamGather = 16 * time.Millisecond

// sendBatches sends the frames of every batch the client is behind by,
// in order, in one write.
func (st *streamConn) sendBatches(ctx context.Context, batches []*bus.Batch) error {
	fs, err := st.framesOf(ctx, batches)
	if err != nil {
		return err
	}
	frames, last := st.frames[:0], st.last
	for _, f := range fs {
		if len(f.data) > 0 {
			frames = append(frames, f.data)
		}
		if f.last != 0 {
			last = f.last
		}
	}
	st.frames = frames
	defer clear(frames)
	if len(frames) == 0 {
		return nil
	}
	st.writeMu.Lock()
	err = st.raw.writeFrames(frames, streamWriteTimeout)
	st.writeMu.Unlock()
	if err == nil {
		st.last = last
	}
	return err
}

func (st *streamConn) send(ctx context.Context, m StreamMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	return st.c.Write(wctx, websocket.MessageText, b)
}

// commands reads the client's frames and runs each as the HTTP request it
// names, through the server itself (authentication, role, validation and
// all), answering with a reply. It ends the stream when the client goes.
func (st *streamConn) commands(ctx context.Context, done context.CancelFunc) {
	defer done()
	for {
		_, data, err := st.c.Read(ctx)
		if err != nil {
			return
		}
		var cmd StreamCommand
		reply := StreamMessage{Type: "reply"}
		if err := json.Unmarshal(data, &cmd); err != nil {
			reply.Status, reply.Body = errorReply(callfloor.ErrInvalidJSON, "", "a command is a JSON object with id, method, path and body")
		} else {
			reply.ID = cmd.ID
			reply.Status, reply.Seq, reply.Body = st.run1(ctx, cmd)
		}
		now := st.s.clock.Now()
		reply.Now = &now
		if err := st.send(ctx, reply); err != nil {
			return
		}
	}
}

// run1 runs one command as an HTTP request.
func (st *streamConn) run1(ctx context.Context, cmd StreamCommand) (int, int64, json.RawMessage) {
	if !strings.HasPrefix(cmd.Path, "/api/v1/floor/") || strings.ContainsAny(cmd.Path, "?#") {
		status, body := errorReply(callfloor.ErrInvalidField, "path", "commands over the stream are floor requests: a path under /api/v1/floor/")
		return status, 0, body
	}
	if cmd.Method != "GET" && cmd.Method != "POST" && cmd.Method != "PUT" {
		status, body := errorReply(callfloor.ErrInvalidField, "method", "method must be GET, POST or PUT")
		return status, 0, body
	}
	var body io.Reader = http.NoBody
	if len(cmd.Body) > 0 && string(cmd.Body) != "null" {
		body = bytes.NewReader(cmd.Body)
	}
	req, err := http.NewRequestWithContext(ctx, cmd.Method, cmd.Path, body)
	if err != nil {
		status, b := errorReply(callfloor.ErrInvalidField, "path", "path is not a valid URL path")
		return status, 0, b
	}
	if body != http.NoBody {
		req.Header.Set("Content-Type", "application/json")
	}
	if a := st.creds.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	for _, c := range st.cookies {
		req.AddCookie(c)
	}
	req.RemoteAddr = "stream"
	w := &replyWriter{header: http.Header{}, code: http.StatusOK}
	if !st.s.serveCommand(w, req) {
		status, b := errorReply(callfloor.ErrOwnerTimeout, "", "the answer from the node that owns the account broke off: the command may have been carried out")
		return status, 0, b
	}
	seq, _ := strconv.ParseInt(w.header.Get("X-Callfloor-Seq"), 10, 64)
	return w.code, seq, json.RawMessage(bytes.TrimSpace(w.body.Bytes()))
}

// serveCommand runs a stream's command through the server; false when
// the answer broke off (a cluster node's forwarded answer cut in the
// middle, which ServeHTTP passes on as http.ErrAbortHandler: net/http
// would recover it, but this goroutine is the stream's).
func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			ok = false
		}
	}()
	s.ServeHTTP(w, r)
	return true
}

// replyWriter collects the answer to a command run as a request.
type replyWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *replyWriter) Header() http.Header         { return w.header }
func (w *replyWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *replyWriter) WriteHeader(code int)        { w.code = code }

// errorReply is the status and body of an error answer.
func errorReply(code, field, message string) (int, json.RawMessage) {
	b, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: message, Field: field}})
	return errorStatus[code], b
}
