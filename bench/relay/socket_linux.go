//go:build linux

package main

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/callfloor/callfloor/bench/internal/kstamp"
)

// udpSocket is one of the generator's sockets: a plain blocking socket,
// outside Go's network poller, written with sendmmsg and read with
// recvmmsg without waiting. The generator reads it on its own clock, so a
// datagram arriving never wakes a thread of ours; the kernel stamps
// every arrival (SO_TIMESTAMPNS), so reading late does not add to the
// delay measured.
type udpSocket struct {
	fd   int
	addr netip.AddrPort

	shdrs  []unix.Mmsghdr
	siovs  []unix.Iovec
	snames []unix.RawSockaddrInet4

	rhdrs []unix.Mmsghdr
	riovs []unix.Iovec
	rbufs [][]byte // datagram i is rbufs[i][:rhdrs[i].Len]
	roob  [][]byte
}

// oobSize is room for the arrival time's control message.
const oobSize = kstamp.Size

// openSocket binds a socket to a free port of 127.0.0.1 with buffers of
// bufSize bytes each way (past the system's maximum when this process
// may, as root), batches of up to batch datagrams.
func openSocket(bufSize, batch int) (*udpSocket, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	s := &udpSocket{fd: fd}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		s.close()
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		s.close()
		return nil, err
	}
	s.addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], bufSize) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[1], bufSize)
		}
	}
	_ = kstamp.Enable(fd) // without, frames are stamped when read

	s.shdrs, s.siovs, s.snames = make([]unix.Mmsghdr, batch), make([]unix.Iovec, batch), make([]unix.RawSockaddrInet4, batch)
	s.rhdrs, s.riovs = make([]unix.Mmsghdr, batch), make([]unix.Iovec, batch)
	s.rbufs, s.roob = make([][]byte, batch), make([][]byte, batch)
	for i := range batch {
		s.shdrs[i].Hdr.Iov, s.shdrs[i].Hdr.Iovlen = &s.siovs[i], 1
		s.shdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&s.snames[i]))
		s.shdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
		s.rbufs[i], s.roob[i] = make([]byte, 2048), make([]byte, oobSize)
		s.riovs[i].Base = &s.rbufs[i][0]
		s.riovs[i].SetLen(len(s.rbufs[i]))
		s.rhdrs[i].Hdr.Iov, s.rhdrs[i].Hdr.Iovlen = &s.riovs[i], 1
		s.rhdrs[i].Hdr.Control = &s.roob[i][0]
	}
	return s, nil
}

func (s *udpSocket) close() error { return unix.Close(s.fd) }

// send sends datagram i of bufs to to[i] (IPv4), at most a batch, and
// returns how many were sent.
func (s *udpSocket) send(bufs [][]byte, to []netip.AddrPort) (int, error) {
	n := min(len(bufs), len(s.shdrs))
	for i := range n {
		a := to[i]
		s.snames[i] = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Addr().As4()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s.snames[i].Port))[:], a.Port())
		s.siovs[i].Base = &bufs[i][0]
		s.siovs[i].SetLen(len(bufs[i]))
	}
	sent := 0
	for sent < n {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.shdrs[sent])), uintptr(n-sent), 0, 0, 0)
		switch e {
		case 0:
			sent += int(r)
		case unix.EINTR:
		default:
			return sent, e
		}
	}
	return sent, nil
}

// recv reads the datagrams waiting, up to a batch, without waiting for
// any; datagram i is then s.datagram(i).
func (s *udpSocket) recv() (int, error) {
	for i := range s.rhdrs {
		s.rhdrs[i].Hdr.SetControllen(oobSize)
		s.rhdrs[i].Hdr.Flags = 0
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.rhdrs[0])), uintptr(len(s.rhdrs)),
			unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EAGAIN:
			return 0, nil
		case unix.EINTR:
		default:
			return 0, e
		}
	}
}

// datagram returns the i-th datagram recv read and its arrival time
// (Unix ns) as the kernel stamped it, if it did.
func (s *udpSocket) datagram(i int) ([]byte, int64, bool) {
	h := &s.rhdrs[i]
	at, ok := kstamp.Arrival(s.roob[i][:h.Hdr.Controllen])
	return s.rbufs[i][:h.Len], at, ok
}

// childAttr makes a child process end when this one does.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
