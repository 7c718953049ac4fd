//go:build linux

package relay

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sock is a non-blocking UDP socket outside Go's network poller: the
// relay's pollers wait on it (poll_linux.go), and it is read and written
// with one system call a datagram, no allocation. The calls never wait
// (MSG_DONTWAIT), so they are made raw, without telling the scheduler.
type sock struct {
	fd     int
	family int // unix.AF_INET or unix.AF_INET6
	local  netip.AddrPort
}

// errAddrInUse is returned by openSock for a port another socket holds.
var errAddrInUse = errors.New("relay: address in use")

// openSock binds a UDP socket to ip and port (0: any free port).
func openSock(ip netip.Addr, port uint16) (*sock, error) {
	s := &sock{family: unix.AF_INET}
	if ip.Is6() && !ip.Is4In6() {
		s.family = unix.AF_INET6
	}
	fd, err := unix.Socket(s.family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	s.fd = fd
	var sa unix.Sockaddr
	if s.family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Addr: ip.Unmap().As4(), Port: int(port)}
	} else {
		sa = &unix.SockaddrInet6{Addr: ip.As16(), Port: int(port)}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EADDRINUSE) {
			return nil, errAddrInUse
		}
		return nil, err
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		s.local = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		s.local = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return s, nil
}

func (s *sock) close() error { return unix.Close(s.fd) }

// sockaddr is an address in the form the system calls take, kept beside
// the leg's remote so that a send converts nothing.
type sockaddr struct {
	raw unix.RawSockaddrInet6 // large enough for either family
	len uint32                // 0: no address
}

// set makes a the system's form of ap for a socket of family; an address
// of the other family leaves a empty (sends to it fail).
func (a *sockaddr) set(ap netip.AddrPort, family int) {
	*a = sockaddr{}
	ip := ap.Addr()
	switch {
	case !ap.IsValid():
	case family == unix.AF_INET && ip.Unmap().Is4():
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&a.raw))
		r.Family, r.Addr = unix.AF_INET, ip.Unmap().As4()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&r.Port))[:], ap.Port())
		a.len = unix.SizeofSockaddrInet4
	case family == unix.AF_INET6:
		a.raw.Family, a.raw.Addr = unix.AF_INET6, ip.As16()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&a.raw.Port))[:], ap.Port())
		a.len = unix.SizeofSockaddrInet6
	}
}

// addrPort returns the address a holds (unmapped), or the zero value.
func (a *sockaddr) addrPort() netip.AddrPort {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&a.raw.Port))[:])
	switch a.raw.Family {
	case unix.AF_INET:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&a.raw))
		return netip.AddrPortFrom(netip.AddrFrom4(r.Addr), port)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.raw.Addr).Unmap(), port)
	}
	return netip.AddrPort{}
}

// recvFrom reads one datagram into b without waiting; from is where it
// came from. It returns unix.EAGAIN when none is waiting.
func (s *sock) recvFrom(b []byte, from *sockaddr) (int, error) {
	from.len = unix.SizeofSockaddrInet6
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&from.raw)), uintptr(unsafe.Pointer(&from.len)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// sendTo sends b to to without waiting: a datagram the socket's buffer
// has no room for is dropped, as the network would.
func (s *sock) sendTo(b []byte, to *sockaddr) error {
	if to.len == 0 || len(b) == 0 {
		return unix.EDESTADDRREQ
	}
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&to.raw)), uintptr(to.len))
	if e != 0 {
		return e
	}
	return nil
}
