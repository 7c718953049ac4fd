package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sim/carrier"
	"github.com/callfloor/callfloor/sip/trunk"
)

// demoRun is what `callfloor demo` adds to a running server: the seeded
// demo account and, unless demo-carrier is empty, the simulated carrier
// the demo's registration trunk registers with.
type demoRun struct {
	Result DemoResult
	// Carrier is the simulated carrier; nil when demo-carrier is empty.
	Carrier *carrier.Carrier
	log     *slog.Logger
	// served is closed when the carrier's Serve has returned, reloaded
	// when the trunk client has taken the seeded trunk.
	served, reloaded chan struct{}
}

// startDemo seeds the demo account into m's store, starts the simulated
// carrier when m.Config.DemoCarrier is set, has the trunk client register
// the demo trunk with it and prints the banner to stdout. m must be open:
// the trunk registers from its SIP socket.
//
// Close the result after m: the server then withdraws the trunk's
// registration from a carrier still there, and hangs up their calls.
func startDemo(ctx context.Context, m *Main, stdout io.Writer) (*demoRun, error) {
	cfg := m.Config
	d := &demoRun{log: m.Logger}
	res, err := SeedDemo(ctx, m.Store, m.Hasher, cfg.SIPRealm, cfg.DemoPassword)
	if err != nil {
		return nil, fmt.Errorf("seeding the demo: %w", err)
	}
	d.Result = res
	exts, err := m.Store.ListExtensions(callfloor.SystemContext(ctx, res.Account.ID))
	if err != nil {
		return nil, err
	}
	if err := d.startCarrier(ctx, m); err != nil {
		return nil, err
	}
	d.reloadTrunks(m)
	printDemo(stdout, m.URL(), m.SIPAddr(), cfg, d.Result, exts)
	return d, nil
}

// startCarrier seeds the trunk and inbound numbers of the carrier at
// demo-carrier and starts it; with demo-carrier empty it turns an
// earlier demo trunk off instead.
func (d *demoRun) startCarrier(ctx context.Context, m *Main) error {
	cfg := m.Config
	account := d.Result.Account.ID
	if cfg.DemoCarrier == "" {
		if err := DisableDemoCarrier(ctx, m.Store, account); err != nil {
			return fmt.Errorf("turning the demo trunk off: %w", err)
		}
		return nil
	}
	addr, err := netip.ParseAddrPort(cfg.DemoCarrier)
	if err != nil {
		return fmt.Errorf("demo-carrier %q: %w", cfg.DemoCarrier, err)
	}
	seeded, err := SeedDemoCarrier(ctx, m.Store, account, addr, cfg.DemoPassword)
	if err != nil {
		return fmt.Errorf("seeding the demo carrier: %w", err)
	}
	seeded.PerMinute = cfg.DemoInboundRate
	// No Config.PBX: like a real carrier on a registration trunk, it calls
	// only the Contact the trunk registered, which names the trunk. Sent
	// to callfloor's address, a call would be taken for a phone's and
	// challenged.
	c, err := carrier.New(carrier.Config{
		Listen:  addr.String(),
		MediaIP: addr.Addr(),
		Inbound: carrier.Inbound{DIDs: seeded.DIDs(), PerMinute: cfg.DemoInboundRate},
		Logger:  m.Logger,
		Clock:   m.Clock,
	})
	if err != nil {
		return fmt.Errorf("demo-carrier %s: the simulated carrier cannot listen there (set demo-carrier to a free address, or empty for no carrier): %w",
			addr, err)
	}
	d.Carrier, d.Result.Carrier = c, seeded
	d.served = make(chan struct{})
	go d.serveCarrier()
	m.Logger.Info("demo carrier started", "addr", addr.String(), "trunk", seeded.Trunk.ID,
		"dids", seeded.DIDs(), "inbound_per_minute", cfg.DemoInboundRate)
	return nil
}

// serveCarrier runs the carrier until Close.
func (d *demoRun) serveCarrier() {
	defer close(d.served)
	if err := d.Carrier.Serve(context.Background()); err != nil && !errors.Is(err, carrier.ErrClosed) {
		d.log.Error("demo carrier stopped", "err", err)
	}
}

// reloadTrunks has the trunk client take the seeded trunk now rather
// than at its next poll. It runs aside: when the trunk moved or was
// turned off, the client first withdraws the registration from the old
// address, where no carrier answers any more, which takes its timeout.
func (d *demoRun) reloadTrunks(m *Main) {
	d.reloaded = make(chan struct{})
	if m.Trunks == nil {
		close(d.reloaded)
		return
	}
	go func() {
		defer close(d.reloaded)
		if err := m.Trunks.Reload(context.Background()); err != nil && !errors.Is(err, trunk.ErrClosed) {
			d.log.Warn("demo trunk not registered", "err", err)
		}
	}()
}

// Close stops the carrier, hanging up its calls, and waits for the
// trunk reload under way; nil is a no-op.
func (d *demoRun) Close() {
	if d == nil {
		return
	}
	if d.Carrier != nil {
		d.Carrier.Close()
		<-d.served
	}
	if d.reloaded != nil {
		<-d.reloaded
	}
}
