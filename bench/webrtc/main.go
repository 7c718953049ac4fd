// Command webrtc is the browser phones' load benchmark (make
// bench-webrtc). In one process it runs callfloor's registrar, B2BUA and
// WebRTC endpoint on loopback, N pion peer connections standing in for
// browsers (SIP over WebSocket, DTLS-SRTP, PCMU) and N plain RTP
// customers (SIP over UDP) who call them. It holds every call with 20 ms
// frames both ways, counting what arrives, then reloads pages one at a
// time mid-call and times how long until the new page hears the
// customer again. It prints the settings as "# ..." lines and one figure
// a line as "name: value unit". The CPU figure is the whole process's:
// server and clients together, as this machine has no second one.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bench/internal/benchserver"
	"github.com/callfloor/callfloor/internal/memext"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/callfloor/callfloor/webrtc"
)

func main() {
	calls := flag.Int("calls", 300, "concurrent calls between a customer and a page phone")
	hold := flag.Duration("hold", 20*time.Second, "how long every call is held with audio both ways")
	reloads := flag.Int("reloads", 20, "pages reloaded mid-call, one at a time, to time the call coming back")
	flag.Parse()
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	if err := run(*calls, *hold, *reloads); err != nil {
		log.Fatal(err)
	}
}

// server is callfloor's telephony plane in this process.
type server struct {
	store *memext.Store
	reg   *registrar.Registrar
	b     *b2bua.B2BUA
	udp   string // SIP over UDP
	ws    string // SIP over WebSocket
}

func newServer() (*server, error) {
	s := &server{store: &memext.Store{}}
	quiet := slog.New(slog.DiscardHandler)
	var err error
	// The clients all come from 127.0.0.1: lift the per-address limits.
	s.reg, err = registrar.New(registrar.Config{Store: s.store, Logger: quiet, Algorithms: []string{"MD5"},
		RequestRate: 100000, RequestBurst: 100000, Keepalive: -1})
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if u, ok := conn.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(8 << 20)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e, err := webrtc.New(webrtc.Config{Listen: netip.MustParseAddrPort("127.0.0.1:0"), Logger: quiet})
	if err != nil {
		return nil, err
	}
	udp := conn.LocalAddr().(*net.UDPAddr)
	s.b, err = b2bua.New(b2bua.Config{Registrar: s.reg, FindExtensionByNumber: s.store.ByNumber,
		Contact:   sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: udp.Port},
		Listeners: map[string]sip.Uri{"WS": {Scheme: "sip", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}},
		SendFrom:  udp.String(), WebRTC: e, Logger: quiet, RingTimeout: 20 * time.Second})
	if err != nil {
		return nil, err
	}
	go s.reg.ServeUDP(conn)
	go s.reg.ServeWS(ln)
	s.udp, s.ws = udp.String(), ln.Addr().String()
	return s, nil
}

func (s *server) extension(id int64, number string) *callfloor.Extension {
	e := &callfloor.Extension{ID: id, AccountID: 1, Number: number, SIPUsername: callfloor.NewSIPUsername(number)}
	e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	s.store.Add(e)
	return e
}

func run(n int, hold time.Duration, reloads int) error {
	s, err := newServer()
	if err != nil {
		return err
	}
	fmt.Printf("# %d calls, each a plain RTP customer (SIP over UDP) calling a page phone (pion, SIP over WebSocket, DTLS-SRTP, PCMU), held %v with 20 ms frames both ways; then %d reloads mid-call\n", n, hold, reloads)
	type pair struct {
		br   *browser
		cu   *customer
		ext  *callfloor.Extension
		live atomic.Pointer[browser]
	}
	pairs := make([]*pair, n)
	for i := range n {
		ext := s.extension(int64(1000+i), fmt.Sprint(1000+i))
		br, err := newBrowser(ext, s.ws)
		if err != nil {
			return fmt.Errorf("browser %d: %w", i, err)
		}
		cu, err := newCustomer(s.extension(int64(5000+i), fmt.Sprint(5000+i)), s.udp)
		if err != nil {
			return fmt.Errorf("customer %d: %w", i, err)
		}
		pairs[i] = &pair{br: br, cu: cu, ext: ext}
		pairs[i].live.Store(br)
	}
	// Set the calls up, 20 a second.
	var wg sync.WaitGroup
	failed := atomic.Int64{}
	tick := time.NewTicker(50 * time.Millisecond)
	for _, p := range pairs {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := p.cu.call(ctx, p.ext.Number); err != nil {
				failed.Add(1)
				log.Printf("call to %s: %v", p.ext.Number, err)
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	up := int64(n) - failed.Load()
	time.Sleep(2 * time.Second) // ICE and DTLS settle
	// Hold: count what each side receives of what the other sends.
	for _, p := range pairs {
		p.cu.mark()
		p.live.Load().mark()
	}
	cpu0, t0 := cpuTime(), time.Now()
	time.Sleep(hold)
	cpu, wall := cpuTime()-cpu0, time.Since(t0)
	// Loss by sequence numbers: what each receiver should have had since
	// its mark and did not get, receiver by receiver (a duplicate at one
	// never hides a loss at another).
	var sent, got, expected, lost int64
	held := 0
	for _, p := range pairs {
		cs, cr, ce := p.cu.since()
		bs, brr, be := p.live.Load().since()
		sent += cs + bs
		got += cr + brr
		expected += ce + be
		lost += max(ce-cr, 0) + max(be-brr, 0)
		if cr > 0 && brr > 0 {
			held++
		}
	}
	loss := 0.0
	if expected > 0 {
		loss = 100 * float64(lost) / float64(expected)
	}
	cores := cpu.Seconds() / wall.Seconds()
	fmt.Printf("# %d of %d calls set up; %d with audio arriving both ways during the hold; packets sent %d, expected by the receivers' sequence numbers %d, received %d, missing %d\n", up, n, held, sent, expected, got, lost)
	fmt.Printf("webrtc_calls_held: %d count\n", held)
	fmt.Printf("packet_loss: %.4f %%\n", loss)
	fmt.Printf("cpu_cores_per_100_webrtc_calls: %.3f cores (server and clients in one process)\n", cores*100/float64(max(held, 1)))

	// Reloads: a page vanishes mid-call (no BYE), a new one registers
	// and is called back; timed from the new REGISTER to the first
	// customer audio in the new page.
	var took []time.Duration
	for i := 0; i < reloads && i < n; i++ {
		p := pairs[i]
		old := p.live.Load()
		old.close()
		nb, err := newBrowserDeferred(p.ext, s.ws)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := nb.register(); err != nil {
			return fmt.Errorf("reload %d: %w", i, err)
		}
		if err := nb.waitAudio(15 * time.Second); err != nil {
			log.Printf("reload %d: %v", i, err)
			continue
		}
		took = append(took, time.Since(start))
		p.live.Store(nb)
	}
	if len(took) > 0 {
		slices.Sort(took)
		p99 := took[min(len(took)-1, len(took)*99/100)]
		fmt.Printf("# %d of %d reloaded pages got their call back; p50 %v, max %v\n", len(took), reloads, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
		fmt.Printf("reconnect_p99: %d ms\n", p99.Milliseconds())
	}
	return nil
}

// cpuTime is the process's user and system CPU time.
var cpuTime = benchserver.SelfCPU
