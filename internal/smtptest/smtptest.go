// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// on a loopback port for tests: it keeps every message it accepts, can
// offer STARTTLS with a certificate of its own and can ask for a login.
// Mail parses a kept message into its text and attachments.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape the server.
type Options struct {
	// STARTTLS offers STARTTLS with a certificate for 127.0.0.1 and
	// "localhost", signed by Server.Roots.
	STARTTLS bool
	// Username and Password, when set, are the one login the server
	// takes; mail is refused before it.
	Username, Password string
	// RefuseRcpt refuses every recipient with 550.
	RefuseRcpt bool
}

// Envelope is one accepted message.
type Envelope struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int
	// Roots trusts the server's certificate (STARTTLS).
	Roots *x509.CertPool

	opts    Options
	srv     *smtp.Server
	mu      sync.Mutex
	msgs    []Envelope
	arrived chan struct{}
}

// Start runs a server until t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Listen runs a server on a free loopback port; Close stops it.
func Listen(opts Options) (*Server, error) {
	s := &Server{opts: opts, arrived: make(chan struct{}, 1)}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = false
	if opts.STARTTLS {
		cfg, roots, err := selfSigned()
		if err != nil {
			return nil, err
		}
		srv.TLSConfig, s.Roots = cfg, roots
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port, s.srv = "127.0.0.1", addr.Port, srv
	go srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.msgs...)
}

// Wait returns the n-th message (from 1) once it has arrived, or an
// error after timeout.
func (s *Server) Wait(n int, timeout time.Duration) (Envelope, error) {
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m[n-1], nil
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return Envelope{}, errors.New("smtptest: no message arrived in time")
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	env    Envelope
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.env = Envelope{From: from}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.opts.RefuseRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	}
	ss.env.To = append(ss.env.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.env.Data = data
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.env)
	ss.s.mu.Unlock()
	select {
	case ss.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset()        { ss.env = Envelope{} }
func (ss *session) Logout() error { return nil }

// selfSigned makes a CA-less certificate for the loopback names and a
// pool that trusts it.
func selfSigned() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, roots, nil
}

// Parsed is a message read back: its headers, text and attachments.
type Parsed struct {
	Header      mail.Header
	Text        string
	Attachments map[string][]byte
}

// Parse reads a message written as multipart/mixed.
func Parse(data []byte) (*Parsed, error) {
	return parse(bytes.NewReader(data))
}
