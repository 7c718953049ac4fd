package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// loadResult is what a throughput phase measured.
type loadResult struct {
	changes  int64 // 200 answers with X-Callfloor-Seq in the measured window
	noops    int64 // 200 answers without (the agent was already so)
	failures map[string]int
	elapsed  time.Duration
	lat      []time.Duration // of the changes
	busy     float64         // the machine's CPU busy share during the window
	use      string          // who used the CPU during the window (cpuUse.since)
}

func (r loadResult) rate() float64 { return float64(r.changes) / r.elapsed.Seconds() }

// load drives pause/unpause from workers, each looping over random agents
// of random accounts, every command sent to the node route names for its
// account. Nothing is counted during warm; then for d. With -profile,
// each node's CPU profile of the measured window is written as
// <phase>-<node>.pprof.
func (b *bench) load(ctx context.Context, phase string, route func(*account) string, warm, d time.Duration) loadResult {
	start := time.Now()
	from, to := start.Add(warm), start.Add(warm+d)
	type workerTally struct {
		changes, noops int64
		failures       map[string]int
		lat            []time.Duration
	}
	tallies := make([]*workerTally, b.opt.workers)
	var wg sync.WaitGroup
	for w := range b.opt.workers {
		t := &workerTally{failures: map[string]int{}}
		tallies[w] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for ctx.Err() == nil {
				now := time.Now()
				if !now.Before(to) {
					return
				}
				acc := b.accs[r.IntN(len(b.accs))]
				ag := acc.agents[r.IntN(len(acc.agents))]
				if !ag.mu.TryLock() {
					continue // another worker has this agent now
				}
				a, lat := b.client.toggle(ctx, route(acc), ag)
				ag.mu.Unlock()
				if now.Before(from) || time.Now().After(to) {
					continue
				}
				switch {
				case a.changed():
					t.changes++
					t.lat = append(t.lat, lat)
				case a.status == 200:
					t.noops++
				default:
					t.failures[a.what()]++
				}
			}
		}()
	}
	time.Sleep(time.Until(from))
	if b.opt.profile != "" {
		for _, n := range b.nodes {
			if !n.up {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				file := filepath.Join(b.opt.profile, phase+"-"+n.name+".pprof")
				if err := n.profile(ctx, file, d); err != nil {
					fmt.Fprintf(os.Stderr, "bench-cluster: %v\n", err)
				}
			}()
		}
	}
	use0 := b.readUse()
	time.Sleep(time.Until(to))
	use1 := b.readUse()
	wg.Wait()
	res := loadResult{failures: map[string]int{}, elapsed: to.Sub(from), busy: use1.all.busySince(use0.all), use: use1.since(use0)}
	for _, t := range tallies {
		res.changes += t.changes
		res.noops += t.noops
		res.lat = append(res.lat, t.lat...)
		for k, v := range t.failures {
			res.failures[k] += v
		}
	}
	return res
}

// describe prints a phase's details as comment lines.
func (r loadResult) describe(label string) {
	fmt.Printf("# %s: %d changes in %s, closed-loop latency p50 %.2f ms, p99 %.2f ms; %d answered without a change; failures: %s; machine CPU %.0f%% busy\n",
		label, r.changes, r.elapsed.Round(time.Millisecond), ms(pct(r.lat, 0.50)), ms(pct(r.lat, 0.99)), r.noops, failures(r.failures), 100*r.busy)
	fmt.Printf("# %s, CPU in cores: %s\n", label, r.use)
}

// latency sends n commands one at a time, each to a node that does not
// own the account (forwarded) and, for another random agent, one to the
// owner (direct), interleaved so that both see the same conditions.
func (b *bench) latency(ctx context.Context, owner, other func(*account, *rand.Rand) string, n int) (fwd, direct []time.Duration, fails map[string]int) {
	r := rand.New(rand.NewPCG(17, uint64(time.Now().UnixNano())))
	fails = map[string]int{}
	one := func(route func(*account, *rand.Rand) string, into *[]time.Duration, label string) {
		acc := b.accs[r.IntN(len(b.accs))]
		ag := acc.agents[r.IntN(len(acc.agents))]
		ag.mu.Lock()
		a, d := b.client.toggle(ctx, route(acc, r), ag)
		ag.mu.Unlock()
		if a.changed() {
			*into = append(*into, d)
		} else {
			fails[label+" "+a.what()]++
		}
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		one(other, &fwd, "forwarded")
		one(owner, &direct, "direct")
	}
	return fwd, direct, fails
}

// pct is the nearest-rank percentile of ds (sorted here); 0 when empty.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(p*float64(len(ds)))) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func failures(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%d × %s", m[k], k))
	}
	return strings.Join(out, ", ")
}

// cpuTimes is the first line of /proc/stat: the machine's CPU time in
// ticks, all of it and the idle part.
type cpuTimes struct{ total, idle uint64 }

func readCPU() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var c cpuTimes
	// user nice system idle iowait irq softirq steal; guest time is
	// counted in user already.
	for i, s := range f[1:min(9, len(f))] {
		v, _ := strconv.ParseUint(s, 10, 64)
		c.total += v
		if i == 3 || i == 4 { // idle, iowait
			c.idle += v
		}
	}
	return c
}

func (c cpuTimes) busySince(before cpuTimes) float64 {
	if c.total <= before.total {
		return 0
	}
	return 1 - float64(c.idle-before.idle)/float64(c.total-before.total)
}

// procTicks is a process's CPU time (user and system) in clock ticks, 0
// when it cannot be read.
func procTicks(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// The fields after the command name in parentheses; the state is
	// the first, utime the 12th and stime the 13th.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st
}

// clockTicks is Linux's USER_HZ, the unit of /proc's CPU times.
const clockTicks = 100

// cpuUse is the CPU the nodes that are up, this process and the whole
// machine used between two readings.
type cpuUse struct {
	at    time.Time
	nodes map[string]uint64
	self  uint64
	all   cpuTimes
}

func (b *bench) readUse() cpuUse {
	u := cpuUse{at: time.Now(), nodes: map[string]uint64{}, self: procTicks(os.Getpid()), all: readCPU()}
	for _, n := range b.nodes {
		if n.up {
			u.nodes[n.name] = procTicks(n.cmd.Process.Pid)
		}
	}
	return u
}

// since describes the use from before to u in cores: each node's, this
// load generator's, and the rest of the machine's (PostgreSQL, NATS and
// whatever else runs there).
func (u cpuUse) since(before cpuUse) string {
	secs := u.at.Sub(before.at).Seconds()
	cores := func(t uint64) float64 { return float64(t) / clockTicks / secs }
	var parts []string
	var nodes uint64
	for _, name := range slices.Sorted(maps.Keys(u.nodes)) {
		t := u.nodes[name] - before.nodes[name]
		nodes += t
		parts = append(parts, fmt.Sprintf("%s %.2f", name, cores(t)))
	}
	self := u.self - before.self
	total := (u.all.total - before.all.total) - (u.all.idle - before.all.idle)
	// /proc/stat counts every CPU: its ticks over the seconds are cores.
	rest := cores(total) - cores(nodes) - cores(self)
	return fmt.Sprintf("%s, this load generator %.2f, the rest (PostgreSQL, NATS, anything else) %.2f cores", strings.Join(parts, ", "), cores(self), max(rest, 0))
}
