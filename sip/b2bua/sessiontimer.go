package b2bua

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor/sip/sdp"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028) keep a call honest on both sides of the
// B2BUA: one end of each dialog, the refresher, sends a refresh (UPDATE,
// or a re-INVITE to a party that does not allow UPDATE) every half
// interval; a dialog not refreshed in time, or whose refresh fails with
// 408, 481 or no answer at all, is over, and the calls of its leg end
// with ReasonSessionExpired.

const (
	// statusIntervalTooSmall is 422 Session Interval Too Small.
	statusIntervalTooSmall = 422
	// DefaultSessionExpires is the session interval the B2BUA asks for
	// and grants (Config.SessionExpires).
	DefaultSessionExpires = 30 * time.Minute
	// DefaultMinSE is the smallest interval it accepts: RFC 4028's floor.
	DefaultMinSE = 90 * time.Second
	// refreshTimeout bounds a refresh: a non-INVITE transaction's
	// Timer F (64 x T1).
	refreshTimeout = 32 * time.Second
	// glareRetry is how soon a refresh answered 491 (the party's own
	// re-INVITE crossed ours) is tried again.
	glareRetry = 2 * time.Second
)

// sessionTimer is one leg's session timer. Guarded by B2BUA.mu.
type sessionTimer struct {
	interval time.Duration
	// weRefresh: the B2BUA sends the refreshes; otherwise the party
	// does, and the session expires without them.
	weRefresh bool
	// require: the party knows session timers, so answers to it carry
	// Require: timer.
	require bool
	// update: the party allows UPDATE, the cheaper refresh.
	update bool
	// due is when the B2BUA refreshes (weRefresh) or when the session
	// expires without a refresh from the party.
	due time.Time
	// refreshing: a refresh of ours is out.
	refreshing bool
}

// schedule sets the next deadline from now: half the interval for a
// refresh of ours, the interval less a margin (RFC 4028 §10: a third,
// at most 32 s) for the party's.
func (st *sessionTimer) schedule(now time.Time) {
	if st.weRefresh {
		st.due = now.Add(st.interval / 2)
		return
	}
	st.due = now.Add(st.interval - min(refreshTimeout, st.interval/3))
}

// answerHeaders are the Session-Expires (and Require) of an answer to a
// request of the party: its refresher parameter names the refresher
// from that transaction's side ("uac", the party, or "uas", us).
func (st *sessionTimer) answerHeaders() []sip.Header {
	who := "uac"
	if st.weRefresh {
		who = "uas"
	}
	hs := []sip.Header{sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", seconds(st.interval), who))}
	if st.require {
		hs = append(hs, sip.NewHeader("Require", "timer"))
	}
	return hs
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// sessionExpires reads a Session-Expires header (or its compact form x):
// the interval and the refresher parameter ("uac", "uas" or "").
func sessionExpires(m sip.Message) (time.Duration, string, bool, error) {
	h := header(m, "Session-Expires", "x")
	if h == "" {
		return 0, "", false, nil
	}
	parts := strings.Split(h, ";")
	n, err := strconv.ParseUint(strings.TrimSpace(parts[0]), 10, 32)
	if err != nil || n == 0 {
		return 0, "", true, fmt.Errorf("b2bua: bad Session-Expires %q", h)
	}
	refresher := ""
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
			if refresher != "uac" && refresher != "uas" {
				return 0, "", true, fmt.Errorf("b2bua: bad refresher in Session-Expires %q", h)
			}
		}
	}
	return time.Duration(n) * time.Second, refresher, true, nil
}

// minSE reads a Min-SE header; 0 when absent or unreadable.
func minSE(m sip.Message) time.Duration {
	v := header(m, "Min-SE")
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0
	}
	return time.Duration(n) * time.Second
}

// header is the value of the first of names present in m, every header
// of that name joined with commas.
func header(m sip.Message, names ...string) string {
	for _, name := range names {
		if hs := m.GetHeaders(name); len(hs) > 0 {
			vs := make([]string, len(hs))
			for i, h := range hs {
				vs[i] = h.Value()
			}
			return strings.Join(vs, ",")
		}
	}
	return ""
}

// hasToken reports whether a comma-separated header (Supported, Require,
// Allow) lists token.
func hasToken(m sip.Message, token string, names ...string) bool {
	for _, t := range strings.Split(header(m, names...), ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// knowsTimer reports whether the party says it supports session timers.
func knowsTimer(m sip.Message) bool {
	return hasToken(m, "timer", "Supported", "k") || hasToken(m, "timer", "Require")
}

// tooSmall is the 422 answer to an INVITE asking for a session interval
// below the B2BUA's minimum.
func (b *B2BUA) tooSmall() *failure {
	f := fail(statusIntervalTooSmall, "Session Interval Too Small", ReasonNotAcceptable, nil)
	f.headers = []sip.Header{sip.NewHeader("Min-SE", strconv.FormatInt(seconds(b.cfg.MinSE), 10))}
	return f
}

// uasTimer decides the session timer of a dialog the party opened with
// req (RFC 4028 §9): the interval it asked for, if not below the minimum
// (else a 422), or the B2BUA's own when it asked for none but supports
// timers; the party refreshes when it supports timers and did not leave
// it to us. nil: no session timer.
func (b *B2BUA) uasTimer(req *sip.Request) (*sessionTimer, *failure) {
	if b.cfg.SessionExpires < 0 {
		return nil, nil
	}
	asked, refresher, ok, err := sessionExpires(req)
	if err != nil {
		return nil, fail(sip.StatusBadRequest, "Bad Request (Session-Expires)", ReasonNotAcceptable, err)
	}
	knows := knowsTimer(req)
	if ok && asked < b.cfg.MinSE {
		return nil, b.tooSmall()
	}
	if !ok && !knows {
		return nil, nil
	}
	st := &sessionTimer{interval: b.cfg.SessionExpires, require: knows, update: hasToken(req, "UPDATE", "Allow")}
	if ok {
		// Shorter than asked is allowed, never below the party's Min-SE.
		st.interval = max(min(asked, b.cfg.SessionExpires), minSE(req), b.cfg.MinSE)
	}
	switch {
	case !knows:
		st.weRefresh = true // a party without timers cannot refresh
	case refresher == "uas":
		st.weRefresh = true
	}
	return st, nil
}

// uacHeaders are the headers of an INVITE of ours that ask for a session
// timer of interval.
func (b *B2BUA) uacHeaders(interval time.Duration) []sip.Header {
	if b.cfg.SessionExpires < 0 {
		return nil
	}
	return []sip.Header{
		sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", strconv.FormatInt(seconds(interval), 10)),
		sip.NewHeader("Min-SE", strconv.FormatInt(seconds(b.cfg.MinSE), 10)),
	}
}

// uacTimer reads the session timer the party granted in its 2xx to an
// INVITE of ours (RFC 4028 §7.2): none when the answer has no
// Session-Expires.
func (b *B2BUA) uacTimer(res *sip.Response) *sessionTimer {
	if b.cfg.SessionExpires < 0 {
		return nil
	}
	d, refresher, ok, err := sessionExpires(res)
	if !ok || err != nil {
		return nil
	}
	return &sessionTimer{interval: max(d, b.cfg.MinSE/2), weRefresh: refresher != "uas",
		require: knowsTimer(res), update: hasToken(res, "UPDATE", "Allow")}
}

// retryInterval is the interval to ask for again after a 422 to an
// INVITE of ours: the party's Min-SE, when it is one we can live with.
func retryInterval(err error, asked time.Duration) (time.Duration, bool) {
	var dr *sipgo.ErrDialogResponse
	if !errors.As(err, &dr) || dr.Res.StatusCode != statusIntervalTooSmall {
		return 0, false
	}
	m := minSE(dr.Res)
	return m, m > asked && m <= 24*time.Hour
}

// partyRefreshed takes a re-INVITE or UPDATE from the party of l as a
// refresh (any request that does the job counts, RFC 4028 §10), with
// the parameters it brings, and returns the headers for its answer.
// B2BUA.mu is held.
func (b *B2BUA) partyRefreshed(l *leg, req *sip.Request) []sip.Header {
	st := l.timer
	d, refresher, ok, err := sessionExpires(req)
	switch {
	case err != nil:
	case st == nil && ok && b.cfg.SessionExpires >= 0:
		// The party starts a session timer in mid-call.
		st = &sessionTimer{interval: max(d, b.cfg.MinSE), require: knowsTimer(req)}
		l.timer = st
		fallthrough
	case st != nil && ok:
		st.interval = max(d, b.cfg.MinSE)
		st.weRefresh = refresher == "uas" || !knowsTimer(req)
	}
	if st == nil {
		return nil
	}
	st.update = st.update || hasToken(req, "UPDATE", "Allow")
	st.schedule(b.cfg.Now())
	return st.answerHeaders()
}

// dueTimers returns the legs whose refresh is due (to refresh) and those
// whose session has expired. B2BUA.mu is not held.
func (b *B2BUA) dueTimers(now time.Time) (refresh, expired []*leg) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.legs {
		st := l.timer
		if st == nil || l.gone || !l.up || st.refreshing || now.Before(st.due) {
			continue
		}
		if st.weRefresh {
			st.refreshing = true
			refresh = append(refresh, l)
		} else {
			expired = append(expired, l)
			l.timer = nil
		}
	}
	return refresh, expired
}

// refresh sends one refresh to the party of l and schedules the next;
// a refresh that fails as RFC 4028 §10 says ends the session.
func (b *B2BUA) refresh(l *leg) {
	b.mu.Lock()
	st := l.timer
	if st == nil || l.gone {
		b.mu.Unlock()
		return
	}
	useUpdate, interval := st.update, st.interval
	if l.peer != nil && !useUpdate {
		// A browser's media is renegotiated by the browser only; its
		// liveness shows in ICE and in the media watchdog.
		st.refreshing = false
		st.schedule(b.cfg.Now())
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	res, err := l.sendRefresh(ctx, useUpdate, interval)
	now := b.cfg.Now()
	b.mu.Lock()
	st = l.timer
	if st == nil {
		b.mu.Unlock()
		return
	}
	st.refreshing = false
	failed := err != nil || res.StatusCode == sip.StatusRequestTimeout || res.StatusCode == sip.StatusCallTransactionDoesNotExists
	switch {
	case failed:
		l.timer = nil
	case res.StatusCode == sip.StatusRequestPending:
		st.due = now.Add(glareRetry)
	case useUpdate && (res.StatusCode == sip.StatusNotImplemented || res.StatusCode == sip.StatusMethodNotAllowed):
		st.update, st.due = false, now // at once, by re-INVITE
	default:
		if res.IsSuccess() {
			if d, refresher, ok, err := sessionExpires(res); ok && err == nil {
				st.interval, st.weRefresh = max(d, b.cfg.MinSE/2), refresher != "uas"
			}
		}
		st.schedule(now)
	}
	b.mu.Unlock()
	if failed {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		b.log.Info("session refresh failed", "leg", l.id, "number", l.number, "status", status, "err", err)
		b.endLeg(l, ReasonSessionExpired)
	}
}

// sendRefresh sends the party of l an UPDATE or a re-INVITE carrying the
// session's interval, and acknowledges a re-INVITE's 2xx (taking its SDP
// answer).
func (l *leg) sendRefresh(ctx context.Context, update bool, interval time.Duration) (*sip.Response, error) {
	se := sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uac", seconds(interval)))
	supported := sip.NewHeader("Supported", "timer")
	if update {
		return l.request(ctx, sip.UPDATE, nil, se, supported)
	}
	l.b.mu.Lock()
	offer := sdp.Offer(l.local)
	l.b.mu.Unlock()
	preferCodec(offer, l.media.PayloadType())
	res, err := l.request(ctx, sip.INVITE, offer.Marshal(), se, supported, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil || !res.IsSuccess() {
		return res, err
	}
	if ans, perr := sdp.Parse(res.Body()); perr == nil {
		if n, perr := sdp.ReadAnswer(offer, ans); perr == nil {
			setRemote(l.media, n)
		}
	}
	ack := l.newRequest(sip.ACK)
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	if l.in != nil {
		err = l.in.WriteRequest(ack)
	} else {
		err = l.out.WriteRequest(ack)
	}
	return res, err
}

// endLeg ends every call of l for reason, as if its party had hung up,
// then sends it a BYE (it may still be there).
func (b *B2BUA) endLeg(l *leg, reason string) {
	b.mu.Lock()
	if l.gone {
		b.mu.Unlock()
		return
	}
	calls := append([]*call(nil), l.calls...)
	b.mu.Unlock()
	for _, c := range calls {
		c.end(l, reason)
	}
	l.hangup()
}
