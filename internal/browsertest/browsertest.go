// Package browsertest makes pion peer connections that stand in for a
// browser in the tests and benchmarks of browser phones: audio only,
// offering Opus first as browsers do, then PCMU, PCMA and
// telephone-event, with ICE on loopback only.
package browsertest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/callfloor/callfloor/media/g711"
	"github.com/callfloor/callfloor/media/tone"
)

// TelephoneEventPT is the telephone-event payload type the stand-in
// offers (Chrome's).
const TelephoneEventPT = 126

// API returns a pion API configured as a browser on loopback.
func API() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, Channels: 1, SDPFmtpLine: "0-15"}, PayloadType: TelephoneEventPT},
	} {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)), nil
}

// Microphone adds a PCMU track to pc, as a page's microphone, and
// returns it.
func Microphone(pc *webrtc.PeerConnection) (*webrtc.TrackLocalStaticRTP, error) {
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, "mic", "browser")
	if err != nil {
		return nil, err
	}
	if _, err := pc.AddTrack(track); err != nil {
		return nil, err
	}
	return track, nil
}

// Describe sets d as pc's local description, waits for ICE gathering
// and returns the whole SDP.
func Describe(pc *webrtc.PeerConnection, d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		return "", err
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

// Register registers a page's contact over SIP WebSocket at ws (host:port)
// as user, answering the digest challenge with password.
func Register(ctx context.Context, cli *sipgo.Client, ws, user, password string, contact sip.ContactHeader) error {
	host, port, _ := net.SplitHostPort(ws)
	n, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: n})
	aor := sip.Uri{Scheme: "sip", User: user, Host: "callfloor.invalid"}
	req.AppendHeader(&sip.ToHeader{Address: aor})
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", "600"))
	req.SetTransport("WS")
	res, err := cli.Do(ctx, req)
	if err == nil && res.StatusCode == sip.StatusUnauthorized {
		res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	}
	if err != nil {
		return err
	}
	if res.StatusCode != sip.StatusOK {
		return fmt.Errorf("browsertest: REGISTER over WebSocket: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// Speak sends a tone of freq Hz as 20 ms PCMU RTP packets, one every
// 20 ms, through send until ctx ends.
func Speak(ctx context.Context, freq float64, send func(*rtp.Packet)) {
	gen := tone.NewSine(freq, -12)
	frame := make([]int16, tone.FrameSamples)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 0x5eed}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		gen.Fill(frame)
		p.Payload = make([]byte, len(frame))
		g711.EncodePCMU(p.Payload, frame)
		send(p)
		p.SequenceNumber++
		p.Timestamp += uint32(len(frame))
	}
}
