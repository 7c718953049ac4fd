package baresiptest_test

import (
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/memext"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sip/registrar"
	"github.com/emiago/sipgo/sip"
)

func TestMain(m *testing.M) {
	sip.SetDefaultLogger(quiet())
	os.Exit(m.Run())
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// logger logs to the test when it runs with -v.
func logger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return quiet()
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// pbx is callfloor's SIP stack in process: a registrar and the B2BUA on
// one UDP socket of 127.0.0.1.
type pbx struct {
	store *memext.Store
	reg   *registrar.Registrar
	b     *b2bua.B2BUA
	addr  string // host:port of the registrar
	// events has the B2BUA's call events (Config.OnEvent must not block:
	// it drops them when full).
	events chan b2bua.Event
}

func newPBX(t *testing.T) *pbx {
	t.Helper()
	x := &pbx{store: &memext.Store{}, events: make(chan b2bua.Event, 100)}
	reg, err := registrar.New(registrar.Config{Store: x.store, Logger: logger(t), Algorithms: []string{"MD5"}})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	x.addr = conn.LocalAddr().String()
	b, err := b2bua.New(b2bua.Config{
		Registrar: reg, FindExtensionByNumber: x.store.ByNumber,
		Contact:  sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: conn.LocalAddr().(*net.UDPAddr).Port},
		SendFrom: x.addr,
		OnEvent: func(e b2bua.Event) {
			select {
			case x.events <- e:
			default:
			}
		},
		Logger: logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	go reg.ServeUDP(conn)
	t.Cleanup(func() { b.Close(); reg.Close(); conn.Close() })
	x.reg, x.b = reg, b
	return x
}

// addExt stores an extension of account 1 with a number and a new secret.
func (x *pbx) addExt(id int64, number string) *callfloor.Extension {
	e := &callfloor.Extension{ID: id, AccountID: 1, Number: number, SIPUsername: callfloor.NewSIPUsername(number)}
	e.SetSIPSecret(callfloor.DefaultSIPRealm, callfloor.NewSIPSecret())
	x.store.Add(e)
	return e
}

// waitEvent waits for the B2BUA to report a call event of a kind,
// skipping the others, and returns it.
func (x *pbx) waitEvent(t *testing.T, kind b2bua.EventKind) b2bua.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-x.events:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("the B2BUA reported no %v event", kind)
		}
	}
}
