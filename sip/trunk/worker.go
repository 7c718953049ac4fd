package trunk

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/callfloor/callfloor"
)

// worker is the goroutine that owns one trunk's registration.
type worker struct {
	c     *Client
	trunk *callfloor.Trunk
	key   string
	log   *slog.Logger
	stop  chan struct{} // closed to withdraw and end
	done  chan struct{} // closed when ended

	// Owned by the goroutine.
	sess    *session
	expires int // the expiry asked for (raised by a 423)
	st      Status
	// bound tells that the carrier may hold our contact: a registration
	// succeeded, or an attempt was cut short.
	bound bool
}

func (c *Client) start(t *callfloor.Trunk) *worker {
	tc := *t
	tc.AllowedSources = append([]string(nil), t.AllowedSources...)
	w := &worker{
		c: c, trunk: &tc, key: fingerprint(&tc),
		log:  c.log.With("account", tc.AccountID, "trunk", tc.ID, "host", tc.Host),
		stop: make(chan struct{}), done: make(chan struct{}),
		sess: newSession(&tc, c.cfg.Contact), expires: tc.ExpirySeconds,
		st: Status{TrunkStatus: callfloor.TrunkStatus{TrunkID: tc.ID, State: StateRegistering}, AccountID: tc.AccountID},
	}
	go w.run()
	return w
}

// run registers now, then refreshes or retries at the time the last
// answer set, until stop.
func (w *worker) run() {
	defer close(w.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-w.stop:
			cancel() // cut short an attempt under way
		case <-ctx.Done():
		}
	}()
	clock := w.c.cfg.Clock
	wait := time.Duration(0)
	for {
		t := clock.NewTimer(wait)
		w.st.NextAttempt = clock.Now().Add(wait)
		w.c.publish(w.st)
		select {
		case <-t.C():
		case <-w.stop:
			t.Stop()
			w.withdraw()
			return
		}
		wait = w.attempt(ctx)
		if ctx.Err() != nil {
			w.bound = true // the carrier may have taken the cut-short REGISTER
			w.withdraw()
			return
		}
	}
}

// attempt registers once and returns how long to wait for the next one.
func (w *worker) attempt(ctx context.Context) time.Duration {
	actx, cancel := context.WithTimeout(ctx, w.c.cfg.Timeout)
	granted, asked, err := w.sess.register(actx, w.c.do, w.expires)
	cancel()
	w.expires = asked
	now := w.c.cfg.Clock.Now()
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		w.st.State, w.st.LastError = StateFailing, err.Error()
		w.st.Failures++
		wait := w.backoff(err)
		w.log.Warn("trunk registration failed", "err", err, "failures", w.st.Failures, "retry_in", wait)
		return wait
	}
	if w.st.State != StateRegistered {
		w.log.Info("trunk registered", "expires", granted)
	}
	w.bound = true
	w.st.State, w.st.LastError, w.st.Failures = StateRegistered, "", 0
	w.st.RegisteredAt, w.st.Expires = now, now.Add(granted)
	return refreshIn(granted)
}

// backoff is the wait after the st.Failures-th failure in a row.
func (w *worker) backoff(err error) time.Duration {
	cfg := w.c.cfg
	wait := cfg.RetryMin
	for i := 1; i < w.st.Failures && wait < cfg.RetryMax; i++ {
		wait *= 2
	}
	wait = min(wait, cfg.RetryMax)
	var ae *answerError
	if errors.As(err, &ae) && ae.retryAfter > wait {
		wait = min(ae.retryAfter, time.Duration(callfloor.MaxTrunkExpiry)*time.Second)
	}
	return wait
}

// refreshIn is when to refresh a registration granted for g: a minute
// before it runs out, or halfway for short ones.
func refreshIn(g time.Duration) time.Duration {
	return g - min(g/2, time.Minute)
}

// withdraw sends REGISTER with Expires: 0 if the carrier may hold our
// contact; a failure is only logged.
func (w *worker) withdraw() {
	if !w.bound {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.c.cfg.Timeout)
	defer cancel()
	if _, _, err := w.sess.register(ctx, w.c.do, 0); err != nil {
		w.log.Warn("trunk unregistration failed", "err", err)
		return
	}
	w.log.Info("trunk unregistered")
}
