package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/api"
	"github.com/callfloor/callfloor/auth"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/password"
)

// latency offers commands at a fixed rate (open loop: a slow answer does
// not slow the offered load) and times each acknowledgement, and, for the
// first account, the arrival of its event on a supervisor's WebSocket.
func (b *bench) latency(ctx context.Context, rate int, d time.Duration) error {
	ws, err := b.watch(ctx, b.accounts[0])
	if err != nil {
		return err
	}
	type sent struct {
		at  time.Time
		seq int64
	}
	var mu sync.Mutex
	var acks []time.Duration
	var watched []sent
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	n := int(d / interval)
	agents := len(b.accounts) * b.perAccount
	paused := make([]bool, agents)
	for i := 0; i < n; i++ {
		// agents in turn, so no two commands for one agent overlap
		k := i % agents
		acc, ext := b.accounts[k%len(b.accounts)], int64(k/len(b.accounts)+1)
		var in floor.Input = floor.Pause{Ext: ext, ReasonID: 1}
		if paused[k] {
			in = floor.Unpause{Ext: ext}
		}
		paused[k] = !paused[k]
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			evs, err := b.f.Do(ctx, acc, in)
			lat := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				acks = append(acks, lat)
				if acc == b.accounts[0] && len(evs) > 0 {
					watched = append(watched, sent{t0, evs[len(evs)-1].Seq})
				}
			}
		}()
	}
	wg.Wait()
	offered := float64(n) / time.Since(start).Seconds()
	time.Sleep(200 * time.Millisecond)
	arrivals := ws.stop()
	var stream []time.Duration
	missing := 0
	for _, s := range watched {
		at, ok := arrivals[s.seq]
		if !ok {
			missing++
			continue
		}
		stream = append(stream, at.Sub(s.at))
	}
	slices.Sort(acks)
	slices.Sort(stream)
	fmt.Printf("# latency phase: %.0f commands/s offered for %s\n", offered, d)
	fmt.Printf("ack_latency_p50: %.2f ms\n", ms(pct(acks, 0.50)))
	fmt.Printf("ack_latency_p99: %.2f ms\n", ms(pct(acks, 0.99)))
	fmt.Printf("stream_latency_p99: %.2f ms\n", ms(pct(stream, 0.99)))
	fmt.Printf("stream_events_missing: %d count\n", missing)
	return nil
}

// watcher is a supervisor's WebSocket on the real API server.
type watcher struct {
	mu       sync.Mutex
	arrivals map[int64]time.Time
	cancel   context.CancelFunc
	done     chan struct{}
}

// watch serves the API on a loopback port, logs a supervisor of the account
// in and reads its stream, noting when each event arrives.
func (b *bench) watch(ctx context.Context, accountID int64) (*watcher, error) {
	hasher := password.New(password.Fast)
	hash, _ := hasher.Hash("bench-password")
	acc, err := b.st.FindAccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	// A supervisor needs an admin beside it (the account's first user).
	sctx := callfloor.SystemContext(ctx, accountID)
	for _, u := range []*callfloor.User{
		{Username: "admin", Role: callfloor.RoleAdmin, PasswordHash: hash},
		{Username: "super", Role: callfloor.RoleSupervisor, PasswordHash: hash},
	} {
		if err := b.st.CreateUser(sctx, u); err != nil {
			return nil, err
		}
	}
	authSvc := auth.NewService(auth.Config{Store: b.st, Hasher: hasher, Clock: callfloor.SystemClock{}})
	token, _, _, err := authSvc.Login(ctx, acc.Name, "super", "bench-password", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	srv := api.New(api.Config{Store: b.st, Auth: authSvc, Hasher: hasher, Floor: b.f, Hub: b.hub,
		Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go http.Serve(ln, srv)
	wctx, cancel := context.WithCancel(ctx)
	c, _, err := websocket.Dial(wctx, "ws://"+ln.Addr().String()+"/api/v1/stream", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		cancel()
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	// The snapshot first: events before it are in it, not on the stream.
	if _, _, err := c.Read(wctx); err != nil {
		cancel()
		return nil, err
	}
	w := &watcher{arrivals: map[int64]time.Time{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer ln.Close()
		for {
			_, data, err := c.Read(wctx)
			if err != nil {
				return
			}
			now := time.Now()
			var m api.StreamMessage
			if json.Unmarshal(data, &m) == nil && m.Type == "event" {
				w.mu.Lock()
				w.arrivals[m.Seq] = now
				w.mu.Unlock()
			}
		}
	}()
	return w, nil
}

func (w *watcher) stop() map[int64]time.Time {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.arrivals
}
