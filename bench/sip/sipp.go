package main

import (
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The sipp scenarios: the callee's phone registers (register.xml) and
// then answers on the same port (uas.xml); the caller's phone calls it
// (uac.xml).
//
//go:embed testdata/*.xml
var scenarios embed.FS

// writeScenarios copies the scenarios into dir, where sipp reads them.
func writeScenarios(dir string) error {
	for _, name := range []string{"register.xml", "uas.xml", "uac.xml"} {
		b, err := scenarios.ReadFile("testdata/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeCallers writes the calling sipp's injection file: every call uses
// the same SIP user (field 0) but the calls take their source address
// (field 1, with -t ui -ip_field 1) in turn from n loopback addresses
// 127.0.X.Y. The registrar limits requests per source address (10 a
// second, bursts of 50), as it should for phones; spreading the calls
// keeps each address well under that.
func writeCallers(path, user string, n int) error {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := range n {
		fmt.Fprintf(&b, "%s;%s;\n", user, sourceIP(i))
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// sourceIP is the i-th calling address: 127.0.1.1, 127.0.1.2, ...,
// 127.0.1.250, 127.0.2.1, ...
func sourceIP(i int) string { return fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250) }

// sippCmd is a sipp process run in its own directory, where it writes its
// statistics, response times, logs and screen (sipp.out).
type sippCmd struct {
	dir  string
	cmd  *exec.Cmd
	out  *os.File
	done chan struct{}
	err  error
}

// startSipp starts sipp with args in dir.
func startSipp(ctx context.Context, dir string, args ...string) (*sippCmd, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "sipp.out"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "sipp", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting sipp: %w", err)
	}
	s := &sippCmd{dir: dir, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		out.Close()
		close(s.done)
	}()
	return s, nil
}

// wait waits for sipp to exit and returns its exit code (-1 if killed).
func (s *sippCmd) wait() int {
	<-s.done
	return s.cmd.ProcessState.ExitCode()
}

// exited reports whether sipp has exited.
func (s *sippCmd) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop has sipp finish (SIGUSR1: no new calls, then exit), and kills it
// if it has not exited after grace.
func (s *sippCmd) stop(grace time.Duration) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGUSR1)
	select {
	case <-s.done:
	case <-time.After(grace):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// screenTail returns the last n lines sipp printed.
func (s *sippCmd) screenTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "sipp.out"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// sippStats are the cumulative counters of sipp's statistics file
// (-trace_stat), by column name.
type sippStats map[string]string

func (st sippStats) int(name string) int {
	n, _ := strconv.Atoi(st[name])
	return n
}

// readSippStats reads the last row of a -trace_stat file.
func readSippStats(path string) (sippStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseSippStats(f)
}

func parseSippStats(r io.Reader) (sippStats, error) {
	cr := csv.NewReader(r)
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes = ';', -1, true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("sipp statistics: no rows")
	}
	st := sippStats{}
	last := rows[len(rows)-1]
	for i, name := range rows[0] {
		if i < len(last) && name != "" {
			st[name] = last[i]
		}
	}
	return st, nil
}

// responseTimes are sipp's response times of one rtd (-trace_rtt), and
// when each was measured.
type responseTimes struct {
	At, Took []time.Duration // since sipp started; sorted by At
}

// readResponseTimes reads rtd "1" from the *_rtt.csv file in dir.
func readResponseTimes(dir string) (responseTimes, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	if len(paths) != 1 {
		return responseTimes{}, fmt.Errorf("%d response time files in %s", len(paths), dir)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return responseTimes{}, err
	}
	defer f.Close()
	return parseResponseTimes(f, "1")
}

// parseResponseTimes reads sipp's "Date_ms;response_time_ms;rtd_no"
// lines of rtd.
func parseResponseTimes(r io.Reader, rtd string) (responseTimes, error) {
	cr := csv.NewReader(r)
	cr.Comma, cr.FieldsPerRecord = ';', -1
	var rt responseTimes
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rt, err
		}
		if len(rec) < 3 || rec[2] != rtd {
			continue // the header, or another rtd
		}
		at, err1 := strconv.ParseFloat(rec[0], 64)
		took, err2 := strconv.ParseFloat(rec[1], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		rt.At = append(rt.At, time.Duration(at*float64(time.Millisecond)))
		rt.Took = append(rt.Took, time.Duration(took*float64(time.Millisecond)))
	}
	slices.Sort(rt.At)
	return rt, nil
}

// rate is how many calls a second were answered, from the first answer
// to the last.
func (rt responseTimes) rate() float64 {
	if len(rt.At) < 2 {
		return 0
	}
	span := rt.At[len(rt.At)-1] - rt.At[0]
	if span <= 0 {
		return 0
	}
	return float64(len(rt.At)-1) / span.Seconds()
}

// sorted returns the response times in increasing order.
func (rt responseTimes) sorted() []time.Duration {
	s := slices.Clone(rt.Took)
	slices.Sort(s)
	return s
}

// tick is the resolution of the response times: the greatest common
// divisor of those measured, in whole milliseconds (sipp reads a coarse
// clock; on a kernel ticking at 250 Hz every time is a multiple of 4 ms).
func (rt responseTimes) tick() time.Duration {
	g := int64(0)
	for _, d := range rt.Took {
		v := d.Milliseconds()
		for v != 0 {
			g, v = v, g%v
		}
	}
	return time.Duration(g) * time.Millisecond
}
