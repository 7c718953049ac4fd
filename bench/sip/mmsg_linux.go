//go:build linux && (amd64 || arm64)

package main

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/callfloor/callfloor/bench/internal/kstamp"
)

// mmsghdr is struct mmsghdr of <sys/socket.h> on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

type sysBatch struct {
	hdrs  []mmsghdr
	iovs  []syscall.Iovec
	names []syscall.RawSockaddrInet4
	oob   [][]byte // each datagram's control messages: its arrival time
}

func (s *sysBatch) init(b *batch) {
	n := len(b.bufs)
	s.hdrs, s.iovs, s.names = make([]mmsghdr, n), make([]syscall.Iovec, n), make([]syscall.RawSockaddrInet4, n)
	s.oob = make([][]byte, n)
	for i := range n {
		s.oob[i] = make([]byte, kstamp.Size)
		s.iovs[i].Base = &b.bufs[i][0]
		s.hdrs[i].hdr.Iov = &s.iovs[i]
		s.hdrs[i].hdr.Iovlen = 1
		s.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&s.names[i]))
	}
}

// write sends the batch's datagrams from c (IPv4 destinations only) and
// empties the batch; it returns how many were sent.
func (b *batch) write(c *net.UDPConn) (int, error) {
	s := &b.sys
	for i := range b.n {
		a := b.addrs[i]
		s.names[i] = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: a.Addr().As4()}
		p := (*[2]byte)(unsafe.Pointer(&s.names[i].Port))
		p[0], p[1] = byte(a.Port()>>8), byte(a.Port())
		s.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet4
		s.iovs[i].SetLen(b.lens[i])
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	sent := 0
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		for sent < b.n {
			r, _, e := syscall.Syscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&s.hdrs[sent])), uintptr(b.n-sent), 0, 0, 0)
			switch e {
			case 0:
				sent += int(r)
			case syscall.EAGAIN:
				return false
			case syscall.EINTR:
			default:
				serr = e
				return true
			}
		}
		return true
	})
	b.n = 0
	if err == nil {
		err = serr
	}
	return sent, err
}

// read fills the batch with the datagrams waiting on c, at least one,
// blocking until there is one.
func (b *batch) read(c *net.UDPConn) (int, error) {
	s := &b.sys
	for i := range s.hdrs {
		s.iovs[i].SetLen(len(b.bufs[i]))
		s.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet4
		s.hdrs[i].hdr.Flags = 0
		s.hdrs[i].hdr.Control = &s.oob[i][0]
		s.hdrs[i].hdr.SetControllen(kstamp.Size)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var rerr error
	b.n = 0
	err = rc.Read(func(fd uintptr) bool {
		r, _, e := syscall.Syscall6(syscall.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[0])), uintptr(len(s.hdrs)),
			syscall.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			b.n = int(r)
		case syscall.EAGAIN:
			return false
		case syscall.EINTR:
			return false
		default:
			rerr = e
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	for i := range b.n {
		b.lens[i] = int(s.hdrs[i].len)
		n := &s.names[i]
		p := (*[2]byte)(unsafe.Pointer(&n.Port))
		b.addrs[i] = netip.AddrPortFrom(netip.AddrFrom4(n.Addr), uint16(p[0])<<8|uint16(p[1]))
		b.stamps[i], _ = kstamp.Arrival(s.oob[i][:s.hdrs[i].hdr.Controllen])
	}
	return b.n, rerr
}

// stampArrivals has the kernel stamp each datagram c receives with its
// arrival time, which read returns in the batch's stamps.
func stampArrivals(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = kstamp.Enable(int(fd)) }); err != nil {
		return err
	}
	return serr
}
