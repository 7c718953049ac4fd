package placement

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strings"
)

// Pick returns the node that should own the account among nodes:
// rendezvous (highest random weight) hashing, the node whose weight for
// the account is highest. Every process agrees on it, and a node joining
// or leaving moves only the accounts it wins or held. Pick returns ""
// when nodes is empty.
func Pick(accountID int64, nodes []string) string {
	best, bestW := "", uint64(0)
	for _, n := range nodes {
		w := weight(n, accountID)
		if best == "" || w > bestW || (w == bestW && n < best) {
			best, bestW = n, w
		}
	}
	return best
}

// rank returns nodes in the account's order of choice, Pick's first.
func rank(accountID int64, nodes []string) []string {
	type weighted struct {
		node string
		w    uint64
	}
	ws := make([]weighted, len(nodes))
	for i, n := range nodes {
		ws[i] = weighted{n, weight(n, accountID)}
	}
	slices.SortFunc(ws, func(a, b weighted) int {
		if a.w != b.w {
			if a.w > b.w {
				return -1
			}
			return 1
		}
		return strings.Compare(a.node, b.node)
	})
	out := make([]string, len(ws))
	for i, x := range ws {
		out[i] = x.node
	}
	return out
}

// weight is a node's weight for an account: FNV-1a of the node's name, a
// zero byte and the account's id (8 bytes, big-endian), then mixed so
// that names and ids a bit apart give unrelated weights. Fixed, so every
// process of every version computes the same.
func weight(node string, accountID int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(node))
	var b [9]byte
	binary.BigEndian.PutUint64(b[1:], uint64(accountID))
	h.Write(b[:])
	return mix(h.Sum64())
}

// mix is a 64-bit finaliser (xor-shifts and odd multipliers): each input
// bit flips about half the output bits, which FNV alone does not do for
// inputs that differ in their last bytes.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
