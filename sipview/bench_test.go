package sipview_test

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sipview"
)

// generated is a Source of accounts × perAccount extensions, made up in
// memory, for the benchmarks.
type generated struct {
	sipview.Source // the look-ups by id are not used
	accounts       int
	perAccount     int
}

func (g generated) ListAccounts(context.Context) ([]*callfloor.Account, error) {
	out := make([]*callfloor.Account, g.accounts)
	for i := range out {
		out[i] = &callfloor.Account{ID: int64(i + 1)}
	}
	return out, nil
}

func (g generated) ListExtensions(ctx context.Context) ([]*callfloor.Extension, error) {
	account, _ := callfloor.AccountFrom(ctx)
	out := make([]*callfloor.Extension, g.perAccount)
	for i := range out {
		n := fmt.Sprint(1000 + i)
		e := &callfloor.Extension{ID: account*1_000_000 + int64(i), AccountID: account, Number: n, Name: "Extension " + n,
			SIPUsername: callfloor.NewSIPUsername(n), Agent: callfloor.DefaultAgentSettings(), AgentStatus: callfloor.AgentNotEnabled}
		e.SetSIPSecret("callfloor", "a-secret-of-twenty-c")
		e.SIPSecret = ""
		out[i] = e
	}
	return out, nil
}

func (g generated) ListTrunks(context.Context) ([]*callfloor.Trunk, error) {
	t := callfloor.NewTrunk("Carrier", "192.0.2.1")
	t.Auth, t.AllowedSources = callfloor.TrunkIP, []string{"192.0.2.0/24"}
	return []*callfloor.Trunk{t}, nil
}

func (g generated) ListInboundNumbers(context.Context) ([]*callfloor.InboundNumber, error) {
	return nil, nil
}

// BenchmarkMemory reports the heap a loaded view holds per extension
// (bytes/ext), with 20 accounts of 3,000 extensions.
func BenchmarkMemory(b *testing.B) {
	src := generated{accounts: 20, perAccount: 3000}
	var v *sipview.View
	var perExt float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v = sipview.New(src, nil)
		if err := v.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perExt = float64(after.HeapAlloc-before.HeapAlloc) / float64(src.accounts*src.perAccount)
	}
	runtime.KeepAlive(v)
	b.ReportMetric(perExt, "bytes/ext")
}

// BenchmarkLookups times the look-ups of one INVITE from a phone: its
// credentials, the trunks admitting its address, the callee by number.
func BenchmarkLookups(b *testing.B) {
	src := generated{accounts: 20, perAccount: 3000}
	v := sipview.New(src, nil)
	if err := v.Reload(context.Background()); err != nil {
		b.Fatal(err)
	}
	exts, _ := src.ListExtensions(callfloor.SystemContext(context.Background(), 7))
	ctx := callfloor.SystemContext(context.Background(), 7)
	phone := netip.MustParseAddrPort("127.0.0.1:5060")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.FindSIPCredentials(ctx, "nobody"); err == nil {
				b.Fatal("found nobody")
			}
			if _, err := v.FindTrunksBySource(ctx, phone); err != nil {
				b.Fatal(err)
			}
			if _, err := v.FindExtensionByNumber(ctx, exts[0].Number); err != nil {
				b.Fatal(err)
			}
		}
	})
}
