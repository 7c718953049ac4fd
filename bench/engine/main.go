// Command engine is the floor engine's load benchmark (make bench-engine).
// It logs in thousands of agents on the real journal (SQLite, or
// PostgreSQL with -database), drives durable state changes from many
// clients and prints one figure a line as "name: value unit".
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/bench/internal/benchstore"
	"github.com/callfloor/callfloor/bus"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/sqlstore"
)

func main() {
	agents := flag.Int("agents", 10000, "logged-in agents")
	accounts := flag.Int("accounts", 10, "accounts the agents are spread over (one engine each)")
	clients := flag.Int("clients", 256, "concurrent clients sending commands")
	duration := flag.Duration("duration", 10*time.Second, "how long each phase drives load")
	rate := flag.Int("rate", 10000, "commands per second offered in the latency phase")
	restartEvents := flag.Int("restart-events", 1_000_000, "journal size for the restart measurement (0 skips it)")
	database := flag.String("database", "", "postgres:// URL; empty for SQLite in a temporary directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the load phases to this file")
	flag.Parse()
	ctx := context.Background()
	st, cleanup, err := benchstore.Open(ctx, *database, "callfloor-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer cleanup()
	// log.Fatal skips the deferred cleanup: fatal cleans up first, so a
	// failed run leaves no temporary directory or schema behind.
	fatal := func(v ...any) {
		cleanup()
		log.Fatal(v...)
	}
	fmt.Printf("# store: %s, %d agents over %d accounts, %d clients, %s\n", benchstore.Name(*database), *agents, *accounts, *clients, *duration)

	b := &bench{st: st, perAccount: *agents / *accounts}
	if err := b.setup(ctx, *accounts); err != nil {
		fatal(err)
	}
	b.memory(ctx)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	// The journal's index by extension is filled beside the load, every
	// second, as the server does: its writes share the database.
	stopIndex := b.indexEverySecond(ctx)
	// Latency first, at a steady offered rate; then saturation. (After a
	// saturating burst SQLite spends a while copying its large WAL into
	// the database, and latency measured then says more about that.)
	if err := b.latency(ctx, *rate, *duration); err != nil {
		fatal(err)
	}
	b.load(ctx, *clients, *duration)
	stopIndex()
	b.f.Close()
	if *restartEvents > 0 {
		if err := b.restart(ctx, *restartEvents); err != nil {
			fatal(err)
		}
	}
}

type bench struct {
	st         *sqlstore.Store
	perAccount int
	accounts   []int64
	cfg        *floor.Config
	f          *floor.Floor
	hub        *bus.Hub
	events     atomic.Int64
}

// setup creates the accounts and logs every agent in. The engines read a
// configuration built here, the same shape the store would give.
func (b *bench) setup(ctx context.Context, n int) error {
	b.cfg = &floor.Config{Location: time.UTC, Agents: map[int64]*floor.AgentConfig{},
		Participants: map[int64]*floor.ParticipantConfig{}, Queues: map[int64]*floor.SourceConfig{},
		PauseReasons: map[int64]*callfloor.PauseReason{1: {ID: 1, Name: "Lunch", Code: 1, ThresholdSeconds: 3600}}}
	for ext := int64(1); ext <= int64(b.perAccount); ext++ {
		b.cfg.Agents[ext] = &floor.AgentConfig{ExtensionID: ext, WrapupTimeout: time.Minute, Permissions: callfloor.AllPermissions()}
	}
	stamp := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		a := &callfloor.Account{Name: fmt.Sprintf("bench-%d-%d", stamp, i), TimeZone: "UTC"}
		if err := b.st.CreateAccount(ctx, a); err != nil {
			return err
		}
		b.accounts = append(b.accounts, a.ID)
	}
	b.hub = bus.NewHub(100000, 100000)
	b.f = floor.New(floor.FloorConfig{Journal: floor.NewGroupWriter(b.st), Snapshots: b.st, Clock: callfloor.SystemClock{},
		Publish: func(evs []callfloor.Event) {
			b.events.Add(int64(len(evs)))
			b.hub.Publish(evs)
		},
		LoadConfig: func(context.Context, int64) (*floor.Config, error) { return b.cfg, nil }})
	if err := b.f.StartAll(ctx, b.accounts); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(b.accounts))
	for _, acc := range b.accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ext := int64(1); ext <= int64(b.perAccount); ext++ {
				if _, err := b.f.Do(ctx, acc, floor.Login{Ext: ext}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// memory reports the heap the engines hold per logged-in agent.
func (b *bench) memory(ctx context.Context) {
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// A second floor over the same journal: its heap is the agents' state.
	f := floor.New(floor.FloorConfig{Journal: b.st, Clock: callfloor.SystemClock{},
		LoadConfig: func(context.Context, int64) (*floor.Config, error) { return b.cfg, nil }})
	if err := f.StartAll(ctx, b.accounts); err != nil {
		log.Fatal(err)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	agents := len(b.accounts) * b.perAccount
	fmt.Printf("memory_per_agent: %.2f KiB\n", float64(after.HeapAlloc-before.HeapAlloc)/1024/float64(agents))
	f.Close()
}

// load has each client toggle pause on its own agents and times every
// acknowledgement (the events are in the journal when it arrives).
func (b *bench) load(ctx context.Context, clients int, d time.Duration) {
	lat := make([][]time.Duration, clients)
	start := b.events.Load()
	t0 := time.Now()
	deadline := t0.Add(d)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 7))
			paused := map[int64]bool{}
			for time.Now().Before(deadline) {
				acc := b.accounts[r.IntN(len(b.accounts))]
				// each client owns the agents ext % clients == c
				ext := int64(c + 1 + clients*r.IntN(max(1, b.perAccount/clients)))
				if ext > int64(b.perAccount) {
					continue
				}
				var in floor.Input = floor.Pause{Ext: ext, ReasonID: 1}
				key := acc<<32 | ext
				if paused[key] {
					in = floor.Unpause{Ext: ext}
				}
				s := time.Now()
				if _, err := b.f.Do(ctx, acc, in); err != nil {
					failures.Add(1)
					continue
				}
				lat[c] = append(lat[c], time.Since(s))
				paused[key] = !paused[key]
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	changes := b.events.Load() - start
	fmt.Printf("state_changes_per_second: %.0f changes/s\n", float64(changes)/elapsed.Seconds())
	fmt.Printf("closed_loop_ack_latency_p99: %.2f ms\n", ms(pct(all, 0.99)))
	fmt.Printf("commands_failed: %d count\n", failures.Load())
}

// restart fills one account's journal with n events and times rebuilding
// its floor from it.
func (b *bench) restart(ctx context.Context, n int) error {
	a := &callfloor.Account{Name: fmt.Sprintf("bench-restart-%d", time.Now().UnixNano()), TimeZone: "UTC"}
	if err := b.st.CreateAccount(ctx, a); err != nil {
		return err
	}
	// The events are spread over the 30 days before now, as a month of a
	// busy account's journal would be, so the reads below have periods.
	start := time.Now().Add(-journalDays * 24 * time.Hour)
	step := journalDays * 24 * time.Hour / time.Duration(n)
	s := floor.NewState(start, time.UTC)
	const batch = 5000
	var lastSnap int64
	evs := make([]callfloor.Event, 0, batch)
	for i := 0; i < n; i++ {
		ext := int64(i%b.perAccount + 1)
		in := b.cycle(s, ext)
		out, err := floor.Decide(b.cfg, s, in, start.Add(time.Duration(i)*step))
		if err != nil {
			return err
		}
		for j := range out {
			out[j].AccountID, out[j].Seq = a.ID, s.Seq+1
			s.Apply(&out[j])
		}
		evs = append(evs, out...)
		if len(evs) >= batch || i == n-1 {
			if err := b.st.AppendEvents(ctx, a.ID, evs); err != nil {
				return err
			}
			evs = evs[:0]
			// as the engine does: a snapshot every 50,000 events
			if s.Seq/50000 > lastSnap {
				lastSnap = s.Seq / 50000
				body, _ := json.Marshal(s)
				if err := b.st.SaveSnapshot(ctx, a.ID, s.Seq, body); err != nil {
					return err
				}
			}
		}
	}
	t0 := time.Now()
	rs, err := floor.RecoverFrom(ctx, b.st, b.st, a.ID, time.UTC, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("restart_seconds_1m_events: %.2f s\n", time.Since(t0).Seconds())
	t0 = time.Now()
	full, err := floor.Recover(ctx, b.st, a.ID, time.UTC, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("restart_full_replay_seconds: %.2f s\n", time.Since(t0).Seconds())
	fmt.Printf("# journal of %d events, %d agents; snapshot + tail and full replay agree: %v\n", full.Seq, len(full.Agents), rs.Seq == full.Seq)
	t0 = time.Now()
	indexed, err := b.st.IndexJournal(ctx, a.ID)
	if err != nil {
		return err
	}
	fmt.Printf("journal_index_events_per_second: %.0f events/s\n", float64(indexed)/time.Since(t0).Seconds())
	return b.reads(ctx, a.ID, start)
}

// indexEverySecond indexes the journals by extension every second until
// the returned stop is called, and then says how far behind it was.
func (b *bench) indexEverySecond(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var most time.Duration
	go func() {
		defer close(done)
		for {
			t0 := time.Now()
			if _, err := b.st.IndexJournals(ctx); err != nil && ctx.Err() == nil {
				log.Printf("index journals: %v", err)
			}
			most = max(most, time.Since(t0))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return func() {
		cancel()
		<-done
		fmt.Printf("# the journal index's longest pass during the load: %.0f ms\n", ms(most))
	}
}

// journalDays is the period the restart measurement's journal covers.
const journalDays = 30

// reads times the journal's reads by extension and period, on the
// restart measurement's journal: one agent's day and month (the
// attendance report), and a day of the account's own events (extension
// 0: the queue report and the dialler's figures).
func (b *bench) reads(ctx context.Context, account int64, start time.Time) error {
	day := 24 * time.Hour
	mid := start.Add(journalDays / 2 * day)
	for _, r := range []struct {
		name     string
		ext      int64
		from, to time.Time
	}{
		{"journal_read_agent_day_ms", 7, mid, mid.Add(day)},
		{"journal_read_agent_month_ms", 7, start, start.Add(journalDays * day)},
		{"journal_read_account_day_ms", 0, mid, mid.Add(day)},
	} {
		var times []time.Duration
		var got int
		for range 5 {
			t0 := time.Now()
			evs, err := b.st.ReadExtensionEvents(ctx, account, r.ext, r.from, r.to)
			if err != nil {
				return err
			}
			times, got = append(times, time.Since(t0)), len(evs)
		}
		slices.Sort(times)
		fmt.Printf("%s: %.2f ms\n", r.name, ms(times[len(times)/2]))
		fmt.Printf("# %s: %d events, median of 5\n", r.name, got)
	}
	return nil
}

// cycle moves an agent through login, pause, unpause, logoff.
func (b *bench) cycle(s *floor.State, ext int64) floor.Input {
	a := s.Agent(ext)
	switch {
	case !a.LoggedIn:
		return floor.Login{Ext: ext}
	case a.Pause == nil:
		return floor.Pause{Ext: ext, ReasonID: 1}
	case ext%2 == 0:
		return floor.Unpause{Ext: ext}
	}
	return floor.Logoff{Ext: ext}
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[int(float64(len(d)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
