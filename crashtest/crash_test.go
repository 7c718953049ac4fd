// Package crashtest kills a real callfloor server with SIGKILL at random
// moments while a driver sends it random valid commands and simulated call
// events, and checks that nothing acknowledged is ever lost: not from the
// journal, and not from a webhook endpoint's deliveries.
package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sqlite"
	"github.com/callfloor/callfloor/sqlstore"
)

const demoPassword = "crash-pass-1"

// server is the callfloor process under test.
type server struct {
	t    *testing.T
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
	log  *os.File
	// args are the test's own settings, after the common ones.
	args []string
}

// build builds the callfloor binary into dir and returns its path.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "callfloor")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/callfloor/callfloor/cmd/callfloor").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func (s *server) start() {
	s.t.Helper()
	// No simulated carrier: its default address is a fixed port, and the
	// crash test drives calls through the simulated telephony plane.
	args := []string{"demo", "--data", s.dir, "--http", s.addr, "--sip", "127.0.0.1:0", "--sip-ws", "127.0.0.1:0", "--simulate",
		"--demo-carrier", "", "--demo-password", demoPassword, "--log-level", "warn"}
	s.cmd = exec.Command(s.bin, append(args, s.args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.t.Fatalf("server did not come up; the end of its log:\n%s", s.logTail())
}

// logTail is the end of the server's log, over every run.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log.Name())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// kill ends the process with SIGKILL: no shutdown code runs.
// journal reads the demo account's journal after seq straight from the
// database file (the server stopped), by seq.
func (s *server) journal(after int64) map[int64]callfloor.Event {
	t := s.t
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(s.dir, "callfloor.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acc, err := st.FindAccountByName(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	journal := map[int64]callfloor.Event{}
	for {
		evs, err := st.ReadEvents(context.Background(), acc.ID, after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return journal
		}
		for _, e := range evs {
			journal[e.Seq], after = e, e.Seq
		}
	}
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

type acked struct {
	seq  int64
	ext  int64
	what string
}

// driver sends random commands for one agent and notes every acknowledged
// one with the sequence number of its last event.
type driver struct {
	base       string
	admin      string // token with the simulated telephony's rights
	agent      string
	ext, queue int64
	r          *rand.Rand
	calls      int
	offered    []string
	ended      []string
	mu         *sync.Mutex
	acks       *[]acked
	http       *http.Client
}

func (d *driver) post(token, path string, body any) (int64, bool) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest("POST", d.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, false
	}
	resp.Body.Close()
	seq, _ := strconv.ParseInt(resp.Header.Get("X-Callfloor-Seq"), 10, 64)
	return seq, resp.StatusCode == 200
}

func (d *driver) step() {
	var seq int64
	var ok bool
	what := ""
	pick := func(ids []string) string {
		if len(ids) == 0 {
			return "none"
		}
		return ids[d.r.IntN(len(ids))]
	}
	switch n := d.r.IntN(11); n {
	case 0:
		what = "login"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/login", nil)
	case 1:
		what = "logoff"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/logoff", nil)
	case 2:
		what = "pause"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/pause", map[string]int64{"reason_id": int64(2 + d.r.IntN(3))})
	case 3:
		what = "unpause"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/unpause", nil)
	case 4, 5:
		d.calls++
		id := fmt.Sprintf("x%d-%d-%d", d.ext, time.Now().UnixNano(), d.calls)
		what = "offer " + id
		seq, ok = d.post(d.admin, "/api/v1/sim/offer", map[string]any{"extension_id": d.ext, "call_id": id,
			"direction": "queue_in", "queue_id": d.queue, "from": "+441632960999"})
		if ok {
			d.offered = append(d.offered, id)
		}
	case 6:
		what = "answer"
		seq, ok = d.post(d.admin, "/api/v1/sim/answer", map[string]any{"extension_id": d.ext, "call_id": pick(d.offered)})
	case 7:
		what = "hold"
		seq, ok = d.post(d.admin, "/api/v1/sim/hold", map[string]any{"extension_id": d.ext, "call_id": pick(d.offered), "held": d.r.IntN(2) == 0})
	case 8:
		id := pick(d.offered)
		what = "hangup " + id
		seq, ok = d.post(d.admin, "/api/v1/sim/hangup", map[string]any{"extension_id": d.ext, "call_id": id, "reason": "remote"})
		if ok {
			d.ended = append(d.ended, id)
		}
	case 9:
		what = "disposition"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/dispositions", map[string]any{"call_id": pick(d.ended),
			"category": "success", "outcome": "Sale", "notes": "crash test"})
	case 10:
		what = "dial"
		seq, ok = d.post(d.agent, "/api/v1/floor/me/dial", map[string]string{"number": "+441632960555"})
	}
	if ok && seq > 0 {
		d.mu.Lock()
		*d.acks = append(*d.acks, acked{seq: seq, ext: d.ext, what: what})
		d.mu.Unlock()
	}
}

func login(t *testing.T, base, user string) string {
	b, _ := json.Marshal(map[string]string{"account": "demo", "username": user, "password": demoPassword})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Token == "" {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	return out.Token
}

func getJSON(t *testing.T, base, token, path string, out any) {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// extensionIDs are the account's extension ids by number.
func extensionIDs(t *testing.T, base, token string) map[string]int64 {
	t.Helper()
	var exts struct{ Items []callfloor.Extension }
	getJSON(t, base, token, "/api/v1/extensions", &exts)
	ids := map[string]int64{}
	for _, e := range exts.Items {
		ids[e.Number] = e.ID
	}
	return ids
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	kills := 6
	if v, err := strconv.Atoi(os.Getenv("CALLFLOOR_CRASH_KILLS")); err == nil && v > 0 {
		kills = v
	}
	dir := t.TempDir()
	bin := build(t, dir)
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	defer logf.Close()
	s := &server{t: t, bin: bin, dir: filepath.Join(dir, "data"), addr: freeAddr(t), log: logf}
	s.start()
	base := "http://" + s.addr
	admin := login(t, base, "admin")
	byNumber := extensionIDs(t, base, admin)
	var queues struct{ Items []callfloor.Queue }
	getJSON(t, base, admin, "/api/v1/queues", &queues)
	var sales int64
	for _, q := range queues.Items {
		if q.Number == "600" {
			sales = q.ID
		}
	}

	var mu sync.Mutex
	var acks []acked
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 1; i <= 4; i++ {
		d := &driver{base: base, admin: admin, agent: login(t, base, fmt.Sprintf("agent%d", i)),
			ext: byNumber[fmt.Sprint(200+i)], queue: sales, r: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))),
			mu: &mu, acks: &acks, http: &http.Client{Timeout: 3 * time.Second}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				d.step()
			}
		}()
	}
	r := rand.New(rand.NewPCG(99, uint64(time.Now().UnixNano())))
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(300+r.IntN(1200)) * time.Millisecond)
		s.kill()
		s.start()
	}
	time.Sleep(500 * time.Millisecond)
	stop()
	wg.Wait()
	s.kill()

	journal := s.journal(0)
	for seq := int64(1); seq <= int64(len(journal)); seq++ {
		if _, ok := journal[seq]; !ok {
			t.Fatalf("journal gap: no event %d of %d", seq, len(journal))
		}
	}
	if len(acks) < 50 {
		t.Fatalf("only %d commands were acknowledged: the driver did not drive", len(acks))
	}
	for _, a := range acks {
		e, ok := journal[a.seq]
		if !ok || (e.ExtensionID != a.ext && e.ExtensionID != 0) {
			t.Fatalf("acknowledged %q (seq %d, extension %d) is not in the journal: %+v", a.what, a.seq, a.ext, e)
		}
	}
	ended, disposed := map[string]int{}, map[string]int{}
	for _, e := range journal {
		switch e.Type {
		case callfloor.EventCallEnded:
			ended[e.Call.ID]++
		case callfloor.EventDisposition:
			disposed[e.Disposition.CallID]++
		}
	}
	for id, n := range ended {
		if n > 1 || disposed[id] > 1 {
			t.Fatalf("call %s ended %d times with %d dispositions", id, n, disposed[id])
		}
	}

	// After one more restart no agent is left ringing or on a call: the
	// calls did not survive the process.
	s.start()
	defer s.kill()
	var floorNow struct {
		Items []struct{ Number, State string }
	}
	getJSON(t, base, login(t, base, "super"), "/api/v1/floor/agents", &floorNow)
	for _, a := range floorNow.Items {
		if a.State == string(callfloor.StateRinging) || a.State == string(callfloor.StateOnCall) {
			t.Fatalf("agent %s is %s after a restart, with no call", a.Number, a.State)
		}
	}
	t.Logf("%d kills, %d acknowledged commands, %d journal events, %d calls", kills, len(acks), len(journal), len(ended))
}
