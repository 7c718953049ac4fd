package carrier

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/media/dtmf"
	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/rtp"
	"github.com/callfloor/callfloor/media/tone"
	"github.com/callfloor/callfloor/sip/sdp"
)

// ptime is the packet interval.
const ptime = 20 * time.Millisecond

// counters are the carrier's media totals.
type counters struct {
	sent, received, rtcp atomic.Int64
}

// stream is the RTP endpoint of one call: a UDP socket, with an RTCP
// socket on the port above, that sends a generator's sound every 20 ms
// to the peer from the socket it receives on (symmetric RTP), and counts
// and discards what arrives, reporting DTMF digits (RFC 4733).
type stream struct {
	conn, rtcp *net.UDPConn
	log        *slog.Logger
	count      *counters
	onDigit    func(byte)

	mu      sync.Mutex
	remote  netip.AddrPort
	codec   uint8
	dtmfPT  int // -1: none negotiated
	sending bool
	gen     tone.Generator // set by start; used by the sender only

	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
}

// listenMedia binds a stream's sockets on ip: an even port for RTP and
// the one above for RTCP when it is free.
func listenMedia(ip netip.Addr, log *slog.Logger, count *counters, onDigit func(byte)) (*stream, error) {
	s := &stream{log: log, count: count, onDigit: onDigit, dtmfPT: -1, stop: make(chan struct{})}
	var err error
	for range 20 {
		s.conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, err
		}
		port := s.conn.LocalAddr().(*net.UDPAddr).Port
		if port%2 == 0 {
			s.rtcp, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1))))
			if err == nil {
				break
			}
		}
		s.conn.Close()
		s.conn = nil
	}
	if s.conn == nil { // no pair free: RTP alone will do
		if s.conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0))); err != nil {
			return nil, err
		}
	}
	s.wg.Add(1)
	go s.receive()
	if s.rtcp != nil {
		s.wg.Add(1)
		go s.discardRTCP()
	}
	return s, nil
}

// local is the stream's side of an SDP offer or answer.
func (s *stream) local(session uint64) sdp.Local {
	a := s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return sdp.Local{Addr: a.Addr().Unmap(), Port: int(a.Port()), SessionID: session, Version: 1}
}

// negotiated sets where and how to send, after an offer or answer.
func (s *stream) negotiated(n sdp.Negotiated) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remote, s.codec, s.dtmfPT = n.Remote, n.Codec.PT, -1
	if n.DTMF != nil {
		s.dtmfPT = int(n.DTMF.PT)
	}
	s.sending = n.Direction == sdp.SendRecv || n.Direction == sdp.SendOnly || n.Direction == ""
}

// start sends gen's sound from now on; once per stream.
func (s *stream) start(gen tone.Generator) {
	s.gen = gen
	s.wg.Add(1)
	go s.send()
}

// send paces one packet every 20 ms; the timestamp runs on while the
// peer has the call on hold, and a new talk spurt after it is marked.
func (s *stream) send() {
	defer s.wg.Done()
	tick := time.NewTicker(ptime)
	defer tick.Stop()
	hd := rtp.Header{Marker: true, Seq: uint16(rand.Uint32()), Timestamp: rand.Uint32(), SSRC: rand.Uint32()}
	pcm := make([]int16, tone.FrameSamples)
	pkt := make([]byte, 0, rtp.HeaderSize+g711.FrameSamples)
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		to, pt, on := s.remote, s.codec, s.sending && s.remote.IsValid() && s.remote.Port() != 0
		s.mu.Unlock()
		s.gen.Fill(pcm)
		if on {
			hd.PayloadType = pt
			pkt = hd.Append(pkt[:0])
			payload := pkt[len(pkt) : len(pkt)+g711.FrameSamples]
			if pt == g711.PayloadTypePCMA {
				g711.EncodePCMA(payload, pcm)
			} else {
				g711.EncodePCMU(payload, pcm)
			}
			pkt = pkt[:len(pkt)+g711.FrameSamples]
			if _, err := s.conn.WriteToUDPAddrPort(pkt, to); err == nil {
				s.count.sent.Add(1)
			} else if errors.Is(err, net.ErrClosed) {
				return
			}
			hd.Seq++
			hd.Marker = false
		} else {
			hd.Marker = true
		}
		hd.Timestamp += tone.FrameSamples
	}
}

// receive counts what the peer sends and reports its DTMF digits.
func (s *stream) receive() {
	defer s.wg.Done()
	var det dtmf.Detector
	var presses []dtmf.Press
	buf := make([]byte, 1500)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		hd, payload, err := rtp.Parse(buf[:n])
		if err != nil {
			continue
		}
		s.count.received.Add(1)
		s.mu.Lock()
		dtmfPT := s.dtmfPT
		s.mu.Unlock()
		if int(hd.PayloadType) != dtmfPT {
			continue
		}
		presses, err = det.Feed(presses[:0], hd.Timestamp, hd.Marker, payload)
		if err != nil {
			s.log.Debug("carrier: bad telephone-event", "err", err)
		}
		for _, p := range presses {
			s.onDigit(p.Key)
		}
	}
}

func (s *stream) discardRTCP() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, err := s.rtcp.Read(buf); err != nil {
			return
		}
		s.count.rtcp.Add(1)
	}
}

// close stops the stream and waits for its goroutines.
func (s *stream) close() {
	s.stopped.Do(func() {
		close(s.stop)
		s.conn.Close()
		if s.rtcp != nil {
			s.rtcp.Close()
		}
		s.wg.Wait()
	})
}
