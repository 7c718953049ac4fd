//go:build !linux

package relay

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// Away from Linux, each socket is a net.UDPConn read by a goroutine of
// its own; the legs see the same slots and handlers as with epoll.

type sock struct {
	conn   *net.UDPConn
	family int
	local  netip.AddrPort
	done   chan struct{} // closed when the reader returns
}

var errAddrInUse = errors.New("relay: address in use")

func openSock(ip netip.Addr, port uint16) (*sock, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, errAddrInUse
		}
		return nil, err
	}
	return &sock{conn: c, local: c.LocalAddr().(*net.UDPAddr).AddrPort(), done: make(chan struct{})}, nil
}

func (s *sock) close() error { return s.conn.Close() }

type sockaddr struct {
	ap  netip.AddrPort
	len uint32
}

func (a *sockaddr) set(ap netip.AddrPort, family int) {
	*a = sockaddr{ap: ap}
	if ap.IsValid() {
		a.len = 1
	}
}

func (a *sockaddr) addrPort() netip.AddrPort { return a.ap }

func (s *sock) sendTo(b []byte, to *sockaddr) error {
	if to.len == 0 {
		return errors.New("relay: no address")
	}
	_, err := s.conn.WriteToUDPAddrPort(b, to.ap)
	return err
}

type poller struct {
	mu    sync.Mutex
	slots []slot
	free  []int32
}

var defaultPoller poller

func pickPoller() (*poller, error) { return &defaultPoller, nil }

// pollerCount is how many pollers run: the one, whose goroutines are
// the sockets'.
func pollerCount() int { return 1 }

func (p *poller) add(s *sock, l *Leg, rtcp bool) (int32, error) {
	p.mu.Lock()
	var i int32
	if n := len(p.free); n > 0 {
		i, p.free = p.free[n-1], p.free[:n-1]
	} else {
		i = int32(len(p.slots))
		p.slots = append(p.slots, slot{})
	}
	sl := slot{s: s, leg: l, rtcp: rtcp}
	p.slots[i] = sl
	p.mu.Unlock()
	go func() {
		defer close(s.done)
		var buf [maxPacket]byte
		var after []func()
		for {
			n, from, err := s.conn.ReadFromUDPAddrPort(buf[:])
			if errors.Is(err, net.ErrClosed) {
				return
			} else if err != nil {
				continue
			}
			sa := sockaddr{ap: from, len: 1}
			p.mu.Lock()
			sl.handle(buf[:n], &sa, &after)
			p.mu.Unlock()
			for _, f := range after {
				f()
			}
			after = after[:0]
		}
	}()
	return i, nil
}

func (p *poller) remove(i int32) error {
	p.mu.Lock()
	s := p.slots[i].s
	p.slots[i] = slot{}
	if s != nil {
		p.free = append(p.free, i)
	}
	p.mu.Unlock()
	if s == nil {
		return nil
	}
	err := s.close()
	<-s.done
	return err
}

// share does nothing: there is one poller here.
func (l *Leg) share(*poller) {}
