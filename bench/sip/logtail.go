package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// callLog is one line the calling sipp logs (uac.xml): a call answered
// with callfloor's media port, or a call about to hang up.
type callLog struct {
	Start bool   // "start <call> <port>"; false for "stop <call>"
	Call  uint32 // sipp's call number, from 1
	Port  uint16 // the port of callfloor's relay leg for the caller
}

// parseCallLog parses one line of sipp's -trace_logs file.
func parseCallLog(line string) (callLog, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return callLog{}, false
	}
	call, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil || call == 0 {
		return callLog{}, false
	}
	switch {
	case f[0] == "start" && len(f) == 3:
		port, err := strconv.ParseUint(f[2], 10, 16)
		if err != nil || port == 0 {
			return callLog{}, false
		}
		return callLog{Start: true, Call: uint32(call), Port: uint16(port)}, true
	case f[0] == "stop" && len(f) == 2:
		return callLog{Call: uint32(call)}, true
	}
	return callLog{}, false
}

// tailer follows a log file that sipp writes, as tail -f does.
type tailer struct {
	stop context.CancelFunc
	done chan error
	bad  int // lines that did not parse
}

// tailCalls reads path from the start, waiting for it to appear and
// grow, and hands each call line to fn, from one goroutine, until Close.
func tailCalls(path string, fn func(callLog)) *tailer {
	ctx, stop := context.WithCancel(context.Background())
	t := &tailer{stop: stop, done: make(chan error, 1)}
	go func() { t.done <- t.run(ctx, path, fn) }()
	return t
}

func (t *tailer) run(ctx context.Context, path string, fn func(callLog)) error {
	const poll = 5 * time.Millisecond
	var f *os.File
	for {
		var err error
		if f, err = os.Open(path); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var partial strings.Builder
	stopping := false
	for {
		s, err := r.ReadString('\n')
		partial.WriteString(s)
		if err == nil {
			if l, ok := parseCallLog(partial.String()); ok {
				fn(l)
			} else if strings.TrimSpace(partial.String()) != "" {
				t.bad++
			}
			partial.Reset()
			continue
		}
		if err != io.EOF {
			return err
		}
		// At the end for now. Once asked to stop (the writer has
		// exited), read to the end once more, then stop.
		if stopping {
			return nil
		}
		select {
		case <-ctx.Done():
			stopping = true
		case <-time.After(poll):
		}
	}
}

// Close stops following once the file has been read to its end, and
// returns the first error met.
func (t *tailer) Close() error {
	t.stop()
	return <-t.done
}
