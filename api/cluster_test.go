package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/cluster/forward"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/internal/natstest"
	"github.com/callfloor/callfloor/internal/pgtest"
)

// testCluster is the API's Cluster on the real forwarder: requests go
// over the test NATS to whichever Server serves the account, and the
// agents' views come from owner.
type testCluster struct {
	router *forward.Router
	owner  *Server
}

func (c testCluster) Route(w http.ResponseWriter, r *http.Request, a callfloor.Actor) bool {
	forward.Vouch(r, a)
	return c.router.Route(w, r, a.AccountID)
}

func (c testCluster) Vouched(r *http.Request) (callfloor.Actor, bool) { return forward.Vouched(r) }

func (c testCluster) AgentViews(ctx context.Context, accountID int64, only []int64) (int64, []AgentView, error) {
	return c.owner.AgentViews(ctx, accountID, only)
}

// front is a second node's Server over h's store: its floor owns no
// account, so every account's requests go through cluster.
func (h *harness) front(cluster Cluster) *harness {
	fl := floor.New(floor.FloorConfig{Journal: h.store, Clock: h.clock, Owned: true, LoadConfig: floor.StoreConfig(h.store)})
	h.t.Cleanup(fl.Close)
	cfg := Config{Store: h.store, Hasher: h.srv.hasher, Clock: h.clock, Logger: h.srv.log, Auth: h.srv.auth,
		Floor: fl, Hub: bus.NewHub(1000, 100), Simulate: true, Cluster: cluster}
	return &harness{t: h.t, clock: h.clock, store: h.store, srv: New(cfg), floor: fl, hub: cfg.Hub, logs: h.logs}
}

// TestClusterForwardsToTheOwner: on a node that does not own the
// account, an agent's command is carried out by the owner's floor and
// answered as the owner answers it; a public request is served where it
// arrives.
func TestClusterForwardsToTheOwner(t *testing.T) {
	owner := newHarness(t)
	tn := owner.seed("fw")
	prefix := "apitest" + pgtest.Suffix()
	srv := forward.NewServer(natstest.Conn(t, "owner"), owner.srv, nil, forward.Config{Prefix: prefix})
	t.Cleanup(func() { srv.Close(context.Background()) })
	if err := srv.Serve(tn.acc.ID); err != nil {
		t.Fatal(err)
	}
	client := forward.NewClient(natstest.Conn(t, "front"), forward.Config{Prefix: prefix, RetryFor: time.Second})
	front := owner.front(testCluster{router: &forward.Router{Client: client, Local: func(int64) bool { return false }}, owner: owner.srv})

	w := front.call("POST", "/api/v1/floor/me/login", tn.agentTok, nil)
	if w.Code != http.StatusOK || w.Header().Get("X-Callfloor-Seq") == "" {
		t.Fatalf("login through another node: %d %s", w.Code, w.Body)
	}
	var st callfloor.AgentState
	must(t, owner.floor.View(context.Background(), tn.acc.ID, func(s *floor.State, _ *floor.Config) { st = s.Agent(tn.agentExt.ID).State }))
	if st != callfloor.StateIdle {
		t.Fatalf("the owner's floor has the agent %s, want idle", st)
	}
	// The owner's refusals come back as they are.
	w = front.call("POST", "/api/v1/floor/me/login", tn.agentTok, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("a second login: %d %s", w.Code, w.Body)
	}
	w = front.call("POST", "/api/v1/floor/me/pause", tn.agentTok, map[string]int64{"reason_id": 999999})
	if code := decode[errorBody](t, w).Error.Code; w.Code != http.StatusUnprocessableEntity || code != callfloor.ErrInvalidReference {
		t.Fatalf("pause with an unknown reason through another node: %d %s", w.Code, w.Body)
	}
	// A login (public) never leaves the node it reached.
	if tok := front.login(tn, tn.sup.Username); tok == "" {
		t.Fatal("no session from the front node")
	}
	// The stream's snapshot on the front node is the owner's floor.
	seq, views, err := front.srv.agentViewsOf(context.Background(), tn.acc.ID, nil)
	if err != nil || seq == 0 || len(views) == 0 {
		t.Fatalf("agent views from the owner: seq %d, %d views, %v", seq, len(views), err)
	}
}

// TestClusterOwnerMissingOrSilent: with no node serving the account the
// request is answered not_owner once the retries are over; an owner
// that does not answer in time is owner_timeout; a floor that lost the
// account answers not_owner, and one whose append was fenced, fenced.
func TestClusterOwnerMissingOrSilent(t *testing.T) {
	owner := newHarness(t)
	tn := owner.seed("gone")
	prefix := "apitest" + pgtest.Suffix()
	client := forward.NewClient(natstest.Conn(t, "front"), forward.Config{Prefix: prefix, RetryFor: 300 * time.Millisecond, Timeout: 300 * time.Millisecond})
	front := owner.front(testCluster{router: &forward.Router{Client: client, Local: func(int64) bool { return false }}, owner: owner.srv})

	w := front.call("POST", "/api/v1/floor/me/login", tn.agentTok, nil)
	if code := decode[errorBody](t, w).Error.Code; w.Code != http.StatusServiceUnavailable || code != callfloor.ErrNotOwner || w.Header().Get("Retry-After") == "" {
		t.Fatalf("no owner: %d %s", w.Code, w.Body)
	}

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
	srv := forward.NewServer(natstest.Conn(t, "silent"), silent, nil, forward.Config{Prefix: prefix})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	must(t, srv.Serve(tn.acc.ID))
	w = front.call("POST", "/api/v1/floor/me/login", tn.agentTok, nil)
	if code := decode[errorBody](t, w).Error.Code; w.Code != http.StatusGatewayTimeout || code != callfloor.ErrOwnerTimeout {
		t.Fatalf("a silent owner: %d %s", w.Code, w.Body)
	}

	// A node's own floor, when it does not run the account (the request
	// was forwarded to it just as it gave the account up).
	local := owner.front(nil)
	w = local.call("POST", "/api/v1/floor/me/login", tn.agentTok, nil)
	if code := decode[errorBody](t, w).Error.Code; w.Code != http.StatusServiceUnavailable || code != callfloor.ErrNotOwner {
		t.Fatalf("a floor that does not own the account: %d %s", w.Code, w.Body)
	}
	// Its engine runs under an epoch another node has overtaken since.
	ctx := context.Background()
	first, err := owner.store.TakeOwnership(ctx, tn.acc.ID, "a")
	must(t, err)
	_, err = owner.store.TakeOwnership(ctx, tn.acc.ID, "b")
	must(t, err)
	_, err = local.floor.Own(ctx, tn.acc.ID, first.Epoch)
	must(t, err)
	w = local.call("POST", "/api/v1/floor/me/login", tn.agentTok, nil)
	if code := decode[errorBody](t, w).Error.Code; w.Code != http.StatusServiceUnavailable || code != callfloor.ErrFenced {
		t.Fatalf("a fenced floor: %d %s", w.Code, w.Body)
	}
}

// TestClusterOwnerBelievesOnlyForwardedVouching: the owner takes the
// forwarding node's word for whom a request is from only when it came
// over NATS for that account; a client that sends the header itself is
// authenticated as usual.
func TestClusterOwnerBelievesOnlyForwardedVouching(t *testing.T) {
	owner := newHarness(t, func(c *Config) {
		c.Cluster = testCluster{router: &forward.Router{Local: func(int64) bool { return true }}}
	})
	tn := owner.seed("vouch")
	prefix := "apitest" + pgtest.Suffix()
	srv := forward.NewServer(natstest.Conn(t, "owner"), owner.srv, nil, forward.Config{Prefix: prefix})
	t.Cleanup(func() { srv.Close(context.Background()) })
	must(t, srv.Serve(tn.acc.ID))
	client := forward.NewClient(natstest.Conn(t, "front"), forward.Config{Prefix: prefix, RetryFor: time.Second})

	vouch := fmt.Sprintf("%d;%d;agent;0", tn.acc.ID, tn.agent.ID)
	// A client's own header on the owner's listener: authenticated, and
	// refused for its made-up token.
	w := owner.do(req{method: "POST", path: "/api/v1/floor/me/login", token: "cfs_madeup", header: map[string]string{forward.HeaderActor: vouch}})
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("a vouch sent by a client: %d %s", w.Code, w.Body)
	}
	// The same, forwarded by a node: the owner takes the node's word.
	r := httptest.NewRequest("POST", "/api/v1/floor/me/login", nil)
	r.Header.Set("Authorization", "Bearer cfs_madeup")
	r.Header.Set(forward.HeaderActor, vouch)
	rec := httptest.NewRecorder()
	must(t, client.Forward(context.Background(), tn.acc.ID, rec, r))
	if rec.Code != http.StatusOK {
		t.Fatalf("a forwarded, vouched login: %d %s", rec.Code, rec.Body)
	}
	// Vouched for another account than the one it was forwarded for.
	r = httptest.NewRequest("POST", "/api/v1/floor/me/logoff", nil)
	r.Header.Set("Authorization", "Bearer cfs_madeup")
	r.Header.Set(forward.HeaderActor, fmt.Sprintf("%d;%d;agent;0", tn.acc.ID+1000, tn.agent.ID))
	rec = httptest.NewRecorder()
	must(t, client.Forward(context.Background(), tn.acc.ID, rec, r))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("a vouch for another account: %d %s", rec.Code, rec.Body)
	}
}
