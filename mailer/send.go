package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/callfloor/callfloor"
)

// Timeout bounds one delivery, connection to QUIT, when the context has
// no earlier deadline.
const Timeout = 60 * time.Second

// Sender delivers messages through an account's mail server.
type Sender struct {
	// TLS is the base TLS configuration (its ServerName is set per
	// server); nil trusts the system's roots. Tests give their own CA.
	TLS *tls.Config
	// Clock dates the messages; callfloor.SystemClock when nil.
	Clock callfloor.Clock
}

// Send delivers m through the server in set. A refusal or a failure is a
// callfloor error with code ErrMailFailed and a message that says which
// step failed and what the server answered (never the password).
func (s *Sender) Send(ctx context.Context, set *callfloor.SMTPSettings, m *Message) error {
	if !set.Configured() {
		return callfloor.Errorf(callfloor.ErrMailFailed, "the account has no mail server set")
	}
	clock := s.Clock
	if clock == nil {
		clock = callfloor.SystemClock{}
	}
	body, err := m.Bytes(clock.Now())
	if err != nil {
		return callfloor.Errorf(callfloor.ErrMailFailed, "the message cannot be written: %v", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, Timeout)
		defer cancel()
	}
	addr := net.JoinHostPort(set.Host, strconv.Itoa(set.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return failed("connect to "+addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if set.Security == callfloor.SMTPTLS {
		tc := tls.Client(conn, s.tlsConfig(set.Host))
		if err := tc.HandshakeContext(ctx); err != nil {
			return failed("TLS with "+addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, set.Host)
	if err != nil {
		return failed("greeting from "+addr, err)
	}
	defer c.Close()
	if err := c.Hello(helloName(m.From)); err != nil {
		return failed("EHLO", err)
	}
	if set.Security == callfloor.SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return callfloor.Errorf(callfloor.ErrMailFailed, "the mail server %s does not offer STARTTLS; choose tls or none", addr)
		}
		if err := c.StartTLS(s.tlsConfig(set.Host)); err != nil {
			return failed("STARTTLS", err)
		}
	}
	if set.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return callfloor.Errorf(callfloor.ErrMailFailed, "the mail server %s does not take a login (no AUTH); remove the username", addr)
		}
		if err := c.Auth(smtp.PlainAuth("", set.Username, set.Password, set.Host)); err != nil {
			return failed("login as "+set.Username, err)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return failed("MAIL FROM "+m.From, err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return failed("RCPT TO "+to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return failed("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return failed("sending the message", err)
	}
	if err := w.Close(); err != nil {
		return failed("end of message", err)
	}
	_ = c.Quit()
	return nil
}

func (s *Sender) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		cfg = s.TLS.Clone()
	}
	cfg.ServerName = host
	return cfg
}

// helloName is the name the client gives in EHLO: the sender's domain.
func helloName(from string) string {
	for i := len(from) - 1; i >= 0; i-- {
		if from[i] == '@' {
			return from[i+1:]
		}
	}
	return "localhost"
}

// failed turns a delivery error into the user's message: the step, and
// the server's reply when it sent one.
func failed(step string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return callfloor.Errorf(callfloor.ErrMailFailed, "%s: the mail server answered %d %s", step, tp.Code, tp.Msg)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return callfloor.Errorf(callfloor.ErrMailFailed, "%s: no answer in time", step)
	}
	return callfloor.Errorf(callfloor.ErrMailFailed, "%s: %v", step, err)
}
