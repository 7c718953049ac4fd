package relay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// Ports is a range of UDP ports for RTP, both ends included. RTP takes even
// ports, leaving the odd port above each for RTCP. The zero value lets the
// system choose any free port.
type Ports struct{ Min, Max int }

// ErrNoPort is returned by Listen when every even port of the range is
// taken.
var ErrNoPort = errors.New("relay: no free RTP port in range")

// listen binds the RTP socket and, on the port above it, the RTCP socket
// of a leg on ip: on ports the system chooses when ports is zero (an
// odd-numbered free port is not guaranteed above it, so a few pairs are
// tried), else on a free even port of ports whose odd neighbour is free
// too, trying them from a random one so that calls do not all probe the
// same ports first. An error other than a port in use (an address this
// machine does not have, no descriptors left) ends the search at once.
func listen(ip netip.Addr, ports Ports) (rtpSock, rtcpSock *sock, err error) {
	pair := func(port int) (*sock, *sock, error) {
		a, err := openSock(ip, uint16(port))
		if err != nil {
			return nil, nil, err
		}
		p := a.local.Port()
		if p%2 != 0 { // 65535, the last port, is odd too
			a.close()
			return nil, nil, errAddrInUse
		}
		b, err := openSock(ip, p+1)
		if err != nil {
			a.close()
			return nil, nil, err
		}
		return a, b, nil
	}
	if ports == (Ports{}) {
		for range 64 {
			a, b, err := pair(0)
			if err == nil {
				return a, b, nil
			} else if !errors.Is(err, errAddrInUse) {
				return nil, nil, err
			}
		}
		return nil, nil, fmt.Errorf("%w: no free even/odd pair from the system", ErrNoPort)
	}
	lo, hi := (ports.Min+1)&^1, ports.Max-1 // hi: the last RTP port with its RTCP port in range
	if lo <= 0 || ports.Max > 65535 || lo > hi {
		return nil, nil, fmt.Errorf("relay: bad port range %d-%d", ports.Min, ports.Max)
	}
	n := (hi-lo)/2 + 1
	first := rand.IntN(n)
	for i := range n {
		a, b, err := pair(lo + 2*((first+i)%n))
		if err == nil {
			return a, b, nil
		} else if !errors.Is(err, errAddrInUse) {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("%w %d-%d", ErrNoPort, ports.Min, ports.Max)
}
