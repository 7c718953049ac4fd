//go:build linux

package relay

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// A poller reads the sockets of many legs. Its epoll instance waits on
// every socket given to it (level-triggered, so a socket left with data
// comes back in the next wait), and the poller's one goroutine waits on
// that instance through Go's own network poller: with nothing to read it
// is parked, without holding a thread. Each wake-up handles every socket
// ready then, one datagram each, with one system call a datagram; the
// packet path has no goroutine per leg, no channel and no wake-up per
// packet once traffic is steady.
type poller struct {
	epfd int
	rc   syscall.RawConn
	file *os.File // owns epfd, for the life of the process

	// mu is held while a batch is handled and by add and remove: a
	// socket removed is never read again.
	mu    sync.Mutex
	slots []slot // an epoll event's data is the index of its slot
	free  []int32

	// Owned by run.
	buf   [maxPacket]byte
	from  sockaddr
	after []func() // key press reports, called once mu is released
}

// The pollers, one for each CPU Go may use (at most 8), started at the
// first Listen and kept for the life of the process. Legs are dealt to
// them in turn, and a call's second leg joins its first's (Connect).
// (Half as many was tried: with one poller for two CPUs, bench-sip's
// 1,000 held calls saw added jitter p99 of 190 and 370 ms, against 2.7
// ms with two, the server pinned to one core both times.)
var pollers struct {
	once sync.Once
	list []*poller
	err  error
	next atomic.Uint32
}

func pickPoller() (*poller, error) {
	pollers.once.Do(func() {
		for range min(max(runtime.GOMAXPROCS(0), 1), 8) {
			p, err := newPoller()
			if err != nil {
				pollers.err = err
				return
			}
			pollers.list = append(pollers.list, p)
			go p.run()
		}
	})
	if pollers.err != nil {
		return nil, pollers.err
	}
	return pollers.list[pollers.next.Add(1)%uint32(len(pollers.list))], nil
}

// pollerCount is how many pollers run.
func pollerCount() int { return len(pollers.list) }

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	// A non-blocking descriptor given to os.NewFile joins Go's network
	// poller; an epoll instance is readable while it has events.
	f := os.NewFile(uintptr(epfd), "relay-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &poller{epfd: epfd, rc: rc, file: f}, nil
}

// add starts reading s for leg l (its RTCP socket when rtcp is set) and
// returns the slot to remove it by.
func (p *poller) add(s *sock, l *Leg, rtcp bool) (int32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var i int32
	if n := len(p.free); n > 0 {
		i, p.free = p.free[n-1], p.free[:n-1]
	} else {
		i = int32(len(p.slots))
		p.slots = append(p.slots, slot{})
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, s.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: i}); err != nil {
		p.free = append(p.free, i)
		return 0, err
	}
	p.slots[i] = slot{s: s, leg: l, rtcp: rtcp}
	return i, nil
}

// remove stops reading slot i and closes its socket. Once it returns the
// socket is read no more (a batch in progress is waited for).
func (p *poller) remove(i int32) error {
	sl, err := p.take(i)
	if sl.s == nil {
		return err
	}
	return errors.Join(err, sl.s.close())
}

// take stops reading slot i and returns it, its socket still open.
func (p *poller) take(i int32) (slot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sl := p.slots[i]
	if sl.s == nil {
		return sl, nil
	}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, sl.s.fd, nil)
	p.slots[i] = slot{}
	p.free = append(p.free, i)
	return sl, err
}

// share moves l's sockets to poller p, the one reading its peer: one
// goroutine then carries both directions of the call, and the two legs'
// locks are never wanted by two pollers at once. Datagrams arriving
// meanwhile wait in the sockets.
func (l *Leg) share(p *poller) {
	l.pollMu.Lock()
	defer l.pollMu.Unlock()
	old := l.poller
	if old == nil || old == p {
		return
	}
	var moved [2]int32
	for i, at := range l.slots {
		sl, err := old.take(at)
		if err == nil {
			moved[i], err = p.add(sl.s, sl.leg, sl.rtcp)
		}
		if err != nil { // put back what moved; the leg stays where it was
			for j := range i {
				if back, err := p.take(moved[j]); err == nil {
					l.slots[j], _ = old.add(back.s, back.leg, back.rtcp)
				}
			}
			if sl.s != nil {
				l.slots[i], _ = old.add(sl.s, sl.leg, sl.rtcp)
			}
			return
		}
	}
	l.poller, l.slots = p, moved
}

// run is the poller's goroutine.
func (p *poller) run() {
	evs := make([]unix.EpollEvent, 256)
	for {
		var n int
		err := p.rc.Read(func(uintptr) bool {
			var err error
			n, err = unix.EpollWait(p.epfd, evs, 0)
			if err != nil { // EINTR: wait again at once
				n = 0
				return true
			}
			return n > 0 // false: park until the instance has events
		})
		if err != nil {
			return // the instance is never closed
		}
		p.mu.Lock()
		for _, ev := range evs[:n] {
			sl := p.slots[ev.Fd] // a slot removed since the wait is empty, or another socket's
			if sl.s == nil {
				continue
			}
			m, err := sl.s.recvFrom(p.buf[:], &p.from)
			if err != nil {
				continue
			}
			sl.handle(p.buf[:m], &p.from, &p.after)
		}
		p.mu.Unlock()
		for i, f := range p.after {
			f()
			p.after[i] = nil
		}
		p.after = p.after[:0]
	}
}
