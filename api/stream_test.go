package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/floor"
)

// streamRig is a real HTTP server over the harness, with a floor engine
// and a hub of ringSize events.
type streamRig struct {
	*harness
	url   string
	floor *floor.Floor
	hub   *bus.Hub
}

func newStreamRig(t *testing.T, ringSize int) *streamRig {
	r := &streamRig{}
	r.harness = newHarness(t, func(c *Config) {
		r.hub = bus.NewHub(ringSize, 100)
		r.floor = floor.New(floor.FloorConfig{Journal: c.Store, Clock: c.Clock.(callfloor.TimerClock),
			Publish: r.hub.Publish, LoadConfig: floor.StoreConfig(c.Store)})
		c.Floor, c.Hub = r.floor, r.hub
	})
	t.Cleanup(r.floor.Close)
	srv := httptest.NewServer(r.srv)
	t.Cleanup(srv.Close)
	r.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/stream"
	return r
}

type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func (r *streamRig) dial(token, query string) *wsClient {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, r.url+query, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		r.t.Fatalf("dial: %v (%v)", err, resp)
	}
	r.t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: r.t, c: c}
}

func (w *wsClient) next() StreamMessage {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	var m StreamMessage
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatal(err)
	}
	return m
}

func (r *streamRig) do(tn *tenant, in floor.Input) {
	r.t.Helper()
	if _, err := r.floor.Do(context.Background(), tn.acc.ID, in); err != nil {
		r.t.Fatal(err)
	}
}

func TestStreamSnapshotThenEvents(t *testing.T) {
	r := newStreamRig(t, 1000)
	a, b := r.seed("alpha"), r.seed("beta")
	sup := r.dial(a.supTok, "")
	snap := sup.next()
	if snap.Type != "snapshot" || len(snap.Agents) != 1 || snap.Agents[0].State != callfloor.StateLoggedOff {
		t.Fatalf("snapshot %+v", snap)
	}
	r.do(a, floor.Login{Ext: a.agentExt.ID})
	r.do(b, floor.Login{Ext: b.agentExt.ID}) // another account: never shown
	r.do(a, floor.Pause{Ext: a.agentExt.ID, ReasonID: a.reason.ID})
	for i, want := range []callfloor.EventType{callfloor.EventLoggedIn, callfloor.EventPaused} {
		m := sup.next()
		if m.Type != "event" || m.Event.Type != want || m.Event.AccountID != a.acc.ID || m.Seq != snap.Seq+int64(i)+1 {
			t.Fatalf("message %d: %+v", i, m)
		}
		if want == callfloor.EventPaused && (m.Event.State != callfloor.StatePaused || m.Event.Pause.Name != "alpha lunch") {
			t.Fatalf("pause event %+v", m.Event)
		}
	}
}

func TestStreamAgentSeesOnlyItself(t *testing.T) {
	r := newStreamRig(t, 1000)
	a := r.seed("alpha")
	if _, err := r.store.UpdateAccount(context.Background(), a.acc.ID, func(acc *callfloor.Account) error {
		acc.AgentLicences = 5
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	other := r.extension(a, "205", true)
	ag := r.dial(a.agentTok, "")
	if snap := ag.next(); len(snap.Agents) != 1 || snap.Agents[0].ExtensionID != a.agentExt.ID {
		t.Fatalf("agent snapshot %+v", snap)
	}
	r.do(a, floor.Login{Ext: other.ID}) // not shown: the next message is the agent's own
	r.do(a, floor.Login{Ext: a.agentExt.ID})
	if m := ag.next(); m.Event.ExtensionID != a.agentExt.ID || m.Event.Type != callfloor.EventLoggedIn {
		t.Fatalf("own event %+v", m)
	}
}

func TestStreamResumesAfterLastSeq(t *testing.T) {
	r := newStreamRig(t, 3)
	a := r.seed("alpha")
	ext := a.agentExt.ID
	sup := r.dial(a.supTok, "")
	start := sup.next().Seq
	r.do(a, floor.Login{Ext: ext})
	last := sup.next().Seq
	sup.c.CloseNow()

	// While away: two changes, still kept by the hub: no snapshot, just them.
	r.do(a, floor.Pause{Ext: ext, ReasonID: a.reason.ID})
	r.do(a, floor.Unpause{Ext: ext})
	back := r.dial(a.supTok, "?after="+itoa(last))
	for _, want := range []callfloor.EventType{callfloor.EventPaused, callfloor.EventUnpaused} {
		if m := back.next(); m.Type != "event" || m.Event.Type != want {
			t.Fatalf("resumed with %+v, want %s", m, want)
		}
	}
	back.c.CloseNow()

	// From the very start: the ring keeps 3 events, so a fresh snapshot.
	r.do(a, floor.Pause{Ext: ext, ReasonID: a.reason.ID})
	r.do(a, floor.Unpause{Ext: ext})
	old := r.dial(a.supTok, "?after="+itoa(start))
	if m := old.next(); m.Type != "snapshot" || m.Agents[0].State != callfloor.StateIdle {
		t.Fatalf("too old: %+v", m)
	}
}

func TestStreamRefusals(t *testing.T) {
	r := newStreamRig(t, 10)
	a := r.seed("alpha")
	tests := []struct {
		name, token, query string
		status             int
		code               string
	}{
		{"no credentials", "", "", 401, callfloor.ErrUnauthorized},
		{"bad after", a.supTok, "?after=x", 422, callfloor.ErrInvalidField},
		{"negative after", a.supTok, "?after=-1", 422, callfloor.ErrInvalidField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := r.do2(tc.token, "/api/v1/stream"+tc.query)
			wantError(t, w, tc.status, tc.code, errOf(t, w).Field)
		})
	}
}

func (r *streamRig) do2(token, path string) *httptest.ResponseRecorder {
	return r.harness.do(req{method: "GET", path: path, token: token})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func (w *wsClient) send(cmd StreamCommand) {
	w.t.Helper()
	b, _ := json.Marshal(cmd)
	if err := w.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
}

// reply reads until the reply to id, returning the events seen meanwhile.
func (w *wsClient) reply(id string) (StreamMessage, []StreamMessage) {
	w.t.Helper()
	var events []StreamMessage
	for {
		m := w.next()
		if m.Type == "reply" && m.ID == id {
			return m, events
		}
		events = append(events, m)
	}
}

func TestStreamCommands(t *testing.T) {
	r := newStreamRig(t, 1000)
	a := r.seed("alpha")
	ag := r.dial(a.agentTok, "")
	ag.next() // snapshot
	ag.send(StreamCommand{ID: "1", Method: "POST", Path: "/api/v1/floor/me/login"})
	rep, _ := ag.reply("1")
	if rep.Status != 200 || rep.Seq == 0 {
		t.Fatalf("login reply %+v", rep)
	}
	ag.send(StreamCommand{ID: "2", Method: "POST", Path: "/api/v1/floor/me/pause", Body: json.RawMessage(`{"reason_id":` + itoa(a.reason.ID) + `}`)})
	rep, _ = ag.reply("2")
	var view AgentView
	if err := json.Unmarshal(rep.Body, &view); err != nil || rep.Status != 200 || view.State != callfloor.StatePaused {
		t.Fatalf("pause reply %+v (%s)", rep, rep.Body)
	}
	tests := []struct {
		cmd    StreamCommand
		status int
		code   string
	}{
		{StreamCommand{ID: "3", Method: "POST", Path: "/api/v1/floor/me/dial", Body: json.RawMessage(`{"number":"+441632960555"}`)}, 409, callfloor.ErrAgentPaused},
		{StreamCommand{ID: "4", Method: "POST", Path: "/api/v1/floor/agents/" + itoa(a.agentExt.ID) + "/logoff"}, 403, callfloor.ErrForbidden},
		{StreamCommand{ID: "5", Method: "DELETE", Path: "/api/v1/floor/me"}, 422, callfloor.ErrInvalidField},
		{StreamCommand{ID: "6", Method: "POST", Path: "/api/v1/users"}, 422, callfloor.ErrInvalidField},
		{StreamCommand{ID: "7", Method: "POST", Path: "/api/v1/floor/me/pause", Body: json.RawMessage(`{"reason":1}`)}, 400, callfloor.ErrUnknownField},
	}
	for _, tc := range tests {
		ag.send(tc.cmd)
		rep, _ := ag.reply(tc.cmd.ID)
		var e errorBody
		json.Unmarshal(rep.Body, &e)
		if rep.Status != tc.status || e.Error.Code != tc.code {
			t.Errorf("command %s %s: %d %s", tc.cmd.Method, tc.cmd.Path, rep.Status, rep.Body)
		}
	}
	if err := ag.c.Write(context.Background(), websocket.MessageText, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if m, _ := ag.reply(""); m.Status != 400 {
		t.Fatalf("garbage frame: %+v", m)
	}
}

func TestStreamCarriesInCallControls(t *testing.T) {
	fc := &fakeCalls{}
	r := &streamRig{}
	r.harness = newHarness(t, func(c *Config) {
		r.hub = bus.NewHub(1000, 100)
		r.floor = floor.New(floor.FloorConfig{Journal: c.Store, Clock: c.Clock.(callfloor.TimerClock),
			Publish: r.hub.Publish, LoadConfig: floor.StoreConfig(c.Store)})
		c.Floor, c.Hub, c.Calls = r.floor, r.hub, fc
	})
	t.Cleanup(r.floor.Close)
	srv := httptest.NewServer(r.srv)
	t.Cleanup(srv.Close)
	r.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/stream"
	a := r.seed("alpha")
	r.setLicences(a, 5)
	ext, tok := r.newAgent(a, "241", nil)
	r.do(a, floor.Login{Ext: ext.ID})
	r.do(a, floor.Offer{Ext: ext.ID, Call: callfloor.CallRef{ID: "c1", Direction: callfloor.DirInternalIn, From: "299"}})
	r.do(a, floor.Answer{Ext: ext.ID, CallID: "c1"})
	ag := r.dial(tok, "")
	ag.next() // snapshot
	ag.send(StreamCommand{ID: "h", Method: "POST", Path: "/api/v1/floor/me/calls/hold", Body: json.RawMessage(`{"call_id":"c1"}`)})
	if rep, _ := ag.reply("h"); rep.Status != 200 {
		t.Fatalf("hold over the stream: %+v (%s)", rep, rep.Body)
	}
	if got, want := fc.got(), "hold "+itoa(ext.ID)+" c1 true"; got != want {
		t.Fatalf("telephony got %q, want %q", got, want)
	}
}

// TestStreamLiveFigures: a queue's live figures reach supervisors as
// "live" messages, outside the sequence; agents do not get them.
func TestStreamLiveFigures(t *testing.T) {
	r := newStreamRig(t, 1000)
	a, b := r.seed("alpha"), r.seed("beta")
	sup, ag := r.dial(a.supTok, ""), r.dial(a.agentTok, "")
	snap := sup.next()
	ag.next()
	stats := &callfloor.QueueStats{QueueID: a.queue.ID, Number: a.queue.Number, Waiting: 3}
	r.hub.PublishLive([]callfloor.Event{{AccountID: b.acc.ID, Type: callfloor.EventQueueStats, QueueStats: &callfloor.QueueStats{Waiting: 9}}})
	r.hub.PublishLive([]callfloor.Event{{AccountID: a.acc.ID, Type: callfloor.EventQueueStats, QueueID: a.queue.ID, QueueStats: stats}})
	r.do(a, floor.Login{Ext: a.agentExt.ID})
	m := sup.next()
	if m.Type != "live" || m.Seq != 0 || m.Event.QueueStats == nil || m.Event.QueueStats.Waiting != 3 {
		t.Fatalf("supervisor's first message %+v, want account alpha's live figures", m)
	}
	if m := sup.next(); m.Type != "event" || m.Seq != snap.Seq+1 {
		t.Fatalf("then %+v, want the login, next in the sequence", m)
	}
	if m := ag.next(); m.Type != "event" || m.Event.Type != callfloor.EventLoggedIn {
		t.Fatalf("agent's message %+v, want its login only", m)
	}
}

// An event brings the agents it touched as they are after it, so a page
// replaces its copy of the agent instead of working the rules out.
func TestStreamEventCarriesTheAgentAfterIt(t *testing.T) {
	r := newStreamRig(t, 1000)
	a := r.seed("alpha")
	ag := r.dial(a.agentTok, "")
	ag.next() // snapshot
	r.do(a, floor.Login{Ext: a.agentExt.ID})
	r.do(a, floor.Pause{Ext: a.agentExt.ID, ReasonID: a.reason.ID})
	var last StreamMessage
	for last.Event == nil || last.Event.Type != callfloor.EventPaused {
		last = ag.next()
	}
	var paused *AgentView
	for i := range last.Agents {
		if last.Agents[i].ExtensionID == a.agentExt.ID {
			paused = &last.Agents[i]
		}
	}
	if paused == nil || paused.State != callfloor.StatePaused || paused.Pause == nil || paused.Pause.Name != "alpha lunch" ||
		paused.Since == nil || !paused.Since.Equal(last.Event.At) || paused.LoginAt == nil {
		t.Fatalf("the pause event's agents: %+v", last.Agents)
	}
}
