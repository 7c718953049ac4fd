// Command boards is the realtime agents board's smoothness benchmark
// (make bench-boards). It runs callfloor serve (SQLite, simulated
// telephony) as its own process, logs in -agents agents, and opens the
// supervisors' Agents board in headless Chromium through Playwright
// (ui/e2e/bench-boards.mjs). While the page watches, the agents change
// state at -rate events a second for -duration: each in turn pauses,
// unpauses, is offered a call, answers it and hangs up. The page records
// every animation frame longer than 50 ms (the Long Animation Frames API)
// and a Chrome performance trace, and times a probe agent's pause and
// unpause from the command to its row showing the new state. The board is
// sorted by agent, so that the probe's row (the first agent) is in view.
//
// It prints the settings as "# ..." lines and one figure a line as
// "name: value unit"; the trace is written to bench-boards-trace.json in
// the system's temporary directory.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callfloor/callfloor/bench/internal/benchserver"
)

func main() {
	agents := flag.Int("agents", 500, "logged-in agents on the board")
	rate := flag.Int("rate", 250, "agent state changes a second")
	duration := flag.Duration("duration", 30*time.Second, "how long the state changes are driven")
	flag.Parse()
	if *agents < 2 || *rate < 1 {
		log.Fatal("-agents must be at least 2 and -rate positive")
	}
	if err := run(*agents, *rate, *duration); err != nil {
		log.Fatal(err)
	}
}

// result is what the page measured (bench-boards.mjs prints it).
type result struct {
	Frames          int       `json:"frames"`
	LongFrames      int       `json:"long_frames"`
	LongestFrameMS  float64   `json:"longest_frame_ms"`
	FrameP99MS      float64   `json:"frame_p99_ms"`
	BlockingMS      float64   `json:"blocking_ms"`
	ProbeMS         []float64 `json:"probe_ms"`
	RowsShown       int       `json:"rows_shown"`
	TracePath       string    `json:"trace_path"`
	HeapMB          float64   `json:"heap_mb"`
	LongFrameScript string    `json:"long_frame_script"`
}

func run(nAgents, rate int, duration time.Duration) error {
	ctx := context.Background()
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node is not installed: run scripts/setup test")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("chromium is not installed: run scripts/setup test")
	}
	script, err := filepath.Abs(filepath.Join("ui", "e2e", "bench-boards.mjs"))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-boards-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := benchserver.Start(ctx, dir, benchserver.Options{Licences: nAgents, Args: []string{"--simulate"}})
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("# callfloor serve on SQLite, %d agents on the Agents board, %d state changes/s for %s\n", nAgents, rate, duration)

	admin, err := srv.Login(ctx, "admin")
	if err != nil {
		return err
	}
	var reason struct{ ID int64 }
	if err := srv.Do(ctx, admin, "POST", "/api/v1/pause-reasons", map[string]any{"name": "Bench", "code": 9, "threshold_seconds": 20}, &reason); err != nil {
		return err
	}
	start := time.Now()
	agents, err := srv.Agents(ctx, admin, nAgents)
	if err != nil {
		return err
	}
	fmt.Printf("# %d agents made and logged in in %s\n", nAgents, time.Since(start).Round(time.Second))
	probe, load := agents[0], agents[1:]

	page := exec.CommandContext(ctx, node, script)
	page.Dir = filepath.Dir(filepath.Dir(script))
	page.Env = append(os.Environ(), "CALLFLOOR_URL="+srv.URL(), "CHROMIUM="+chromium, "BENCH_ACCOUNT="+benchserver.Account,
		"BENCH_PASSWORD="+benchserver.Password, fmt.Sprintf("BENCH_AGENTS=%d", nAgents), "PROBE_TOKEN="+probe.Token,
		"PROBE_NUMBER="+probe.Number, fmt.Sprintf("PROBE_REASON=%d", reason.ID),
		"TRACE_PATH="+filepath.Join(os.TempDir(), "bench-boards-trace.json"))
	stdin, err := page.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := page.StdoutPipe()
	if err != nil {
		return err
	}
	page.Stderr = os.Stderr
	if err := page.Start(); err != nil {
		return err
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	if err := waitLine(lines, "READY"); err != nil {
		page.Process.Kill()
		return fmt.Errorf("the page did not get ready: %w", err)
	}

	sent, failed := drive(ctx, srv, admin, load, reason.ID, rate, duration)
	fmt.Printf("state_changes_applied: %d\n", sent)
	fmt.Printf("state_changes_failed: %d\n", failed)

	io.WriteString(stdin, "DONE\n")
	stdin.Close()
	var res result
	for lines.Scan() {
		if s, ok := strings.CutPrefix(lines.Text(), "RESULT "); ok {
			if err := json.Unmarshal([]byte(s), &res); err != nil {
				return err
			}
		}
	}
	if err := page.Wait(); err != nil {
		return fmt.Errorf("the page's script failed: %w", err)
	}
	fmt.Printf("board_rows_drawn: %d of %d\n", res.RowsShown, nAgents)
	fmt.Printf("board_frames: %d\n", res.Frames)
	fmt.Printf("board_frames_over_50ms: %d\n", res.LongFrames)
	fmt.Printf("board_longest_frame_ms: %.1f ms\n", res.LongestFrameMS)
	fmt.Printf("board_frame_p99_ms: %.1f ms\n", res.FrameP99MS)
	fmt.Printf("board_blocking_ms: %.0f ms\n", res.BlockingMS)
	fmt.Printf("board_heap_mb: %.1f MB\n", res.HeapMB)
	if res.LongFrameScript != "" {
		fmt.Printf("# the longest frame's slowest script: %s\n", res.LongFrameScript)
	}
	if len(res.ProbeMS) > 0 {
		fmt.Printf("board_update_p50: %.1f ms\n", quantile(res.ProbeMS, 0.5))
		fmt.Printf("board_update_max: %.1f ms (%d probes)\n", quantile(res.ProbeMS, 1), len(res.ProbeMS))
	}
	fmt.Printf("# trace: %s\n", res.TracePath)
	return nil
}

// waitLine reads lines until one is want.
func waitLine(lines *bufio.Scanner, want string) error {
	for lines.Scan() {
		if lines.Text() == want {
			return nil
		}
		fmt.Fprintln(os.Stderr, "page:", lines.Text())
	}
	if err := lines.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// drive moves the agents through pause, unpause, an offered call, its
// answer and its hangup, one step at a time, rate steps a second.
func drive(ctx context.Context, srv *benchserver.Server, admin string, agents []benchserver.Agent, reason int64, rate int, d time.Duration) (int64, int64) {
	step := make([]int, len(agents))
	// busy marks an agent whose step is under way; its next one waits
	// (the flag also orders the workers' use of step).
	busy := make([]atomic.Bool, len(agents))
	var sent, failed atomic.Int64
	jobs := make(chan int, rate)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				a := agents[i]
				call := fmt.Sprintf("c%d-%d", a.ExtensionID, step[i]/5)
				var err error
				switch step[i] % 5 {
				case 0:
					err = srv.Do(ctx, a.Token, "POST", "/api/v1/floor/me/pause", map[string]any{"reason_id": reason}, nil)
				case 1:
					err = srv.Do(ctx, a.Token, "POST", "/api/v1/floor/me/unpause", nil, nil)
				case 2:
					err = srv.Do(ctx, admin, "POST", "/api/v1/sim/offer", map[string]any{"extension_id": a.ExtensionID, "call_id": call,
						"direction": "external_in", "from": "+441632960123"}, nil)
				case 3:
					err = srv.Do(ctx, admin, "POST", "/api/v1/sim/answer", map[string]any{"extension_id": a.ExtensionID, "call_id": call}, nil)
				case 4:
					err = srv.Do(ctx, admin, "POST", "/api/v1/sim/hangup", map[string]any{"extension_id": a.ExtensionID, "call_id": call}, nil)
				}
				if err != nil {
					failed.Add(1)
					if failed.Load() <= 3 {
						log.Printf("a state change failed: %v", err)
					}
				} else {
					sent.Add(1)
				}
				step[i]++
				busy[i].Store(false)
			}
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.After(d)
	next := 0
loop:
	for {
		select {
		case <-end:
			break loop
		case <-tick.C:
			if busy[next].CompareAndSwap(false, true) {
				select {
				case jobs <- next:
				default: // the workers are behind: the step is skipped
					busy[next].Store(false)
				}
			}
			next = (next + 1) % len(agents)
		}
	}
	close(jobs)
	wg.Wait()
	return sent.Load(), failed.Load()
}

func quantile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}
