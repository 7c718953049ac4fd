package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// DTMFPayloadType is the telephone-event payload type offered to
// browsers (an answer uses the browser's own).
const DTMFPayloadType = 101

// Config configures an Endpoint.
type Config struct {
	// Listen is the UDP address ICE takes every call's media on: one
	// port for all calls. Its port 0 picks a free one; an unspecified
	// address (0.0.0.0) listens on every interface.
	Listen netip.AddrPort
	// PublicIP, if set, is the address browsers reach Listen's port at
	// (a 1:1 NAT): the only candidate offered.
	PublicIP netip.Addr
	// LoopbackIP is the address of the plain-RTP side, where the relay
	// and the peers' sockets meet (127.0.0.1 when zero).
	LoopbackIP netip.Addr
	Logger     *slog.Logger
}

// Endpoint makes the browser legs of one server. Close it when done.
type Endpoint struct {
	cfg  Config
	log  *slog.Logger
	api  *webrtc.API
	conn net.PacketConn
	mux  *ice.UDPMuxDefault
}

// socketBuffer is the size asked for the shared UDP socket's buffers.
const socketBuffer = 8 << 20

// New opens the endpoint's UDP port.
func New(cfg Config) (*Endpoint, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if !cfg.LoopbackIP.IsValid() {
		cfg.LoopbackIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if !cfg.Listen.IsValid() {
		return nil, errors.New("webrtc: Config.Listen is required")
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(cfg.Listen))
	if err != nil {
		return nil, fmt.Errorf("webrtc: listen %s: %w", cfg.Listen, err)
	}
	// Every page's media arrives on this one socket (50 packets a second
	// a call): room for a burst while the process is busy, up to the
	// kernel's net.core.rmem_max, rather than the default's 70 ms at 300
	// calls.
	_ = conn.SetReadBuffer(socketBuffer)
	_ = conn.SetWriteBuffer(socketBuffer)
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn})

	media := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, Channels: 1, SDPFmtpLine: "0-16"}, PayloadType: DTMFPayloadType},
	} {
		if err := media.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			mux.Close()
			return nil, err
		}
	}
	se := webrtc.SettingEngine{}
	se.SetICEUDPMux(mux)
	se.SetLite(true)
	// A browser sends audio 50 times a second: 2 s without a packet is a
	// lost browser (a reload, a network gone), and 4 s a failed one, which
	// the B2BUA then waits for to come back.
	se.SetICETimeouts(2*time.Second, 4*time.Second, time.Second)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	ip := cfg.Listen.Addr()
	if ip.IsLoopback() {
		se.SetIncludeLoopbackCandidate(true)
	}
	if cfg.PublicIP.IsValid() {
		// Replace the host candidate's address with the public one.
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP.String()}, AsCandidateType: webrtc.ICECandidateTypeHost}); err != nil {
			mux.Close()
			return nil, fmt.Errorf("webrtc: public address %s: %w", cfg.PublicIP, err)
		}
	}
	if !ip.IsUnspecified() {
		// Offer the address listened on, not every interface's.
		se.SetIPFilter(func(a net.IP) bool {
			na, ok := netip.AddrFromSlice(a)
			return ok && na.Unmap() == ip.Unmap()
		})
	}
	e := &Endpoint{cfg: cfg, log: cfg.Logger, conn: conn, mux: mux,
		api: webrtc.NewAPI(webrtc.WithMediaEngine(media), webrtc.WithSettingEngine(se))}
	return e, nil
}

// Addr is the UDP address the endpoint listens on.
func (e *Endpoint) Addr() netip.AddrPort { return e.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Close closes the endpoint's port; peers still open stop carrying media.
func (e *Endpoint) Close() error { return e.mux.Close() }

const mimeTelephoneEvent = "audio/telephone-event"
