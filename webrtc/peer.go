package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Peer is one browser's leg: a peer connection whose audio is relayed as
// plain RTP between the browser and a relay address on loopback. What
// the browser sends (audio and telephone-events, payload types as
// negotiated) goes from the peer's socket to the relay address; what
// arrives on that socket is sent to the browser, audio only.
type Peer struct {
	e     *Endpoint
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	sock  *net.UDPConn

	mu    sync.Mutex
	relay netip.AddrPort // where the browser's RTP goes
	audio uint8          // negotiated audio payload type
	event int            // negotiated telephone-event payload type, -1 none

	connected chan struct{}
	failed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	fromBrowser, toBrowser atomic.Uint64
}

// Answer takes a browser's SDP offer and returns the peer and its SDP
// answer, with the endpoint's ICE candidate and DTLS fingerprint in it.
// The audio codec is the first of PCMU and PCMA the browser lists.
func (e *Endpoint) Answer(ctx context.Context, offer string) (*Peer, string, error) {
	codec, err := preferredCodec(offer)
	if err != nil {
		return nil, "", err
	}
	p, err := e.newPeer(codec)
	if err != nil {
		return nil, "", err
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		p.Close()
		return nil, "", fmt.Errorf("webrtc: the browser's offer: %w", err)
	}
	ans, err := p.pc.CreateAnswer(nil)
	if err != nil {
		p.Close()
		return nil, "", fmt.Errorf("webrtc: answer: %w", err)
	}
	sdp, err := p.complete(ctx, ans)
	if err != nil {
		p.Close()
		return nil, "", err
	}
	p.negotiated()
	return p, sdp, nil
}

// Offer returns a new peer and its SDP offer to a browser (PCMU, PCMA
// and telephone-event); Accept takes the browser's answer.
func (e *Endpoint) Offer(ctx context.Context) (*Peer, string, error) {
	p, err := e.newPeer(webrtc.MimeTypePCMU)
	if err != nil {
		return nil, "", err
	}
	off, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.Close()
		return nil, "", fmt.Errorf("webrtc: offer: %w", err)
	}
	sdp, err := p.complete(ctx, off)
	if err != nil {
		p.Close()
		return nil, "", err
	}
	return p, sdp, nil
}

// Accept takes the browser's SDP answer to the peer's offer.
func (p *Peer) Accept(answer string) error {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("webrtc: the browser's answer: %w", err)
	}
	p.negotiated()
	return nil
}

// newPeer makes a peer connection with one audio track of codec, and
// its loopback socket.
func (e *Endpoint) newPeer(codec string) (*Peer, error) {
	sock, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(e.cfg.LoopbackIP, 0)))
	if err != nil {
		return nil, err
	}
	pc, err := e.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		sock.Close()
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: codec, ClockRate: 8000, Channels: 1}, "audio", "callfloor")
	if err != nil {
		pc.Close()
		sock.Close()
		return nil, err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		pc.Close()
		sock.Close()
		return nil, err
	}
	p := &Peer{e: e, pc: pc, track: track, sock: sock, event: -1,
		connected: make(chan struct{}), failed: make(chan struct{})}
	var once, failOnce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			once.Do(func() { close(p.connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			failOnce.Do(func() { close(p.failed) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.wg.Add(1)
		defer p.wg.Done()
		p.fromBrowserLoop(t)
	})
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		// Read the sender's RTCP so its interceptors run.
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		defer p.wg.Done()
		p.toBrowserLoop()
	}()
	return p, nil
}

// complete sets the local description and waits for ICE gathering (one
// host candidate on the endpoint's port), returning the whole SDP.
func (p *Peer) complete(ctx context.Context, d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(d); err != nil {
		return "", fmt.Errorf("webrtc: local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.pc.LocalDescription().SDP, nil
}

// negotiated records the payload types both sides agreed on.
func (p *Peer) negotiated() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.pc.GetTransceivers() {
		if t.Sender() == nil {
			continue
		}
		for _, c := range t.Sender().GetParameters().Codecs {
			switch {
			case strings.EqualFold(c.MimeType, p.track.Codec().MimeType):
				p.audio = uint8(c.PayloadType)
			case strings.EqualFold(c.MimeType, mimeTelephoneEvent):
				p.event = int(c.PayloadType)
			}
		}
	}
}

// Connect sets the relay address the browser's RTP goes to.
func (p *Peer) Connect(relay netip.AddrPort) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.relay = relay
}

// RTPAddr is the peer's address on the plain-RTP side: where the relay
// sends what the browser is to hear.
func (p *Peer) RTPAddr() netip.AddrPort { return p.sock.LocalAddr().(*net.UDPAddr).AddrPort() }

// PayloadTypes are the negotiated audio and telephone-event payload
// types (event -1: none), for the relay leg.
func (p *Peer) PayloadTypes() (audio uint8, event int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.audio, p.event
}

// Connected is closed once ICE and DTLS are up; Failed once the
// connection failed or closed.
func (p *Peer) Connected() <-chan struct{} { return p.connected }
func (p *Peer) Failed() <-chan struct{}    { return p.failed }

// Counts are the RTP packets relayed each way.
func (p *Peer) Counts() (fromBrowser, toBrowser uint64) {
	return p.fromBrowser.Load(), p.toBrowser.Load()
}

// Close ends the peer connection and its socket, and waits for its
// goroutines.
func (p *Peer) Close() error {
	var err error
	p.closeOnce.Do(func() {
		err = errors.Join(p.pc.Close(), p.sock.Close())
		p.wg.Wait()
	})
	return err
}

// fromBrowserLoop relays the browser's RTP to the relay address.
func (p *Peer) fromBrowserLoop(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		p.mu.Lock()
		to := p.relay
		p.mu.Unlock()
		if !to.IsValid() {
			continue
		}
		if _, err := p.sock.WriteToUDPAddrPort(buf[:n], to); err == nil {
			p.fromBrowser.Add(1)
		}
	}
}

// toBrowserLoop sends the browser the audio the relay sends the peer's
// socket; telephone-events are not passed on (the track carries one
// payload type).
func (p *Peer) toBrowserLoop() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := p.sock.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		p.mu.Lock()
		audio := p.audio
		p.mu.Unlock()
		if pkt.PayloadType != audio {
			continue
		}
		if err := p.track.WriteRTP(&pkt); err == nil {
			p.toBrowser.Add(1)
		}
	}
}

// preferredCodec is the first of PCMU and PCMA in an offer's audio
// formats, by the offer's order.
func preferredCodec(offer string) (string, error) {
	names := map[string]string{}
	var order []string
	for _, line := range strings.Split(offer, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "m=audio ") {
			order = strings.Fields(line)[3:]
		}
		if rest, ok := strings.CutPrefix(line, "a=rtpmap:"); ok {
			pt, name, _ := strings.Cut(rest, " ")
			names[pt] = strings.ToUpper(strings.SplitN(name, "/", 2)[0])
		}
	}
	for _, pt := range order {
		name := names[pt]
		if name == "" && pt == "0" {
			name = "PCMU"
		}
		if name == "" && pt == "8" {
			name = "PCMA"
		}
		switch name {
		case "PCMU":
			return webrtc.MimeTypePCMU, nil
		case "PCMA":
			return webrtc.MimeTypePCMA, nil
		}
	}
	return "", errors.New("webrtc: the offer has neither PCMU nor PCMA")
}

// Renegotiate answers a new offer from the browser on the same peer
// connection (a hold, a resume, an ICE restart), keeping its media.
func (p *Peer) Renegotiate(ctx context.Context, offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("webrtc: the browser's new offer: %w", err)
	}
	ans, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("webrtc: answer: %w", err)
	}
	sdp, err := p.complete(ctx, ans)
	if err != nil {
		return "", err
	}
	p.negotiated()
	return sdp, nil
}
