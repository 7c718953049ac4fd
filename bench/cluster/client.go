package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// client sends the agents' floor commands, as an integration would, with
// their API tokens.
type client struct {
	hc *http.Client
}

func newClient(conns int, timeout time.Duration) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns * 4
	tr.MaxIdleConnsPerHost = conns
	return &client{hc: &http.Client{Transport: tr, Timeout: timeout}}
}

// answer is what a command got: the status, the X-Callfloor-Seq header
// (0 when none: the command changed nothing) and the error code of a
// refusal.
type answer struct {
	status int
	seq    int64
	code   string
	err    error
}

// changed says whether the command was acknowledged as a journaled
// state change.
func (a answer) changed() bool { return a.status == http.StatusOK && a.seq > 0 }

// what names the answer for the tally of failures.
func (a answer) what() string {
	switch {
	case a.err != nil:
		return "transport error"
	case a.code != "":
		return fmt.Sprintf("%d %s", a.status, a.code)
	default:
		return strconv.Itoa(a.status)
	}
}

func (c *client) post(ctx context.Context, base, token, path string, body []byte) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	a.seq, _ = strconv.ParseInt(resp.Header.Get("X-Callfloor-Seq"), 10, 64)
	b, _ := io.ReadAll(resp.Body)
	if a.status != http.StatusOK {
		var e struct {
			Error struct{ Code string }
		}
		if json.Unmarshal(b, &e) == nil {
			a.code = e.Error.Code
		}
	}
	return a
}

const (
	pathLogin   = "/api/v1/floor/me/login"
	pathPause   = "/api/v1/floor/me/pause"
	pathUnpause = "/api/v1/floor/me/unpause"
)

// toggle pauses the agent when it is ready and unpauses it when paused:
// each is one journaled change. The caller holds ag.mu. A command that
// was answered 200 leaves the agent as asked; one that failed leaves what
// the bench believes unchanged (a later command that finds the agent
// already so is answered 200 without a sequence number, and is not
// counted).
func (c *client) toggle(ctx context.Context, base string, ag *agent) (answer, time.Duration) {
	pause := !ag.paused
	path, body := pathUnpause, []byte(nil)
	if pause {
		path, body = pathPause, fmt.Appendf(nil, `{"reason_id":%d}`, ag.acc.reason)
	}
	t0 := time.Now()
	a := c.post(ctx, base, ag.token, path, body)
	d := time.Since(t0)
	if a.status == http.StatusOK {
		ag.paused = pause
	}
	return a, d
}

// pause pauses the agent; pausing an agent already paused for the same
// reason is answered 200 with no change, so it can be repeated.
func (c *client) pause(ctx context.Context, base string, ag *agent) answer {
	return c.post(ctx, base, ag.token, pathPause, fmt.Appendf(nil, `{"reason_id":%d}`, ag.acc.reason))
}
