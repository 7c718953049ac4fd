package baresiptest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Command sends one of baresip's long commands (as its help lists them,
// without the slash) and returns the text of its response. Most commands
// about a call act on the current call; baresip only offers them while
// there is one.
func (p *Phone) Command(ctx context.Context, cmd, params string) (string, error) {
	p.log.Debug("baresip command", "cmd", cmd, "params", params)
	return p.ctl.command(ctx, cmd, params)
}

// Dial calls uri (e.g. sip:202@127.0.0.1:5060), or a number (202) at the
// account's domain, the registrar. The call's progress comes as events:
// CallRinging, CallEstablished or CallClosed.
func (p *Phone) Dial(ctx context.Context, uri string) error {
	_, err := p.Command(ctx, "dial", uri)
	return err
}

// Accept answers the incoming call that rings (answermode manual).
func (p *Phone) Accept(ctx context.Context) error {
	_, err := p.Command(ctx, "accept", "")
	return err
}

// Hangup ends the current call.
func (p *Phone) Hangup(ctx context.Context) error {
	_, err := p.Command(ctx, "hangup", "")
	return err
}

// Hold puts the current call on hold: a re-INVITE with a=sendonly.
func (p *Phone) Hold(ctx context.Context) error {
	_, err := p.Command(ctx, "hold", "")
	return err
}

// Resume takes the current call off hold: a re-INVITE with a=sendrecv.
func (p *Phone) Resume(ctx context.Context) error {
	_, err := p.Command(ctx, "resume", "")
	return err
}

// SendDTMF sends digits (0-9, *, #, A-D) in the current call as RFC 4733
// telephone-events, one after the other (about 240 ms each).
func (p *Phone) SendDTMF(ctx context.Context, digits string) error {
	if digits == "" || strings.Trim(digits, "0123456789*#ABCD") != "" {
		return fmt.Errorf("baresiptest: bad DTMF digits %q", digits)
	}
	_, err := p.Command(ctx, "sndcode", digits)
	return err
}

// Transfer transfers the current call to uri blind: a REFER to the other
// party, who calls uri. (baresip 1.0 has no attended transfer.)
func (p *Phone) Transfer(ctx context.Context, uri string) error {
	_, err := p.Command(ctx, "transfer", uri)
	return err
}

// Registered asks baresip whether its account is registered.
func (p *Phone) Registered(ctx context.Context) (bool, error) {
	state, err := p.regState(ctx)
	return state == "OK", err
}

// ansi matches the colour codes baresip puts in its output.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// regState is the state reginfo shows for the account: OK, ERR, or
// empty while registering (or when it does not register). reginfo lists
// each account as "> sip:user@domain  OK  Expires 300s".
func (p *Phone) regState(ctx context.Context) (string, error) {
	out, err := p.Command(ctx, "reginfo", "")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == ">" {
			return f[2], nil
		}
	}
	return "", nil
}

// WaitDigits waits for n DTMF digits received (DTMFStart events) and
// returns them.
func (p *Phone) WaitDigits(ctx context.Context, n int) (string, error) {
	var b strings.Builder
	for b.Len() < n {
		e, err := p.WaitFor(ctx, DTMFStart)
		if err != nil {
			return b.String(), fmt.Errorf("baresiptest: %d of %d digits (%q): %w", b.Len(), n, b.String(), err)
		}
		b.WriteString(e.Param)
	}
	return b.String(), nil
}

// audioDir matches the direction in audio_debug's output.
var audioDir = regexp.MustCompile(`audio dir=(\w+)`)

// Direction returns the direction of the current call's audio as baresip
// negotiated it: sendrecv, sendonly (it holds), recvonly (it is held) or
// inactive.
func (p *Phone) Direction(ctx context.Context) (string, error) {
	out, err := p.Command(ctx, "audio_debug", "")
	if err != nil {
		return "", err
	}
	m := audioDir.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("baresiptest: %s: no audio direction in %q", p.opts.User, out)
	}
	return m[1], nil
}
