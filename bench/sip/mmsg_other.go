//go:build !linux || !(amd64 || arm64)

package main

import "net"

// sysBatch is empty where datagrams go one system call each.
type sysBatch struct{}

func (s *sysBatch) init(*batch) {}

// write sends the batch's datagrams from c and empties the batch; it
// returns how many were sent.
func (b *batch) write(c *net.UDPConn) (int, error) {
	sent := 0
	var err error
	for i := range b.n {
		if _, err = c.WriteToUDPAddrPort(b.bufs[i][:b.lens[i]], b.addrs[i]); err == nil {
			sent++
		}
	}
	b.n = 0
	return sent, err
}

// read receives one datagram from c into the batch.
func (b *batch) read(c *net.UDPConn) (int, error) {
	n, from, err := c.ReadFromUDPAddrPort(b.bufs[0])
	if err != nil {
		b.n = 0
		return 0, err
	}
	b.lens[0], b.addrs[0], b.stamps[0], b.n = n, from, 0, 1
	return 1, nil
}

// stampArrivals does nothing here: frames are stamped when read.
func stampArrivals(*net.UDPConn) error { return nil }
