package main

import (
	"net/netip"
)

// batch is a set of datagrams sent or received with one system call
// where the platform has one (sendmmsg and recvmmsg on Linux): at a
// hundred thousand frames a second the generator would otherwise spend
// as much CPU as the server it measures.
type batch struct {
	bufs  [][]byte // datagram i is bufs[i][:lens[i]]
	lens  []int
	addrs []netip.AddrPort // where to send it, or where it came from
	// stamps are when the kernel received each datagram read (Unix ns),
	// 0 where it did not say
	stamps []int64
	n      int      // datagrams in the batch
	sys    sysBatch // the platform's part
}

func newBatch(size, bufSize int) *batch {
	b := &batch{bufs: make([][]byte, size), lens: make([]int, size), addrs: make([]netip.AddrPort, size), stamps: make([]int64, size)}
	for i := range b.bufs {
		b.bufs[i] = make([]byte, bufSize)
	}
	b.sys.init(b)
	return b
}

// full reports whether the batch has no room left.
func (b *batch) full() bool { return b.n == len(b.bufs) }
