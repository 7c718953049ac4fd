package fanout

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

func ev(account, seq int64) callfloor.Event {
	return callfloor.Event{Seq: seq, AccountID: account, At: time.Date(2026, 12, 4, 9, 0, 0, int(seq), time.UTC), Type: callfloor.EventPaused}
}

func evs(account, first, last int64) []callfloor.Event {
	var out []callfloor.Event
	for s := first; s <= last; s++ {
		out = append(out, ev(account, s))
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	for _, b := range []*batch{
		{AccountID: 7, First: 3, Last: 5, Events: evs(7, 3, 5)},
		{AccountID: 7, First: 3, Last: 9},
	} {
		data, err := encodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeBatch(data, false)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		a, _ := json.Marshal(got)
		if string(a) != string(data) {
			t.Errorf("round trip: %s, want %s", a, data)
		}
	}
	live := &batch{AccountID: 7, Events: []callfloor.Event{{AccountID: 7, Type: callfloor.EventQueueStats}}}
	data, _ := encodeBatch(live)
	if _, err := decodeBatch(data, true); err != nil {
		t.Errorf("live: %v", err)
	}
	if _, err := decodeBatch(data, false); err == nil {
		t.Error("a live batch decoded as a journaled one")
	}
}

func TestDecodeBatchRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		live       bool
		want       string
	}{
		{"not JSON", `{"account_id":`, false, "unexpected end"},
		{"no account", `{"first":1,"last":1,"events":[{"seq":1}]}`, false, "account 0"},
		{"no range", `{"account_id":1}`, false, "range 0-0"},
		{"range backwards", `{"account_id":1,"first":5,"last":4}`, false, "range 5-4"},
		{"notice too wide", `{"account_id":1,"first":1,"last":2000000}`, false, "too wide"},
		{"too few events", `{"account_id":1,"first":1,"last":3,"events":[{"seq":1,"account_id":1}]}`, false, "1 events for 1-3"},
		{"other account", `{"account_id":1,"first":1,"last":1,"events":[{"seq":1,"account_id":2}]}`, false, "of account 2"},
		{"seq out of order", `{"account_id":1,"first":1,"last":2,"events":[{"seq":2,"account_id":1},{"seq":1,"account_id":1}]}`, false, "has seq 2, want 1"},
		{"live with a range", `{"account_id":1,"first":1,"last":1,"events":[{"account_id":1}]}`, true, "range 1-1"},
		{"live with a seq", `{"account_id":1,"events":[{"seq":3,"account_id":1}]}`, true, "has seq 3"},
		{"live empty", `{"account_id":1}`, true, "0 events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeBatch([]byte(tc.data), tc.live)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decode %s: %v, want an error with %q", tc.data, err, tc.want)
			}
		})
	}
}

// FuzzDecodeBatch: the decoder never panics, and what it accepts holds
// one account's events First to Last (or a notice's range) and encodes
// back to something it accepts alike.
func FuzzDecodeBatch(f *testing.F) {
	for _, b := range []*batch{
		{AccountID: 7, First: 3, Last: 5, Events: evs(7, 3, 5)},
		{AccountID: 7, First: 3, Last: 9},
		{AccountID: 2, Events: []callfloor.Event{{AccountID: 2, Type: callfloor.EventQueueStats}}},
	} {
		data, _ := encodeBatch(b)
		f.Add(data, b.First == 0)
	}
	f.Add([]byte(`{"account_id":1,"first":9223372036854775807,"last":9223372036854775807,"events":[{"seq":9223372036854775807,"account_id":1}]}`), false)
	f.Add([]byte(`{"account_id":1,"first":-5,"last":-1}`), false)
	f.Fuzz(func(t *testing.T, data []byte, live bool) {
		b, err := decodeBatch(data, live)
		if err != nil {
			return
		}
		if b.AccountID <= 0 {
			t.Fatalf("account %d accepted", b.AccountID)
		}
		for i, e := range b.Events {
			if e.AccountID != b.AccountID {
				t.Fatalf("event %d of account %d in a batch of %d", i, e.AccountID, b.AccountID)
			}
			if live && e.Seq != 0 || !live && e.Seq != b.First+int64(i) {
				t.Fatalf("event %d has seq %d in %d-%d (live %v)", i, e.Seq, b.First, b.Last, live)
			}
		}
		if !live && (b.First < 1 || b.Last < b.First || len(b.Events) == 0 && b.Last-b.First >= maxNotice) {
			t.Fatalf("range %d-%d accepted", b.First, b.Last)
		}
		again, err := encodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeBatch(again, live); err != nil {
			t.Fatalf("re-encoded %s refused: %v", again, err)
		}
	})
}
