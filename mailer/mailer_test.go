package mailer

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/smtptest"
)

func report() *Message {
	return &Message{
		From:    "reports@acme.example",
		To:      []string{"manager@acme.example", "ops@acme.example"},
		Subject: "Dispositions and outcomes — 3 Dec 2026",
		Text:    "412 calls dispositioned.\nSuccess 120.",
		Attachments: []Attachment{{Name: "dispositions-2026-12-03.csv", ContentType: "text/csv",
			Data: []byte("date,agent,calls\n2026-12-03,\"Ann, Lee\",12\n" + strings.Repeat("x", 300) + "\n")}},
	}
}

func TestSendPlain(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	s := &Sender{}
	set := &callfloor.SMTPSettings{Host: srv.Host, Port: srv.Port, Security: callfloor.SMTPNone, From: "reports@acme.example"}
	m := report()
	if err := s.Send(context.Background(), set, m); err != nil {
		t.Fatal(err)
	}
	env, err := srv.Wait(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if env.From != m.From || strings.Join(env.To, ",") != strings.Join(m.To, ",") {
		t.Fatalf("envelope from %q to %v, want %q to %v", env.From, env.To, m.From, m.To)
	}
	p, err := smtptest.Parse(env.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Header.Get("Subject"); got != "=?utf-8?q?Dispositions_and_outcomes_=E2=80=94_3_Dec_2026?=" {
		t.Errorf("subject header %q", got)
	}
	if !strings.Contains(p.Text, "412 calls dispositioned.\r\nSuccess 120.") {
		t.Errorf("text %q, want the summary with its line break", p.Text)
	}
	if got := string(p.Attachments["dispositions-2026-12-03.csv"]); got != string(m.Attachments[0].Data) {
		t.Errorf("attachment %q, want %q", got, m.Attachments[0].Data)
	}
}

func TestSendStartTLSWithLogin(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{STARTTLS: true, Username: "reports", Password: "s3cret"})
	s := &Sender{TLS: &tls.Config{RootCAs: srv.Roots}}
	set := &callfloor.SMTPSettings{Host: srv.Host, Port: srv.Port, Security: callfloor.SMTPStartTLS,
		Username: "reports", Password: "s3cret", From: "reports@acme.example"}
	if err := s.Send(context.Background(), set, report()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Wait(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	set.Password = "wrong"
	err := s.Send(context.Background(), set, report())
	if callfloor.ErrorCode(err) != callfloor.ErrMailFailed || !strings.Contains(callfloor.ErrorMessage(err), "535") {
		t.Fatalf("a wrong password: %v, want mail_failed with the server's 535", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestSendFailures(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{})
	refusing := smtptest.Start(t, smtptest.Options{RefuseRcpt: true})
	tlsOnly := smtptest.Start(t, smtptest.Options{STARTTLS: true})
	cases := []struct {
		name string
		set  callfloor.SMTPSettings
		want string
	}{
		{"no STARTTLS offered", callfloor.SMTPSettings{Host: plain.Host, Port: plain.Port, Security: callfloor.SMTPStartTLS},
			"does not offer STARTTLS"},
		{"recipient refused", callfloor.SMTPSettings{Host: refusing.Host, Port: refusing.Port, Security: callfloor.SMTPNone},
			"RCPT TO manager@acme.example: the mail server answered 550"},
		{"certificate not trusted", callfloor.SMTPSettings{Host: tlsOnly.Host, Port: tlsOnly.Port, Security: callfloor.SMTPStartTLS},
			"STARTTLS"},
		{"TLS spoken to a plain server", callfloor.SMTPSettings{Host: plain.Host, Port: plain.Port, Security: callfloor.SMTPTLS},
			"TLS with"},
		{"nothing listening", callfloor.SMTPSettings{Host: "127.0.0.1", Port: 1, Security: callfloor.SMTPNone}, "connect to 127.0.0.1:1"},
		{"no server set", callfloor.SMTPSettings{}, "no mail server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.set.From = "reports@acme.example"
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := (&Sender{}).Send(ctx, &tc.set, report())
			if callfloor.ErrorCode(err) != callfloor.ErrMailFailed || !strings.Contains(callfloor.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v, want mail_failed saying %q", err, tc.want)
			}
		})
	}
	if n := len(plain.Messages()) + len(refusing.Messages()) + len(tlsOnly.Messages()); n != 0 {
		t.Fatalf("%d messages were delivered by failed sends", n)
	}
}

func TestMessageRefusesLineBreaks(t *testing.T) {
	m := report()
	m.To = append(m.To, "x@y.example\r\nBcc: z@evil.example")
	if _, err := m.Bytes(time.Now()); err == nil {
		t.Fatal("an address with a line break was written into the headers")
	}
}
