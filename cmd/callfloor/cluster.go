package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/api"
	"github.com/callfloor/callfloor/cluster/fanout"
	"github.com/callfloor/callfloor/cluster/forward"
	"github.com/callfloor/callfloor/cluster/lease"
	"github.com/callfloor/callfloor/cluster/owner"
	"github.com/callfloor/callfloor/cluster/placement"
	"github.com/callfloor/callfloor/floor"
)

// A server with a NATS URL (and PostgreSQL) is a node of a cluster
// (docs/scale-out.md). The domain code is the same as a single server's:
// what differs is chosen here. The node's Floor runs only the accounts
// it owns (floor.FloorConfig.Owned); the placer takes and gives up
// accounts through the owner manager (lease, epoch, engine); the API
// forwards the requests of the accounts other nodes own; the floor's
// events go to every node's hub through JetStream; and the node keeps
// its row in cluster_nodes, from which Kamailio learns where to send
// each account's SIP.

// clusterNode is what a server has as a node of a cluster.
type clusterNode struct {
	name string
	log  *slog.Logger
	nc   *nats.Conn

	leases *lease.Leases
	// owners is set once the node starts owning (startCluster); the
	// journal indexer reads it from its own goroutine.
	owners   atomic.Pointer[owner.Manager]
	registry *placement.Registry
	member   *placement.Member
	placer   *placement.Placer
	serve    *forward.Server
	// client forwards requests; floor the floor's commands, which an
	// owner answers in milliseconds, so one it received but did not
	// answer within floorTimeout is given up sooner (it died with it).
	client *forward.Client
	floor  *forward.Client
	pub    *fanout.Publisher
	recv   *fanout.Receiver

	stop func()
}

// Cluster timings. A dead node's accounts move after about the lease's
// TTL (cluster-ttl): the placer looks every placeInterval, and the
// receivers replay the stream's last eventReplay at start, so a client
// that reconnects to a node that just started finds the events it missed.
const (
	placeInterval = 500 * time.Millisecond
	eventMaxAge   = 10 * time.Minute
	eventReplay   = 5 * time.Minute
	// nodeBeat is how often the node rewrites its cluster_nodes row.
	nodeBeat = 2 * time.Second
)

// nodeName is the configured node name, or the host name.
func nodeName(cfg Config) (string, error) {
	if cfg.Node != "" {
		return cfg.Node, nil
	}
	h, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("node name: set --node (the host name is unknown: %w)", err)
	}
	h, _, _ = strings.Cut(h, ".")
	if !validNodeName(h) {
		return "", fmt.Errorf("node name: set --node (the host name %q is not a valid node name)", h)
	}
	return h, nil
}

// connectCluster connects to NATS and opens the cluster's buckets and
// event stream; the parts that need the floor and the API come later
// (startCluster).
func (m *Main) connectCluster(ctx context.Context) error {
	name, err := nodeName(m.Config)
	if err != nil {
		return err
	}
	// The cluster's packages name the node in their own lines.
	c := &clusterNode{name: name, log: m.Logger}
	c.nc, err = nats.Connect(m.Config.NATS, nats.Name("callfloor "+name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				c.log.Warn("NATS connection lost", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { c.log.Info("NATS connection back", "url", nc.ConnectedUrl()) }))
	if err != nil {
		return fmt.Errorf("nats %s: %w", m.Config.NATS, err)
	}
	m.cluster = c
	js, err := jetstream.New(c.nc)
	if err != nil {
		return err
	}
	prefix := m.Config.Cluster
	if c.leases, err = lease.Open(ctx, js, lease.Config{Bucket: prefix + "_leases", TTL: m.Config.ClusterTTL, Clock: m.Clock, Logger: c.log}); err != nil {
		return fmt.Errorf("cluster leases: %w", err)
	}
	if c.registry, err = placement.OpenRegistry(ctx, js, placement.RegistryConfig{Nodes: prefix + "_nodes", Drain: prefix + "_drain",
		TTL: m.Config.ClusterTTL, Clock: m.Clock, Logger: c.log}); err != nil {
		return fmt.Errorf("cluster registry: %w", err)
	}
	events := fanout.Config{Stream: prefix + "_events", Prefix: prefix, MaxAge: eventMaxAge, Logger: c.log}
	if c.pub, err = fanout.NewPublisher(ctx, c.nc, fanout.PublisherConfig{Config: events, Node: name}); err != nil {
		return fmt.Errorf("cluster events: %w", err)
	}
	if c.recv, err = fanout.NewReceiver(ctx, c.nc, fanout.ReceiverConfig{Config: events, Replay: eventReplay, Node: name,
		Sink: m.Hub.Publish, LiveSink: m.Hub.PublishLive, Has: m.Hub.Last, Journal: m.Store, Clock: m.Clock}); err != nil {
		return fmt.Errorf("cluster events: %w", err)
	}
	c.client = forward.NewClient(c.nc, forward.Config{Prefix: prefix, Clock: m.Clock, Logger: c.log})
	c.floor = forward.NewClient(c.nc, forward.Config{Prefix: prefix, Clock: m.Clock, Logger: c.log, Timeout: floorTimeout})
	return nil
}

// floorTimeout bounds the wait for the owner's answer to a floor command
// (forward.Config.Timeout; 30 s for the other requests, such as reports).
const floorTimeout = 5 * time.Second

// clusterAPI is the API's way to the other nodes (api.Cluster).
type clusterAPI struct {
	router, floor *forward.Router
	client        *forward.Client
}

func newClusterAPI(c *clusterNode, local func(int64) bool) clusterAPI {
	return clusterAPI{router: &forward.Router{Client: c.client, Local: local},
		floor: &forward.Router{Client: c.floor, Local: local}, client: c.floor}
}

func (c clusterAPI) Route(w http.ResponseWriter, r *http.Request, a callfloor.Actor) bool {
	rt := c.router
	if strings.HasPrefix(r.URL.Path, "/api/v1/floor/") || strings.HasPrefix(r.URL.Path, "/api/v1/sim/") {
		rt = c.floor
	}
	if forward.Forwarded(r.Context()) || rt.Local(a.AccountID) {
		return false
	}
	forward.Vouch(r, a)
	return rt.Route(w, r, a.AccountID)
}

func (c clusterAPI) Vouched(r *http.Request) (callfloor.Actor, bool) { return forward.Vouched(r) }

// AgentViews asks the account's owner for its agents' views, through
// the forwarder, at the owner's internal viewsPath. A read changes
// nothing, so one the owner does not answer within viewsTimeout (it may
// have died with the request) is sent again, to the next owner.
func (c clusterAPI) AgentViews(ctx context.Context, accountID int64, only []int64) (int64, []api.AgentView, error) {
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, viewsTimeout)
		seq, views, err := c.agentViews(tctx, accountID, only)
		cancel()
		if callfloor.ErrorCode(err) != callfloor.ErrOwnerTimeout || ctx.Err() != nil || try == viewsTries {
			return seq, views, err
		}
	}
}

// viewsTimeout bounds one request for the agents' views (the owner
// answers it from memory); viewsTries of them are made.
const (
	viewsTimeout = 2 * time.Second
	viewsTries   = 6
)

func (c clusterAPI) agentViews(ctx context.Context, accountID int64, only []int64) (int64, []api.AgentView, error) {
	q := url.Values{}
	if only != nil {
		ids := make([]string, len(only))
		for i, id := range only {
			ids[i] = strconv.FormatInt(id, 10)
		}
		q.Set("only", strings.Join(ids, ","))
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, viewsPath+"?"+q.Encode(), nil)
	if err != nil {
		return 0, nil, err
	}
	w := &bufferWriter{header: http.Header{}}
	if err := c.client.Forward(ctx, accountID, w, r); err != nil {
		return 0, nil, err
	}
	if w.status != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(w.body.Bytes(), &e) == nil && e.Error.Code != "" {
			return 0, nil, callfloor.Errorf(e.Error.Code, "%s", e.Error.Message)
		}
		return 0, nil, fmt.Errorf("agent views from the owner: status %d", w.status)
	}
	var out agentViews
	if err := json.Unmarshal(w.body.Bytes(), &out); err != nil {
		return 0, nil, fmt.Errorf("agent views from the owner: %w", err)
	}
	return out.Seq, out.Agents, nil
}

// viewsPath is the owner's answer to AgentViews. It is served only to
// requests forwarded over NATS (internalHandler), never on the HTTP
// listener.
const viewsPath = "/_cluster/agent-views"

type agentViews struct {
	Seq    int64           `json:"seq"`
	Agents []api.AgentView `json:"agents"`
}

// internalHandler is what the node serves to forwarded requests: the API,
// and the agents' views for another node's streams.
func internalHandler(srv *api.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != viewsPath {
			srv.ServeHTTP(w, r)
			return
		}
		account, ok := forward.Account(r.Context())
		var only []int64
		if s := r.URL.Query().Get("only"); s != "" {
			for _, f := range strings.Split(s, ",") {
				id, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					ok = false
					break
				}
				only = append(only, id)
			}
		}
		if !ok {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		seq, views, err := srv.AgentViews(r.Context(), account, only)
		if err != nil {
			writeCodedError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(agentViews{Seq: seq, Agents: views})
	})
}

// writeCodedError answers err in the API's error shape, with the
// not-owner mark the forwarder retries on.
func writeCodedError(w http.ResponseWriter, err error) {
	code := callfloor.ErrorCode(err)
	status := http.StatusInternalServerError
	if code == callfloor.ErrNotOwner || code == callfloor.ErrFenced {
		status = http.StatusServiceUnavailable
		w.Header().Set(forward.HeaderNotOwner, "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": callfloor.ErrorMessage(err)}})
}

// bufferWriter keeps an answer in memory.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.header }
func (w *bufferWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *bufferWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// startCluster starts what needs the floor and the API: the forwarded
// requests' server, the owner manager, the node's presence and the
// placer, which takes the node's share of the accounts from now on.
func (m *Main) startCluster(ctx context.Context, handler *api.Server) error {
	c := m.cluster
	prefix := m.Config.Cluster
	c.serve = forward.NewServer(c.nc, internalHandler(handler), m.Floor.Runs, forward.Config{Prefix: prefix, Clock: m.Clock, Logger: c.log})
	owners := owner.New(owner.Config{Node: c.name, Leases: c.leases, Store: m.Store, Floor: m.Floor, Logger: c.log})
	c.owners.Store(owners)
	host := m.Config.NodeHost
	if host == "" {
		host, _, _ = net.SplitHostPort(m.Addr())
	}
	_, httpPort, _ := net.SplitHostPort(m.Addr())
	_, sipPort, _ := net.SplitHostPort(m.SIPAddr())
	self := placement.Node{Name: c.name, HTTPURL: "http://" + net.JoinHostPort(host, httpPort),
		SIPURI: "sip:" + net.JoinHostPort(host, sipPort), Started: m.Clock.Now()}
	var err error
	if c.member, err = c.registry.Join(ctx, self); err != nil {
		return fmt.Errorf("joining the cluster: %w", err)
	}
	if err := m.putNode(ctx, self); err != nil {
		return err
	}
	c.placer = placement.New(placement.Config{Node: c.name, Registry: c.registry, Owner: &servingOwner{m: owners, serve: c.serve, log: c.log},
		Leases: c.leases, Accounts: m.accountIDs, Busy: m.busy, Interval: placeInterval, Clock: m.Clock, Logger: c.log})
	run, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.placer.Run(run) })
	wg.Go(func() { m.keepNode(run, self) })
	c.stop = func() {
		cancel()
		wg.Wait()
	}
	c.log.Info("cluster node started", "node", c.name, "cluster", prefix, "http", self.HTTPURL, "sip", self.SIPURI)
	return nil
}

// putNode writes the node's row in cluster_nodes, from which Kamailio
// reads where an owner's SIP goes.
func (m *Main) putNode(ctx context.Context, n placement.Node) error {
	_, err := m.Store.PutClusterNode(ctx, callfloor.ClusterNode{Name: n.Name, SIPURI: n.SIPURI, HTTPURL: n.HTTPURL})
	if err != nil {
		return fmt.Errorf("cluster node row: %w", err)
	}
	return nil
}

// keepNode rewrites the node's row every nodeBeat, and stops serving the
// forwarded requests of accounts the node no longer runs (a lease lost,
// an engine fenced), until ctx ends.
func (m *Main) keepNode(ctx context.Context, n placement.Node) {
	c := m.cluster
	t := time.NewTicker(nodeBeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := m.putNode(ctx, n); err != nil && ctx.Err() == nil {
			c.log.Warn("cluster node row not written", "err", err)
		}
		for _, id := range c.serve.Serving() {
			if !m.Floor.Runs(id) {
				if err := c.serve.Stop(ctx, id); err != nil && ctx.Err() == nil {
					c.log.Warn("forwarded requests of an account given up still served", "account", id, "err", err)
				}
			}
		}
	}
}

// ownedIDs are the accounts the node owns now (none before its owner
// manager starts).
func (c *clusterNode) ownedIDs() []int64 {
	m := c.owners.Load()
	if m == nil {
		return nil
	}
	owned := m.Owned()
	ids := make([]int64, len(owned))
	for i, o := range owned {
		ids[i] = o.AccountID
	}
	return ids
}

// catchUp puts in the hub, before an engine's first events on this node,
// those of the account's previous owner the event stream has not
// brought yet: the hub keeps an account's events without a hole, and
// would otherwise skip them when they come (they are older than its
// last). It reads the journal, on the engine's goroutine, only right
// after the node took the account over, and at most catchUpMax events.
func (c *clusterNode) catchUp(m *Main, evs []callfloor.Event) {
	if len(evs) == 0 {
		return
	}
	account, first := evs[0].AccountID, evs[0].Seq
	last := m.Hub.Last(account)
	if last == 0 || first <= last+1 {
		return // the hub starts the account here, or has no hole
	}
	if first-1-last > catchUpMax {
		c.log.Warn("the hub is too far behind the account to fill it in: streams that resume from before start again", "account", account, "hub", last, "engine", first-1)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	missing, err := fanout.Backfill(ctx, m.Store, account, last, first-1)
	if err != nil {
		c.log.Warn("the previous owner's last events were not read for the hub", "account", account, "after", last, "upto", first-1, "err", err)
		return
	}
	m.Hub.Publish(missing)
}

// catchUpMax bounds what catchUp reads.
const catchUpMax = 10000

// accountIDs lists every account of the cluster.
func (m *Main) accountIDs(ctx context.Context) ([]int64, error) {
	accs, err := m.Store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(accs))
	for i, a := range accs {
		ids[i] = a.ID
	}
	return ids, nil
}

// busy reports whether an account has calls here: in the B2BUA (ringing,
// queued, connected), or on its agents' lines as the floor has them (the
// simulated plane's calls). A busy account is not handed to another
// node.
func (m *Main) busy(accountID int64) bool {
	if m.calls != nil && m.calls.AccountCalls(accountID) > 0 {
		return true
	}
	lines := false
	_ = m.Floor.Peek(context.Background(), accountID, func(st *floor.State, _ *floor.Config) {
		for _, a := range st.Agents {
			if len(a.Lines) > 0 {
				lines = true
				return
			}
		}
	})
	return lines
}

// servingOwner is the owner manager as the placer drives it: an account
// owned here has its forwarded requests served here, and stops being
// served before it is given up.
type servingOwner struct {
	m     *owner.Manager
	serve *forward.Server
	log   *slog.Logger
}

func (o *servingOwner) Own(ctx context.Context, accountID int64) (callfloor.Ownership, error) {
	own, err := o.m.Own(ctx, accountID)
	if err != nil {
		return own, err
	}
	if err := o.serve.Serve(accountID); err != nil {
		o.log.Warn("an account owned here is not served to the other nodes", "account", accountID, "err", err)
	}
	return own, nil
}

func (o *servingOwner) Disown(ctx context.Context, accountID int64) error {
	err := o.m.Disown(ctx, accountID)
	if serr := o.serve.Stop(ctx, accountID); serr != nil && err == nil {
		err = serr
	}
	return err
}

func (o *servingOwner) Owned() []callfloor.Ownership { return o.m.Owned() }

// close leaves the cluster: the placer stops, the accounts are handed
// over cleanly (each engine stops deciding, its last appends finish, its
// lease is released, so another node takes it at once), then the node's
// presence and connections go.
func (c *clusterNode) close(m *Main) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.stop != nil {
		c.stop()
	}
	if owners := c.owners.Load(); owners != nil {
		if err := owners.Close(ctx); err != nil {
			c.log.Warn("accounts not handed over cleanly", "err", err)
		}
	}
	if c.serve != nil {
		_ = c.serve.Close(ctx)
	}
	if c.member != nil {
		_ = c.member.Close(ctx)
	}
	if m.Store != nil {
		if err := m.Store.DeleteClusterNode(ctx, c.name); err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotFound {
			c.log.Warn("cluster node row not deleted", "err", err)
		}
	}
	if c.pub != nil {
		_ = c.pub.Close(ctx)
	}
	if c.recv != nil {
		c.recv.Stop()
	}
	if c.nc != nil {
		c.nc.Close()
	}
}

var errNoCluster = errors.New("this command needs the cluster's NATS: set --nats (and --cluster when it is not callfloor)")
