package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
)

var clusterNodeTests = []test{
	{"cluster nodes/put, list, replace and delete", testClusterNodesPut},
	{"cluster nodes/names, SIP URIs and HTTP URLs are checked", testClusterNodesValidate},
	{"cluster nodes/delete names a node", testClusterNodesDelete},
}

func putNode(t *testing.T, st callfloor.Store, n callfloor.ClusterNode) callfloor.ClusterNode {
	t.Helper()
	got, err := st.PutClusterNode(context.Background(), n)
	ok(t, err)
	return got
}

func listNodes(t *testing.T, st callfloor.Store) []callfloor.ClusterNode {
	t.Helper()
	got, err := st.ClusterNodes(context.Background())
	ok(t, err)
	return got
}

func testClusterNodesPut(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	if got := listNodes(t, st); len(got) != 0 {
		t.Fatalf("a fresh store lists nodes: %v", got)
	}
	before := time.Now().Add(-time.Minute)
	two := putNode(t, st, callfloor.ClusterNode{Name: "node-2", SIPURI: "sip:10.0.0.12:5060", HTTPURL: "http://10.0.0.12:8080"})
	one := putNode(t, st, callfloor.ClusterNode{Name: "node-1", SIPURI: "sip:10.0.0.11:5060;transport=tcp", HTTPURL: "https://node-1.example.com/"})
	if two.Name != "node-2" || two.SIPURI != "sip:10.0.0.12:5060" || two.HTTPURL != "http://10.0.0.12:8080" ||
		two.SeenAt.Before(before) || two.SeenAt.Location() != time.UTC || !two.SeenAt.Equal(two.SeenAt.Truncate(time.Millisecond)) {
		t.Fatalf("put returned %+v", two)
	}
	// Listed by name, as put.
	same(t, "nodes", listNodes(t, st), []callfloor.ClusterNode{one, two})

	// A put under the same name replaces the row (a node that moved, or
	// its heartbeat), and stamps it again.
	moved := putNode(t, st, callfloor.ClusterNode{Name: "node-2", SIPURI: "sips:node-2.example.com", HTTPURL: "https://node-2.example.com"})
	if moved.SeenAt.Before(two.SeenAt) {
		t.Fatalf("the second put's SeenAt %v is before the first's %v", moved.SeenAt, two.SeenAt)
	}
	same(t, "nodes after node-2 moved", listNodes(t, st), []callfloor.ClusterNode{one, moved})

	// Deleting a node leaves the others, and the owner rows that name it.
	a, _ := newAccount(t, st, "acme", callfloor.LicenceNone, 0)
	own := claim(t, st, a.ID, "node-1")
	ok(t, st.DeleteClusterNode(ctx, "node-1"))
	same(t, "nodes after node-1 left", listNodes(t, st), []callfloor.ClusterNode{moved})
	o, err := st.AccountOwnership(ctx, a.ID)
	ok(t, err)
	same(t, "ownership after its node was deleted", o, own)
	// It comes back under its name.
	back := putNode(t, st, callfloor.ClusterNode{Name: "node-1", SIPURI: "sip:10.0.0.11", HTTPURL: "http://10.0.0.11"})
	same(t, "nodes after node-1 came back", listNodes(t, st), []callfloor.ClusterNode{back, moved})
}

func testClusterNodesValidate(t *testing.T, st callfloor.Store) {
	good := callfloor.ClusterNode{Name: "node-1", SIPURI: "sip:127.0.0.1:5071", HTTPURL: "http://127.0.0.1:8081"}
	with := func(f func(n *callfloor.ClusterNode)) callfloor.ClusterNode {
		n := good
		f(&n)
		return n
	}
	refused := []struct {
		n           callfloor.ClusterNode
		code, field string
	}{
		{with(func(n *callfloor.ClusterNode) { n.Name = "" }), callfloor.ErrFieldRequired, "name"},
		{with(func(n *callfloor.ClusterNode) { n.Name = "node 1" }), callfloor.ErrInvalidField, "name"},
		{with(func(n *callfloor.ClusterNode) { n.Name = "-node" }), callfloor.ErrInvalidField, "name"},
		{with(func(n *callfloor.ClusterNode) { n.Name = "nœud" }), callfloor.ErrInvalidField, "name"},
		{with(func(n *callfloor.ClusterNode) { n.Name = string(make([]byte, 64)) }), callfloor.ErrInvalidField, "name"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "" }), callfloor.ErrFieldRequired, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "127.0.0.1:5071" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "http://127.0.0.1:5071" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:alice@127.0.0.1" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:127.0.0.1:0" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:127.0.0.1:65536" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:127.0.0.1:" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:127.0.0.1;lr" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:127.0.0.1;transport=carrier-pigeon" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:127.0.0.1 " }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.SIPURI = "sip:node'1" }), callfloor.ErrInvalidField, "sip_uri"},
		{with(func(n *callfloor.ClusterNode) { n.HTTPURL = "" }), callfloor.ErrFieldRequired, "http_url"},
		{with(func(n *callfloor.ClusterNode) { n.HTTPURL = "127.0.0.1:8081" }), callfloor.ErrInvalidField, "http_url"},
		{with(func(n *callfloor.ClusterNode) { n.HTTPURL = "ftp://127.0.0.1" }), callfloor.ErrInvalidField, "http_url"},
		{with(func(n *callfloor.ClusterNode) { n.HTTPURL = "http://" }), callfloor.ErrInvalidField, "http_url"},
		{with(func(n *callfloor.ClusterNode) { n.HTTPURL = "http://admin:secret@127.0.0.1" }), callfloor.ErrInvalidField, "http_url"},
		{with(func(n *callfloor.ClusterNode) { n.HTTPURL = "http://127.0.0.1/?x=1" }), callfloor.ErrInvalidField, "http_url"},
	}
	for _, r := range refused {
		_, err := st.PutClusterNode(context.Background(), r.n)
		if callfloor.ErrorCode(err) != r.code || callfloor.ErrorField(err) != r.field {
			t.Fatalf("put %+v: %v (%s %s), want %s on %s", r.n, err, callfloor.ErrorCode(err), callfloor.ErrorField(err), r.code, r.field)
		}
	}
	if got := listNodes(t, st); len(got) != 0 {
		t.Fatalf("refused puts left nodes: %v", got)
	}

	accepted := []callfloor.ClusterNode{
		good,
		with(func(n *callfloor.ClusterNode) { n.Name = "Node_2.eu-west"; n.SIPURI = "sips:node-2.example.com" }),
		with(func(n *callfloor.ClusterNode) { n.Name = "3"; n.SIPURI = "sip:[::1]:5060;transport=tcp" }),
		with(func(n *callfloor.ClusterNode) {
			n.Name = "n4"
			n.SIPURI = "sip:10.0.0.14:65535;transport=udp"
			n.HTTPURL = "https://10.0.0.14:8443/callfloor"
		}),
	}
	for _, n := range accepted {
		putNode(t, st, n)
	}
	if got := listNodes(t, st); len(got) != len(accepted) {
		t.Fatalf("nodes after the accepted puts: %v", got)
	}
}

func testClusterNodesDelete(t *testing.T, st callfloor.Store) {
	ctx := context.Background()
	n := putNode(t, st, callfloor.ClusterNode{Name: "node-1", SIPURI: "sip:127.0.0.1:5071", HTTPURL: "http://127.0.0.1:8081"})
	wantErr(t, st.DeleteClusterNode(ctx, ""), callfloor.ErrFieldRequired, "name")
	wantErr(t, st.DeleteClusterNode(ctx, "node-2"), callfloor.ErrNotFound, "")
	wantErr(t, st.DeleteClusterNode(ctx, "NODE-1"), callfloor.ErrNotFound, "")
	same(t, "nodes after refused deletes", listNodes(t, st), []callfloor.ClusterNode{n})
	ok(t, st.DeleteClusterNode(ctx, "node-1"))
	wantErr(t, st.DeleteClusterNode(ctx, "node-1"), callfloor.ErrNotFound, "")
	if got := listNodes(t, st); len(got) != 0 {
		t.Fatalf("nodes after the delete: %v", got)
	}
}
