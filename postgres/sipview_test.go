package postgres_test

import (
	"context"
	"database/sql"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/postgres"
	"github.com/callfloor/callfloor/sipview"
	"github.com/callfloor/callfloor/sqlstore"
)

// viewServer is one server's SIP view as cmd/callfloor wires it: told
// of its own store's changes, and of the others' by a Listener.
type viewServer struct {
	st     *sqlstore.Store
	view   *sipview.View
	resets atomic.Int64
}

func startViewServer(t *testing.T, url string) *viewServer {
	t.Helper()
	s := &viewServer{st: open(t, url, sqlstore.Options{})}
	s.view = sipview.New(s.st, nil)
	s.st.OnChange(func(ch callfloor.Change) { s.view.Apply(context.Background(), ch) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	l := &postgres.Listener{URL: url, Retry: 50 * time.Millisecond,
		Change: func(ch callfloor.Change) { s.view.Apply(ctx, ch) },
		Reset: func() {
			if err := s.view.Reload(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("reload: %v", err)
			}
			s.resets.Add(1)
		}}
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	eventually(t, "the listener listens", func() bool { return s.resets.Load() > 0 })
	return s
}

// seenWithin is the bound on a change reaching the other server; it
// takes milliseconds (the test logs how many).
const seenWithin = 10 * time.Second

// eventually polls cond until it holds, failing after seenWithin, and
// returns how long it took.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > seenWithin {
			t.Fatalf("%s: not within %s", what, seenWithin)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// Two servers on one database: what one changes, the other's view sees
// once the notification of the commit arrives, and after its listener
// lost its connection, when it listens again and reloads.
func TestSIPViewsOfTwoServers(t *testing.T) {
	u := freshSchema(t)
	a, b := startViewServer(t, u), startViewServer(t, u)
	ctx := context.Background()
	acc := &callfloor.Account{Name: "acme", TimeZone: "UTC"}
	if err := a.st.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	actx := callfloor.SystemContext(ctx, acc.ID)
	e := &callfloor.Extension{Number: "201", SIPUsername: "201-abcdefgh", Agent: callfloor.DefaultAgentSettings()}
	e.SetSIPSecret("callfloor", "first-secret")
	if err := a.st.CreateExtension(actx, e); err != nil {
		t.Fatal(err)
	}
	// Server A's own view has it at once.
	if _, err := a.view.FindSIPCredentials(ctx, e.SIPUsername); err != nil {
		t.Fatalf("server A's view after its own write: %v", err)
	}
	hasHA1 := func(s *viewServer, ha1 string) func() bool {
		return func() bool {
			got, err := s.view.FindSIPCredentials(ctx, e.SIPUsername)
			return err == nil && got.SIPHA1 == ha1
		}
	}
	t.Logf("new extension seen by server B after %s", eventually(t, "server B sees the new extension", hasHA1(b, e.SIPHA1)))

	// A new password on B, seen by A.
	up, err := b.st.UpdateExtension(actx, e.ID, func(e *callfloor.Extension) error {
		e.SetSIPSecret("callfloor", "second-secret")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("new password seen by server A after %s", eventually(t, "server A sees the new password", hasHA1(a, up.SIPHA1)))

	// A trunk disabled on A, refused by B.
	tr := callfloor.NewTrunk("Carrier", "192.0.2.1")
	tr.Auth, tr.AllowedSources = callfloor.TrunkIP, []string{"192.0.2.0/24"}
	if err := a.st.CreateTrunk(actx, tr); err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("192.0.2.7:5060")
	admitted := func(s *viewServer) bool {
		ts, err := s.view.FindTrunksBySource(ctx, src)
		return err == nil && len(ts) == 1
	}
	eventually(t, "server B admits the new trunk", func() bool { return admitted(b) })
	if _, err := a.st.UpdateTrunk(actx, tr.ID, func(t *callfloor.Trunk) error { t.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	t.Logf("disabled trunk refused by server B after %s", eventually(t, "server B refuses the disabled trunk", func() bool { return !admitted(b) }))

	// The listeners lose their connections; a change made meanwhile is
	// seen by B's reload once it listens again.
	resets := b.resets.Load()
	killListeners(t, u)
	if err := a.st.DeleteExtension(actx, e.ID); err != nil {
		t.Fatal(err)
	}
	gone := func() bool {
		_, err := b.view.FindSIPCredentials(ctx, e.SIPUsername)
		return callfloor.ErrorCode(err) == callfloor.ErrNotFound
	}
	t.Logf("deletion seen by server B after %s, its listener cut", eventually(t, "server B forgets the deleted extension", gone))
	eventually(t, "server B's listener listens again", func() bool { return b.resets.Load() > resets })

	// A rolled-back change is heard by nobody.
	_, err = a.st.UpdateTrunk(actx, tr.ID, func(t *callfloor.Trunk) error {
		t.Enabled = true
		return context.Canceled
	})
	if err == nil {
		t.Fatal("the update did not fail")
	}
	time.Sleep(100 * time.Millisecond)
	if admitted(a) || admitted(b) {
		t.Fatal("a rolled-back change reached a view")
	}

	// A notification it cannot read (another version's, say) makes a
	// server reload rather than miss a change.
	resets = b.resets.Load()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`SELECT pg_notify('callfloor_' || md5(current_schema()), 'extension 1')`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "server B reloads on a notification it cannot read", func() bool { return b.resets.Load() > resets })
}

// killListeners ends the connections of the schema's change listeners.
func killListeners(t *testing.T, url string) {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query = 'LISTEN "callfloor_' || md5(current_schema()) || '"'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d listeners ended, want the two servers'", n)
	}
}
