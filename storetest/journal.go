package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var journalTests = []test{
	{"journal/round trip keeps every field", testJournalRoundTrip},
	{"journal/reads in order after a sequence number", testJournalOrder},
	{"journal/a taken sequence number fails the whole append", testJournalDuplicate},
	{"journal/accounts are separate", testJournalIsolation},
	{"journal/extension events by time", testJournalExtension},
	{"journal/extension reads agree before, during and after indexing", testJournalIndex},
	{"journal/two indexers index each event once", testJournalIndexRace},
	{"journal/snapshots keep the newest", testSnapshots},
}

var jt0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func journalEvents(accountID, from, n int64) []callfloor.Event {
	var out []callfloor.Event
	for i := int64(0); i < n; i++ {
		out = append(out, callfloor.Event{AccountID: accountID, Seq: from + i, At: jt0.Add(time.Duration(from+i) * time.Second),
			Type: callfloor.EventAutoAnswer, ExtensionID: 1 + (from+i)%3, State: callfloor.StateIdle, AutoAnswer: ptr(i%2 == 0)})
	}
	return out
}

func testJournalRoundTrip(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	due := jt0.Add(time.Minute)
	evs := []callfloor.Event{
		{AccountID: a.ID, Seq: 1, At: jt0, Type: callfloor.EventLoggedIn, ExtensionID: 7, UserID: 3, State: callfloor.StateIdle},
		{AccountID: a.ID, Seq: 2, At: jt0.Add(time.Second), Type: callfloor.EventPending, ExtensionID: 7,
			State: callfloor.StateOnCall, Pending: &callfloor.Pending{Pause: &callfloor.PauseRef{ReasonID: 4, Code: 1, Name: "Lunch", ThresholdSeconds: 3600}, Logoff: callfloor.LogoffAgent}},
		{AccountID: a.ID, Seq: 3, At: jt0.Add(2 * time.Second), Type: callfloor.EventWrapupStarted, ExtensionID: 7, State: callfloor.StateWrapup,
			Call: &callfloor.CallRef{ID: "c-1", Direction: callfloor.DirQueueIn, QueueID: 9, From: "+441632960999", To: "600"}, DueAt: &due},
		{AccountID: a.ID, Seq: 4, At: jt0.Add(3 * time.Second), Type: callfloor.EventDisposition, ExtensionID: 7, UserID: 3, State: callfloor.StateIdle,
			Disposition: &callfloor.Disposition{CallID: "c-1", Category: callfloor.CategoryFail, Outcome: "Wrong number",
				FailScope: callfloor.FailNumber, Notes: "ünïcode ✓", Tags: []string{"vip", "callback"}, By: 3}},
	}
	ok(t, st.AppendEvents(context.Background(), a.ID, evs))
	got, err := st.ReadEvents(context.Background(), a.ID, 0, 100)
	ok(t, err)
	want, _ := json.Marshal(evs)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Fatalf("read back\n%s\nwant\n%s", have, want)
	}
}

func testJournalOrder(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1, 1000))) // several statements in one transaction
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1001, 5)))
	tests := []struct {
		after     int64
		limit     int
		first, n  int64
		lastOfAll bool
	}{
		{after: 0, limit: 300, first: 1, n: 300},
		{after: 998, limit: 300, first: 999, n: 7},
		{after: 1005, limit: 10, n: 0},
	}
	for _, tc := range tests {
		got, err := st.ReadEvents(ctx, a.ID, tc.after, tc.limit)
		ok(t, err)
		if int64(len(got)) != tc.n {
			t.Fatalf("after %d: %d events, want %d", tc.after, len(got), tc.n)
		}
		for i, e := range got {
			if e.Seq != tc.first+int64(i) {
				t.Fatalf("after %d: event %d has seq %d", tc.after, i, e.Seq)
			}
		}
	}
}

func testJournalDuplicate(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1, 5)))
	batch := append(journalEvents(a.ID, 6, 2), journalEvents(a.ID, 5, 1)...)
	if err := st.AppendEvents(ctx, a.ID, batch); err == nil {
		t.Fatal("a second writer's sequence number was accepted")
	}
	got, err := st.ReadEvents(ctx, a.ID, 0, 100)
	ok(t, err)
	if len(got) != 5 {
		t.Fatalf("%d events after a failed append, want the 5 before it", len(got))
	}
}

func testJournalIsolation(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "globex", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1, 3)))
	ok(t, st.AppendEvents(ctx, b.ID, journalEvents(b.ID, 1, 2))) // seq 1 again, other account
	if err := st.AppendEvents(ctx, a.ID, journalEvents(b.ID, 3, 1)); err == nil {
		t.Fatal("an event of account B was appended to account A")
	}
	got, err := st.ReadEvents(ctx, b.ID, 0, 100)
	ok(t, err)
	if len(got) != 2 || got[0].AccountID != b.ID {
		t.Fatalf("account B reads %+v", got)
	}
	got, err = st.ReadExtensionEvents(ctx, b.ID, 1, jt0.Add(-time.Hour), jt0.Add(time.Hour))
	ok(t, err)
	for _, e := range got {
		if e.AccountID != b.ID {
			t.Fatalf("account B sees %+v", e)
		}
	}
}

func testJournalExtension(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1, 30))) // extension = 1 + seq%3, at = jt0 + seq s
	got, err := st.ReadExtensionEvents(ctx, a.ID, 2, jt0.Add(10*time.Second), jt0.Add(20*time.Second))
	ok(t, err)
	var seqs []int64
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	same(t, "extension 2 between 10 s and 20 s", seqs, []int64{10, 13, 16, 19})
}

// journalIndexer fills the journal's index by extension after the fact
// (sqlstore.Store).
type journalIndexer interface {
	IndexJournal(ctx context.Context, accountID int64) (int, error)
	IndexJournals(ctx context.Context) (int, error)
}

func indexer(t *testing.T, st callfloor.Store) journalIndexer {
	t.Helper()
	ix, is := st.(journalIndexer)
	if !is {
		t.Fatalf("%T does not index its journal", st)
	}
	return ix
}

// extSeqs reads the extension's events between the offsets from jt0.
func extSeqs(t *testing.T, st callfloor.Store, account, ext int64, from, to time.Duration) []int64 {
	t.Helper()
	got, err := st.ReadExtensionEvents(context.Background(), account, ext, jt0.Add(from), jt0.Add(to))
	ok(t, err)
	seqs := []int64{}
	for _, e := range got {
		if e.ExtensionID != ext || e.AccountID != account {
			t.Fatalf("read of extension %d gave %+v", ext, e)
		}
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

// testJournalIndex: a read by extension gives the same events whether
// none, part or all of the journal is indexed, and the indexer catches
// every account up.
func testJournalIndex(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "globex", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ix := indexer(t, st)
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 1, 30))) // extension = 1 + seq%3, at = jt0 + seq s
	ok(t, st.AppendEvents(ctx, b.ID, journalEvents(b.ID, 1, 5)))
	want := []int64{10, 13, 16, 19}
	same(t, "nothing indexed", extSeqs(t, st, a.ID, 2, 10*time.Second, 20*time.Second), want)
	n, err := ix.IndexJournals(ctx)
	ok(t, err)
	if n != 35 {
		t.Fatalf("indexed %d events of both accounts, want 35", n)
	}
	same(t, "all indexed", extSeqs(t, st, a.ID, 2, 10*time.Second, 20*time.Second), want)
	// More events: the read joins the index and the journal after it.
	ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, 31, 9)))
	want = []int64{13, 16, 19, 22, 25, 28, 31, 34, 37}
	same(t, "part indexed", extSeqs(t, st, a.ID, 2, 13*time.Second, 38*time.Second), want)
	n, err = ix.IndexJournal(ctx, a.ID)
	ok(t, err)
	if n != 9 {
		t.Fatalf("indexed %d more events, want 9", n)
	}
	same(t, "all indexed again", extSeqs(t, st, a.ID, 2, 13*time.Second, 38*time.Second), want)
	n, err = ix.IndexJournals(ctx)
	ok(t, err)
	if n != 0 {
		t.Fatalf("indexed %d events with nothing new", n)
	}
	same(t, "the other account", extSeqs(t, st, b.ID, 2, 0, time.Hour), []int64{1, 4})
}

// testJournalIndexRace: two indexers (two servers) at once index each
// event once, and reads stay right.
func testJournalIndexRace(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	ctx := context.Background()
	ix := indexer(t, st)
	const n = 5000 // more than one batch
	for from := int64(1); from <= n; from += 1000 {
		ok(t, st.AppendEvents(ctx, a.ID, journalEvents(a.ID, from, 1000)))
	}
	counts := make(chan int, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			c, err := ix.IndexJournal(ctx, a.ID)
			counts <- c
			errs <- err
		}()
	}
	total := 0
	for range 2 {
		total += <-counts
		ok(t, <-errs)
	}
	// A loser stops at the first batch the other took: a last run
	// finishes what is left.
	c, err := ix.IndexJournal(ctx, a.ID)
	ok(t, err)
	if total+c != n {
		t.Fatalf("the indexers indexed %d events between them, want %d", total+c, n)
	}
	seqs := extSeqs(t, st, a.ID, 1, 0, 24*time.Hour)
	if len(seqs) != n/3 || seqs[0] != 3 || seqs[len(seqs)-1] != n-2 {
		t.Fatalf("extension 1 reads %d events, %v...", len(seqs), seqs[:3])
	} // A period across two chunks of the index (1,024 events each).
	var want []int64
	for q := int64(2001); q < 3000; q++ {
		if q%3 == 0 {
			want = append(want, q)
		}
	}
	same(t, "extension 1 from 2,001 s to 3,000 s", extSeqs(t, st, a.ID, 1, 2001*time.Second, 3000*time.Second), want)
}

func testSnapshots(t *testing.T, st callfloor.Store) {
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	b, _ := newAccount(t, st, "globex", callfloor.LicenceNone, 0)
	ctx := context.Background()
	seq, body, err := st.LoadSnapshot(ctx, a.ID)
	ok(t, err)
	if seq != 0 || body != nil {
		t.Fatalf("fresh account has snapshot %d %q", seq, body)
	}
	ok(t, st.SaveSnapshot(ctx, a.ID, 10, []byte(`{"seq":10}`)))
	ok(t, st.SaveSnapshot(ctx, a.ID, 20, []byte(`{"seq":20}`)))
	ok(t, st.SaveSnapshot(ctx, a.ID, 15, []byte(`{"seq":15}`))) // older: ignored
	seq, body, err = st.LoadSnapshot(ctx, a.ID)
	ok(t, err)
	if seq != 20 || string(body) != `{"seq":20}` {
		t.Fatalf("snapshot %d %s, want 20", seq, body)
	}
	if seq, _, _ := st.LoadSnapshot(ctx, b.ID); seq != 0 {
		t.Fatalf("account B sees account A's snapshot")
	}
}
