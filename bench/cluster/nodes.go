package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// node is one callfloor serve process of the cluster, on loopback.
type node struct {
	name string
	addr string // the API's host:port
	bin  string
	args []string
	log  string // its log file
	cmd  *exec.Cmd
	// exited is closed once the process has ended and is reaped.
	exited chan struct{}
	up     bool
	// metrics is the metrics listener's host:port, which serves Go's
	// profiles (-profile); empty when none.
	metrics string
}

func (n *node) base() string { return "http://" + n.addr }

// start runs the node and waits until it answers /healthz.
func (n *node) start(ctx context.Context) error {
	f, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	n.cmd = exec.Command(n.bin, append([]string{"serve", "--node", n.name, "--http", n.addr}, n.args...)...)
	n.cmd.Stdout, n.cmd.Stderr = f, f
	if err := n.cmd.Start(); err != nil {
		return err
	}
	n.up = true
	exited := make(chan struct{})
	n.exited = exited
	go func() {
		n.cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if resp, err := http.Get(n.base() + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("node %s exited at start; the end of its log:\n%s", n.name, n.logTail())
		case <-time.After(25 * time.Millisecond):
		}
	}
	return fmt.Errorf("node %s did not come up in 60 s; the end of its log:\n%s", n.name, n.logTail())
}

// kill ends the process with SIGKILL, as a crash would: its leases are
// not released and its NATS connection just drops.
func (n *node) kill() {
	if !n.up {
		return
	}
	n.up = false
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

func (n *node) logTail() string {
	b, _ := os.ReadFile(n.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// build compiles callfloor into dir.
func build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "callfloor")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/callfloor/callfloor/cmd/callfloor").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building callfloor: %v\n%s", err, out)
	}
	return bin, nil
}

// freeAddr is a free TCP port on loopback.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// newNodes makes the three nodes' settings (not started): their data
// directories and logs in dir, a shared secret key, the cluster's
// PostgreSQL schema and NATS.
func newNodes(dir, bin, dbURL, natsURL, cluster string, ttl time.Duration, count int, metrics bool) ([]*node, error) {
	key := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("cd", 32)+"\n"), 0o600); err != nil {
		return nil, err
	}
	var nodes []*node
	for i := 1; i <= count; i++ {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		n := &node{name: fmt.Sprintf("node%d", i), addr: addr, bin: bin,
			log: filepath.Join(dir, fmt.Sprintf("node%d.log", i)),
			args: []string{"--data", filepath.Join(dir, fmt.Sprintf("data%d", i)), "--database", dbURL,
				"--secret-key-file", key, "--nats", natsURL, "--cluster", cluster, "--cluster-ttl", ttl.String(),
				"--sip", "127.0.0.1:0", "--simulate", "--log-level", "warn"}}
		if metrics {
			if n.metrics, err = freeAddr(); err != nil {
				return nil, err
			}
			n.args = append(n.args, "--metrics-listen", n.metrics)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// dropNATS deletes the cluster's streams and key-value buckets (a
// bucket is a stream named KV_<bucket>), which all carry its name.
func dropNATS(url, cluster string) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	var drop []string
	for s := range names.Name() {
		if strings.Contains(strings.ToLower(s), strings.ToLower(cluster)) {
			drop = append(drop, s)
		}
	}
	if err := names.Err(); err != nil {
		return err
	}
	for _, s := range drop {
		if err := js.DeleteStream(ctx, s); err != nil {
			return fmt.Errorf("delete stream %s: %w", s, err)
		}
	}
	return nil
}

// profile writes the node's CPU profile over the next d into file.
func (n *node) profile(ctx context.Context, file string, d time.Duration) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", n.metrics, max(1, int(d.Seconds())))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile of %s: status %d", n.name, resp.StatusCode)
	}
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
