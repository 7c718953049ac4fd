package placement

import (
	"fmt"
	"slices"
	"testing"
)

// TestPickIsFixed pins a few picks: every process, of every version,
// must place an account on the same node, so the hash may never change.
func TestPickIsFixed(t *testing.T) {
	nodes := []string{"node-1", "node-2", "node-3"}
	tests := []struct {
		account int64
		nodes   []string
		want    string
	}{
		{account: 1, nodes: nodes, want: "node-2"},
		{account: 6, nodes: nodes, want: "node-3"},
		{account: 9, nodes: nodes, want: "node-1"},
		{account: 42, nodes: nodes, want: "node-3"},
		{account: 1000, nodes: nodes, want: "node-3"},
		{account: 42, nodes: []string{"node-3", "node-1", "node-2"}, want: "node-3"},
		{account: 42, nodes: []string{"only"}, want: "only"},
		{account: 42, nodes: nil, want: ""},
	}
	if w := weight("node-1", 1); w != 0x6e36175491dd52b4 {
		t.Fatalf("weight(node-1, 1) = %#x, want 0x6e36175491dd52b4", w)
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d of %v", tc.account, tc.nodes), func(t *testing.T) {
			if got := Pick(tc.account, tc.nodes); got != tc.want {
				t.Fatalf("Pick(%d, %v) = %q, want %q", tc.account, tc.nodes, got, tc.want)
			}
			if r := rank(tc.account, tc.nodes); len(tc.nodes) > 0 && r[0] != tc.want {
				t.Fatalf("rank(%d, %v) = %v, first should be %q", tc.account, tc.nodes, r, tc.want)
			}
		})
	}
}

// TestPickMovesLittle: 1000 accounts over the nodes before and after a
// change; only the accounts of the node that joined or left move, about
// as many as an even share.
func TestPickMovesLittle(t *testing.T) {
	const accounts = 1000
	three := []string{"node-1", "node-2", "node-3"}
	four := append(slices.Clone(three), "node-4")
	tests := []struct {
		name          string
		before, after []string
		// every moved account goes to, or comes from, this node
		changed  string
		min, max int // accounts moved
	}{
		{name: "a 4th node joins", before: three, after: four, changed: "node-4", min: 200, max: 300},
		{name: "a node leaves", before: four, after: []string{"node-1", "node-2", "node-4"}, changed: "node-3", min: 200, max: 300},
		{name: "the 3rd of 3 leaves", before: three, after: three[:2], changed: "node-3", min: 280, max: 390},
		{name: "order does not matter", before: three, after: []string{"node-3", "node-1", "node-2"}, min: 0, max: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			moved := 0
			share := map[string]int{}
			for id := int64(1); id <= accounts; id++ {
				from, to := Pick(id, tc.before), Pick(id, tc.after)
				share[to]++
				if from == to {
					continue
				}
				moved++
				if from != tc.changed && to != tc.changed {
					t.Errorf("account %d moved from %s to %s, neither of them %s", id, from, to, tc.changed)
				}
			}
			if moved < tc.min || moved > tc.max {
				t.Errorf("%d of %d accounts moved, want %d to %d", moved, accounts, tc.min, tc.max)
			}
			even := accounts / len(tc.after)
			for _, n := range tc.after {
				if share[n] < even*8/10 || share[n] > even*12/10 {
					t.Errorf("%s has %d accounts, an even share is %d: %v", n, share[n], even, share)
				}
			}
		})
	}
}

// TestRank: the second choice is where an account goes when the first
// choice leaves.
func TestRank(t *testing.T) {
	nodes := []string{"a", "b", "c", "d"}
	for id := int64(1); id <= 200; id++ {
		r := rank(id, nodes)
		if len(r) != len(nodes) {
			t.Fatalf("rank(%d) = %v", id, r)
		}
		without := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == r[0] })
		if got := Pick(id, without); got != r[1] {
			t.Fatalf("account %d: ranked %v, but without %s Pick chooses %s", id, r, r[0], got)
		}
	}
}
