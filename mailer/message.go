// Package mailer writes and sends the automated reports' e-mails: a
// MIME message with a short text and CSV attachments, delivered by SMTP
// to the account's mail server with STARTTLS, TLS or (without
// credentials) in clear.
package mailer

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// Message is one e-mail. From and To are bare addresses, already
// checked (callfloor's validation refuses line breaks and names).
type Message struct {
	From        string
	To          []string
	Subject     string
	Text        string
	Attachments []Attachment
}

// Attachment is a file sent with the message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Bytes returns the message as RFC 5322 text with CRLF line ends: a
// multipart/mixed body of the text (quoted-printable, UTF-8) and each
// attachment (base64).
func (m *Message) Bytes(now time.Time) ([]byte, error) {
	for _, a := range append([]string{m.From}, m.To...) {
		if strings.ContainsAny(a, "\r\n") {
			return nil, fmt.Errorf("mailer: address %q holds a line break", a)
		}
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", m.From)
	header("To", strings.Join(m.To, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(m.From))
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/mixed; boundary="`+w.Boundary()+`"`)
	b.WriteString("\r\n")

	part, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(part)
	if _, err := qp.Write([]byte(crlf(m.Text))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		part, err := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(a.ContentType, map[string]string{"name": a.Name})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		writeBase64(part, a.Data)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeBase64 writes data in lines of 76 characters, as MIME asks.
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		w.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	w.Write([]byte(enc + "\r\n"))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// messageID is a unique id at the sender's domain.
func messageID(from string) string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	domain := "callfloor.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">"
}
