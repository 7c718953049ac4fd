package api

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
)

// The stream's events leave the server as frames encoded ahead: for a
// whole-account stream (a supervisor's or an admin's) each batch the hub
// publishes is encoded once, by the first such stream of the account to
// reach it, and its frames are written as they are to every such
// stream; a stream behind by several batches gets them all in one
// write. An agent's stream, which sees its own extension only, encodes
// its own.

// streamFrames are the messages a stream sends for a batch of events,
// each one whole WebSocket text frame, one after another, ready to write.
type streamFrames struct {
	data []byte
	last int64 // the seq of the last event among them; 0: none
	err  error
}

// maxStreamBatch bounds the events sent before the agents they touched
// are looked up again.
const maxStreamBatch = 256

// framesOf is the frames of each of batches for st: shared by every
// whole-account stream of the account, or st's own.
func (st *streamConn) framesOf(ctx context.Context, batches []*bus.Batch) ([]streamFrames, error) {
	runs := make([][]callfloor.Event, 0, len(batches))
	for _, b := range batches {
		if b.AccountID != st.account {
			// Never: the hub keeps each account's subscribers apart.
			return nil, errors.New("api: the stream was given another account's events")
		}
		runs = append(runs, b.Events)
	}
	if st.scope != 0 {
		return st.s.encodeFrames(ctx, st.account, st.scope, runs)
	}
	if err := st.s.shareFrames(ctx, st.account, batches); err != nil {
		return nil, err
	}
	out := make([]streamFrames, len(batches))
	for i, b := range batches {
		v, err := b.Shared(ctx)
		if err != nil {
			return nil, err
		}
		if out[i] = v.(streamFrames); out[i].err != nil {
			return nil, out[i].err
		}
	}
	return out, nil
}

// shareFrames encodes, for every whole-account stream of the account,
// the batches no other stream has claimed: together, with the agents
// looked up once for them all.
func (s *Server) shareFrames(ctx context.Context, account int64, batches []*bus.Batch) error {
	var mine []*bus.Batch
	var runs [][]callfloor.Event
	for _, b := range batches {
		if b.Claim() {
			mine = append(mine, b)
			runs = append(runs, b.Events)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	// Made for every stream of the account: not bound to this one's
	// request.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), streamWriteTimeout)
	defer cancel()
	frames, err := s.encodeFrames(ctx, account, 0, runs)
	for i, b := range mine {
		if err != nil {
			b.Share(streamFrames{err: err})
		} else {
			b.Share(frames[i])
		}
	}
	return err
}

// streamChunk is up to maxStreamBatch events of a run, as messages.
type streamChunk struct {
	run     int
	msgs    []StreamMessage
	touched map[int64]bool
}

// encodeFrames encodes each run of events as a stream of scope (0: the
// whole account, else an extension) sends them: the events it may see,
// in order, maxStreamBatch at a time, the last event of each carrying
// the views of the agents they touched as the floor has them now (one
// look-up for all the runs), so a client replaces its copy of those
// agents instead of working the rules out itself.
func (s *Server) encodeFrames(ctx context.Context, account, scope int64, runs [][]callfloor.Event) ([]streamFrames, error) {
	var chunks []streamChunk
	touched := map[int64]bool{}
	for r, events := range runs {
		for len(events) > 0 {
			n := min(len(events), maxStreamBatch)
			c := streamChunk{run: r, touched: map[int64]bool{}}
			c.msgs = streamMessages(events[:n], scope, c.touched)
			for ext := range c.touched {
				touched[ext] = true
			}
			chunks = append(chunks, c)
			events = events[n:]
		}
	}
	var views []AgentView
	if len(touched) > 0 {
		var err error
		if _, views, err = s.agentViewsOf(ctx, account, touched); err != nil {
			return nil, err
		}
	}
	frames := make([]streamFrames, len(runs))
	for _, c := range chunks {
		f := &frames[c.run]
		if len(c.touched) > 0 {
			c.msgs[lastEvent(c.msgs)].Agents = viewsOf(views, c.touched)
		}
		for _, m := range c.msgs {
			b, err := json.Marshal(m)
			if err != nil {
				return nil, err
			}
			f.data = appendTextFrame(f.data, b)
			if m.Type == "event" {
				f.last = m.Seq
			}
		}
	}
	return frames, nil
}

// streamMessages are the messages of the events a stream of scope may
// see; touched gets the extensions of those events.
func streamMessages(events []callfloor.Event, scope int64, touched map[int64]bool) []StreamMessage {
	var msgs []StreamMessage
	for i := range events {
		ev := &events[i]
		if ev.Seq == 0 {
			// A live figure (queue.stats): for the boards, not
			// part of the sequence a client resumes from.
			if scope == 0 {
				msgs = append(msgs, StreamMessage{Type: "live", Event: ev})
			}
			continue
		}
		if scope != 0 && ev.ExtensionID != scope {
			continue
		}
		if ev.ExtensionID != 0 {
			touched[ev.ExtensionID] = true
		}
		msgs = append(msgs, StreamMessage{Type: "event", Seq: ev.Seq, Event: ev})
	}
	return msgs
}

// lastEvent is the index of the last "event" message of msgs, which has
// one.
func lastEvent(msgs []StreamMessage) int {
	i := len(msgs) - 1
	for msgs[i].Type != "event" {
		i--
	}
	return i
}

// viewsOf is the views of the extensions in only, in views' order.
func viewsOf(views []AgentView, only map[int64]bool) []AgentView {
	out := make([]AgentView, 0, len(only))
	for _, v := range views {
		if only[v.ExtensionID] {
			out = append(out, v)
		}
	}
	return out
}

// appendTextFrame appends payload to dst as one final, unmasked WebSocket
// text frame, as a server sends it (RFC 6455, section 5.2).
func appendTextFrame(dst, payload []byte) []byte {
	const finText = 0x81
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, finText, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finText, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, finText, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// maxStreamWrite bounds the bytes written under one write deadline: a
// client must take each such part within streamWriteTimeout.
const maxStreamWrite = 1 << 20

// frameConn is a stream's connection beneath the WebSocket library. The
// library writes through it (the snapshot, the replies, pings, the close);
// the stream writes its encoded frames straight to it, several in one
// system call. Each write is whole frames, under mu, so the two never
// interleave.
type frameConn struct {
	net.Conn
	mu sync.Mutex
}

func (c *frameConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.Write(p)
}

// writeFrames writes frames, each whole frames, in order; the client
// must take each maxStreamWrite bytes of them within timeout.
func (c *frameConn) writeFrames(frames [][]byte, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.Conn.SetWriteDeadline(time.Time{})
	for len(frames) > 0 {
		n, size := 0, 0
		for n < len(frames) && (n == 0 || size+len(frames[n]) <= maxStreamWrite) {
			size += len(frames[n])
			n++
		}
		if err := c.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
		part := net.Buffers(frames[:n])
		if _, err := part.WriteTo(c.Conn); err != nil {
			return err
		}
		frames = frames[n:]
	}
	return nil
}

// upgradeWriter is the ResponseWriter the WebSocket library upgrades:
// its Hijack puts a frameConn under the library, kept in conn.
type upgradeWriter struct {
	http.ResponseWriter
	conn *frameConn
}

func (w *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &frameConn{Conn: c}
	// The writer is the hijacked connection's, empty: it writes through
	// the frameConn from now on.
	brw.Writer.Reset(w.conn)
	return w.conn, brw, nil
}
