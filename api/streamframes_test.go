package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// rawNext reads the next message and its bytes as they came.
func (w *wsClient) rawNext() (StreamMessage, []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	var m StreamMessage
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("%v: %s", err, b)
	}
	return m, b
}

// received is what a stream got up to an account's seq.
type received struct {
	seqs  []int64  // the events' seqs, in order
	live  int      // live figures among them
	raw   [][]byte // every message as it came
	other []string // anything of another account or extension
}

// readUpTo reads w's messages until the event of seq last; only
// extension ext's events are expected when ext is not 0.
func readUpTo(w *wsClient, account, ext, last int64) received {
	w.t.Helper()
	var got received
	for len(got.seqs) == 0 || got.seqs[len(got.seqs)-1] < last {
		m, b := w.rawNext()
		got.raw = append(got.raw, b)
		switch {
		case m.Event == nil || m.Event.AccountID != account:
			got.other = append(got.other, string(b))
		case m.Type == "live":
			got.live++
		case m.Type != "event" || (ext != 0 && m.Event.ExtensionID != ext):
			got.other = append(got.other, string(b))
		default:
			got.seqs = append(got.seqs, m.Seq)
		}
	}
	return got
}

// TestStreamFramesAreSharedAndIsolated: every supervisor of an account
// gets each of its events once, in order, as the same bytes (encoded
// once for them all); another account's supervisor and an agent get
// only theirs.
func TestStreamFramesAreSharedAndIsolated(t *testing.T) {
	r := newStreamRig(t, 1000)
	a, b := r.seed("alpha"), r.seed("beta")
	r.setLicences(a, 5)
	second := r.extension(a, "205", true)
	sups := []*wsClient{r.dial(a.supTok, ""), r.dial(a.supTok, ""), r.dial(a.supTok, "")}
	bsup, ag := r.dial(b.supTok, ""), r.dial(a.agentTok, "")
	start := sups[0].next().Seq
	for _, w := range append(sups[1:], bsup, ag) {
		w.next() // snapshot
	}

	aExts := []int64{a.agentExt.ID, second.ID}
	for _, ext := range aExts {
		r.do(a, floor.Login{Ext: ext})
	}
	r.do(b, floor.Login{Ext: b.agentExt.ID})
	var own []int64 // the agent's own events
	for i := range 20 {
		for _, ext := range aExts {
			var in floor.Input = floor.Pause{Ext: ext, ReasonID: a.reason.ID}
			if i%2 == 1 {
				in = floor.Unpause{Ext: ext}
			}
			evs, err := r.floor.Do(context.Background(), a.acc.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			if ext == a.agentExt.ID {
				own = append(own, evs[len(evs)-1].Seq)
			}
		}
		if i%5 == 0 {
			r.do(b, floor.Pause{Ext: b.agentExt.ID, ReasonID: b.reason.ID})
			r.do(b, floor.Unpause{Ext: b.agentExt.ID})
			r.hub.PublishLive([]callfloor.Event{
				{AccountID: b.acc.ID, Type: callfloor.EventQueueStats, QueueStats: &callfloor.QueueStats{Name: "beta's"}},
				{AccountID: a.acc.ID, Type: callfloor.EventQueueStats, QueueStats: &callfloor.QueueStats{Name: "alpha's"}},
			})
		}
	}
	last := r.hub.Last(a.acc.ID)

	var first received
	for i, w := range sups {
		got := readUpTo(w, a.acc.ID, 0, last)
		if len(got.other) > 0 {
			t.Fatalf("supervisor %d got %v", i, got.other)
		}
		for j, seq := range got.seqs {
			if seq != start+int64(j)+1 {
				t.Fatalf("supervisor %d got seqs %v, want %d to %d in order", i, got.seqs, start+1, last)
			}
		}
		if got.live != 4 {
			t.Fatalf("supervisor %d got %d live figures, want 4", i, got.live)
		}
		if i == 0 {
			first = got
			continue
		}
		if len(got.raw) != len(first.raw) {
			t.Fatalf("supervisor %d got %d messages, the first %d", i, len(got.raw), len(first.raw))
		}
		for j := range got.raw {
			if !bytes.Equal(got.raw[j], first.raw[j]) {
				t.Fatalf("supervisor %d's message %d differs:\n%s\n%s", i, j, got.raw[j], first.raw[j])
			}
		}
	}
	bgot := readUpTo(bsup, b.acc.ID, 0, r.hub.Last(b.acc.ID))
	// Its fourth live figure comes after its last event.
	if len(bgot.other) > 0 || len(bgot.seqs) != 9 || bgot.live != 3 {
		t.Fatalf("beta's supervisor got seqs %v, %d live, and %v", bgot.seqs, bgot.live, bgot.other)
	}
	agot := readUpTo(ag, a.acc.ID, a.agentExt.ID, own[len(own)-1])
	if len(agot.other) > 0 || agot.live != 0 || fmt.Sprint(agot.seqs[1:]) != fmt.Sprint(own) {
		t.Fatalf("the agent got seqs %v (want its login, then %v), %d live, and %v", agot.seqs, own, agot.live, agot.other)
	}
}

// TestStreamFrameLengths: a message is one frame whatever its length,
// in each of the three ways a frame gives it.
func TestStreamFrameLengths(t *testing.T) {
	r := newStreamRig(t, 1000)
	a := r.seed("alpha")
	sup := r.dial(a.supTok, "")
	sup.c.SetReadLimit(1 << 20)
	sup.next()
	for _, n := range []int{1, 200, 70000} {
		name := strings.Repeat("q", n)
		r.hub.PublishLive([]callfloor.Event{{AccountID: a.acc.ID, Type: callfloor.EventQueueStats, QueueStats: &callfloor.QueueStats{Name: name}}})
		if m := sup.next(); m.Type != "live" || m.Event.QueueStats.Name != name {
			t.Fatalf("a %d-character name came as %+v", n, m)
		}
	}
}

func TestAppendTextFrame(t *testing.T) {
	tests := []struct {
		n      int
		header []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	}
	for _, tc := range tests {
		payload := bytes.Repeat([]byte("x"), tc.n)
		got := appendTextFrame([]byte("before"), payload)
		want := append(append([]byte("before"), tc.header...), payload...)
		if !bytes.Equal(got, want) {
			t.Errorf("%d bytes: header %v, want %v", tc.n, got[6:6+len(tc.header)], tc.header)
		}
	}
}
