package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
)

// streamRoutes is the realtime WebSocket stream.
func streamRoutes() []route {
	return []route{
		{"GET", "/api/v1/stream", agent, http.StatusSwitchingProtocols, "stream", "stream",
			"Realtime floor over WebSocket: a snapshot, then every event in order. Reconnect with ?after=<last seq> to get what was missed (or a fresh snapshot when it is no longer kept). Agents see their own extension, supervisors and admins the whole account.",
			read((*Server).stream).withQuery(queryParam{Name: "after", Description: "The seq of the last message received before a reconnection; the events after it are sent instead of a snapshot while they are kept."})},
	}
}

// StreamMessage is one WebSocket text frame of the stream.
type StreamMessage struct {
	// Type is "snapshot" or "event".
	Type string `json:"type"`
	// Seq is the account's sequence number the message brings the client
	// to; send the last one back as ?after= when reconnecting.
	Seq    int64            `json:"seq"`
	Agents []AgentView      `json:"agents,omitempty"`
	Event  *callfloor.Event `json:"event,omitempty"`
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
	c, err := websocket.Accept(w, r, nil) // refuses cross-origin browsers
	if err != nil {
		return rawJSON{}, nil // Accept has answered
	}
	defer c.CloseNow()
	st := &streamConn{s: s, c: c, account: a.AccountID, scope: scope}
	err = st.run(c.CloseRead(ctx), after)
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
	account int64
	scope   int64
	last    int64
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
	if err := st.send(ctx, StreamMessage{Type: "snapshot", Seq: seq, Agents: views}); err != nil {
		sub.Close()
		return nil, err
	}
	st.last = seq
	return sub, nil
}

func (st *streamConn) forward(ctx context.Context, sub *bus.Subscription, ping *time.Ticker) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
			err := st.c.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		case ev, ok := <-sub.C():
			if !ok {
				return nil
			}
			if st.scope != 0 && ev.ExtensionID != st.scope {
				continue
			}
			if err := st.send(ctx, StreamMessage{Type: "event", Seq: ev.Seq, Event: &ev}); err != nil {
				return err
			}
			st.last = ev.Seq
		}
	}
}

func (st *streamConn) send(ctx context.Context, m StreamMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, streamWriteTimeout)
	defer cancel()
	return st.c.Write(wctx, websocket.MessageText, b)
}
