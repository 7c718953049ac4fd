package main

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/browsertest"
	"github.com/callfloor/callfloor/sip/sdp"
)

// counter counts the packets a client sends and receives, and the
// packets the RTP sequence numbers say were sent to it (RFC 3550 A.3):
// each stream (SSRC) counts from its first packet to its newest, so a
// packet lost is missed wherever the counting starts, and a new stream
// (the server switching what it sends) starts its own count.
type counter struct {
	sent, markSent atomic.Int64
	firstAudio     chan struct{}
	firstOnce      sync.Once

	mu                    sync.Mutex
	ssrc                  uint32
	highest               uint16 // of the current stream
	streams               int
	received, expected    int64
	markReceived, markExp int64
}

func newCounter() counter { return counter{firstAudio: make(chan struct{})} }

func (c *counter) mark() {
	c.markSent.Store(c.sent.Load())
	c.mu.Lock()
	c.markReceived, c.markExp = c.received, c.expected
	c.mu.Unlock()
}

// since returns what was sent and received since mark, and how many
// packets the sequence numbers say were sent to this client since then.
func (c *counter) since() (sent, received, expected int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent.Load() - c.markSent.Load(), c.received - c.markReceived, c.expected - c.markExp
}

func (c *counter) got(ssrc uint32, seq uint16) {
	c.mu.Lock()
	switch {
	case c.streams == 0 || ssrc != c.ssrc:
		c.ssrc, c.highest, c.streams = ssrc, seq, c.streams+1
		c.expected++
	default:
		if d := int16(seq - c.highest); d > 0 {
			c.highest = seq
			c.expected += int64(d)
		}
	}
	c.received++
	c.mu.Unlock()
	c.firstOnce.Do(func() { close(c.firstAudio) })
}

// frame is 20 ms of PCMU (a quiet tone: any bytes do for counting).
var frame = func() []byte {
	b := make([]byte, 160)
	for i := range b {
		b[i] = byte(0x70 + i%8)
	}
	return b
}()

var pionAPI = func() *pion.API {
	api, err := browsertest.API()
	if err != nil {
		panic(err)
	}
	return api
}()

// browser is a page phone: SIP over WebSocket, a pion peer connection
// that answers every call at once and sends a frame every 20 ms.
type browser struct {
	counter
	ext     *callfloor.Extension
	ws      string
	ua      *sipgo.UserAgent
	cli     *sipgo.Client
	dsc     *sipgo.DialogServerCache
	contact sip.ContactHeader
	mu      sync.Mutex
	pcs     []*pion.PeerConnection
	stop    chan struct{}
}

func newBrowser(ext *callfloor.Extension, ws string) (*browser, error) {
	b, err := newBrowserDeferred(ext, ws)
	if err != nil {
		return nil, err
	}
	return b, b.register()
}

func newBrowserDeferred(ext *callfloor.Extension, ws string) (*browser, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("bench-browser"))
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return nil, err
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet))
	if err != nil {
		return nil, err
	}
	params := sip.NewParams()
	params.Add("transport", "ws")
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext.Number,
		Host: strings.ToLower(sip.GenerateTagN(10)) + ".invalid", UriParams: params}}
	b := &browser{counter: newCounter(), ext: ext, ws: ws, ua: ua, cli: cli, contact: contact,
		dsc: sipgo.NewDialogServerCache(cli, contact), stop: make(chan struct{})}
	srv.OnInvite(b.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = b.dsc.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { _ = b.dsc.ReadBye(req, tx) })
	return b, nil
}

func (b *browser) register() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return browsertest.Register(ctx, b.cli, b.ws, b.ext.SIPUsername, b.ext.SIPSecret, b.contact)
}

func (b *browser) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	d, err := b.dsc.ReadInvite(req, tx)
	if err != nil {
		return
	}
	pc, err := pionAPI.NewPeerConnection(pion.Configuration{})
	if err != nil {
		_ = d.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	b.mu.Lock()
	b.pcs = append(b.pcs, pc)
	b.mu.Unlock()
	track, err := browsertest.Microphone(pc)
	if err == nil {
		err = pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: string(req.Body())})
	}
	var ans pion.SessionDescription
	if err == nil {
		ans, err = pc.CreateAnswer(nil)
	}
	if err != nil {
		_ = d.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return
	}
	<-gathered
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			b.got(pkt.SSRC, pkt.SequenceNumber)
		}
	})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 0xb0}, Payload: frame}
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
			}
			if pc.ConnectionState() != pion.PeerConnectionStateConnected {
				continue
			}
			if track.WriteRTP(pkt) == nil {
				b.sent.Add(1)
			}
			pkt.SequenceNumber++
			pkt.Timestamp += 160
		}
	}()
	_ = d.RespondSDP([]byte(pc.LocalDescription().SDP))
}

// close is the page going away: peer connections and SIP stack, no BYE.
func (b *browser) close() {
	close(b.stop)
	b.mu.Lock()
	for _, pc := range b.pcs {
		_ = pc.Close()
	}
	b.mu.Unlock()
	b.ua.Close()
}

func (b *browser) waitAudio(d time.Duration) error {
	select {
	case <-b.firstAudio:
		return nil
	case <-time.After(d):
		return errors.New("no audio from the customer")
	}
}

// customer is a plain phone: SIP over UDP and an RTP socket.
type customer struct {
	counter
	ext *callfloor.Extension
	srv string
	dcc *sipgo.DialogClientCache
	rtp *net.UDPConn
}

func newCustomer(ext *callfloor.Extension, srv string) (*customer, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("bench-customer"))
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	server, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return nil, err
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port),
		sipgo.WithClientConnectionAddr(conn.LocalAddr().String()), sipgo.WithClientLogger(quiet))
	if err != nil {
		return nil, err
	}
	r, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	c := &customer{counter: newCounter(), ext: ext, srv: srv, rtp: r,
		dcc: sipgo.NewDialogClientCache(cli, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext.Number, Host: "127.0.0.1", Port: port}})}
	server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { _ = c.dcc.ReadBye(req, tx) })
	go server.ServeUDP(conn)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := r.Read(buf)
			if err != nil {
				return
			}
			if n >= 12 && buf[0]>>6 == 2 {
				c.got(binary.BigEndian.Uint32(buf[8:12]), binary.BigEndian.Uint16(buf[2:4]))
			}
		}
	}()
	return c, nil
}

// call calls number and sends a frame every 20 ms to the answer's
// media address for as long as the process runs.
func (c *customer) call(ctx context.Context, number string) error {
	a := c.rtp.LocalAddr().(*net.UDPAddr)
	ip, _ := netipFrom(a.IP)
	offer := sdp.Offer(sdp.Local{Addr: ip, Port: a.Port, SessionID: 1, Version: 1})
	host, port, _ := net.SplitHostPort(c.srv)
	n, _ := strconv.Atoi(port)
	d, err := c.dcc.Invite(ctx, sip.Uri{Scheme: "sip", User: number, Host: host, Port: n}, offer.Marshal(), sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return err
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: c.ext.SIPUsername, Password: c.ext.SIPSecret}); err != nil {
		return err
	}
	ans, err := sdp.Parse(d.InviteResponse.Body())
	if err != nil {
		return err
	}
	neg, err := sdp.ReadAnswer(offer, ans)
	if err != nil {
		return err
	}
	if err := d.Ack(ctx); err != nil {
		return err
	}
	to := net.UDPAddrFromAddrPort(neg.Remote)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		h := rtp.Header{Version: 2, PayloadType: 0, SSRC: 0xc0}
		for range t.C {
			pkt, _ := (&rtp.Packet{Header: h, Payload: frame}).Marshal()
			if _, err := c.rtp.WriteToUDP(pkt, to); err == nil {
				c.sent.Add(1)
			}
			h.SequenceNumber++
			h.Timestamp += 160
		}
	}()
	return nil
}

func netipFrom(ip net.IP) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok
}
