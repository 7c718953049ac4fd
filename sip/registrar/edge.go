package registrar

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// The SIP edge answers what the SIP stack would drop in silence or
// answer wrongly (RFC 3261 and the torture tests of RFC 4475):
//
//   - screen sees every UDP datagram before the stack does. A request the
//     stack cannot parse (bad request line, unbalanced quotes, a negative
//     or too large Content-Length, a header line without a colon...) is
//     answered here: 400, 505 for another SIP version, 416 for a
//     Request-URI of an unknown scheme. Its Via, From, To, Call-ID and
//     CSeq lines are copied into the answer as they came, which goes back
//     to the datagram's source. A response that does not parse is dropped.
//     This parses each datagram once more than the stack does (about 2 µs
//     and 25 allocations for an INVITE).
//   - vet checks each parsed request before its handler: the SIP version,
//     the mandatory headers, single values where RFC 3261 allows one, the
//     CSeq method, the Request-URI's scheme, display names and Require.

// statusUnsupportedScheme is 416 Unsupported URI Scheme.
const statusUnsupportedScheme = 416

// edge holds the UDP sockets the registrar serves, to answer from.
type edge struct {
	parser *sip.Parser
	mu     sync.Mutex
	conns  map[string]net.PacketConn // by local address
}

func newEdge() *edge { return &edge{parser: sip.NewParser(), conns: map[string]net.PacketConn{}} }

func (e *edge) add(conn net.PacketConn) func() {
	key := conn.LocalAddr().String()
	e.mu.Lock()
	e.conns[key] = conn
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.conns, key)
		e.mu.Unlock()
	}
}

// screen is the transport layer's read filter: it passes what parses,
// answers an unparseable UDP request, and drops it.
func (r *Registrar) screen(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if !strings.EqualFold(p.Transport, "udp") {
		return data, nil // streams arrive in chunks, not messages
	}
	msg, err := r.edge.parser.ParseSIP(data)
	problem := ""
	if err == nil {
		if problem = rawProblem(data); problem == "" {
			if req, ok := msg.(*sip.Request); ok && needsBranch(req) {
				return withBranch(data, req), nil
			}
			return data, nil
		}
	}
	src, ok := addrPort(p.RemoteAddr)
	if !ok || isResponse(data) {
		return nil, nil
	}
	if !r.exempt(src) && r.guard.admit(src.Addr(), r.clock.Now()) != allow {
		return nil, nil
	}
	r.edge.mu.Lock()
	conn := r.edge.conns[p.LocalAddr.String()]
	r.edge.mu.Unlock()
	if conn == nil {
		return nil, nil
	}
	code, reason := sip.StatusBadRequest, "Bad Request ("+problem+")"
	if err != nil {
		code, reason = malformedAnswer(data, err)
	}
	r.log.Info("sip request refused at the edge", "src", src, "status", code, "reason", reason)
	if _, werr := conn.WriteTo(rawAnswer(data, code, reason), net.UDPAddrFromAddrPort(src)); werr != nil {
		r.log.Debug("sip answer to a malformed request failed", "src", src, "err", werr)
	}
	return nil, nil
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	u, ok := a.(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := u.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

func isResponse(data []byte) bool { return bytes.HasPrefix(data, []byte("SIP/")) }

// malformedAnswer is the status for a request the parser refused.
func malformedAnswer(data []byte, _ error) (int, string) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	parts := strings.Split(strings.TrimRight(string(line), "\r"), " ")
	if len(parts) == 3 && parts[2] != "SIP/2.0" && strings.HasPrefix(parts[2], "SIP/") {
		return sip.StatusVersionNotSupported, "Version Not Supported"
	}
	if len(parts) == 3 && !knownScheme(parts[1]) && looksLikeURI(parts[1]) {
		return statusUnsupportedScheme, "Unsupported URI Scheme"
	}
	// The parser's error quotes the offending header, whatever it holds
	// (a password digest, say): neither the answer nor the log repeats it.
	why := "malformed message"
	if len(parts) != 3 || parts[1] == "" || strings.ContainsAny(parts[1], "<>") || !strings.HasPrefix(parts[2], "SIP/") {
		why = "malformed Request-Line"
	}
	return sip.StatusBadRequest, "Bad Request (" + why + ")"
}

// looksLikeURI reports whether s is scheme:rest with a well-formed
// scheme (RFC 3986), so an unknown scheme rather than garbage.
func looksLikeURI(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || rest == "" || !isAlpha(scheme[0]) {
		return false
	}
	for i := 1; i < len(scheme); i++ {
		c := scheme[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// knownScheme reports whether a Request-URI's scheme is one callfloor
// serves.
func knownScheme(uri string) bool {
	scheme, _, _ := strings.Cut(uri, ":")
	switch strings.ToLower(scheme) {
	case "sip", "sips", "tel":
		return true
	}
	return false
}

// rawAnswer builds the answer to an unparseable request from its raw
// text: the status line, then its Via, From, To (tagged), Call-ID and
// CSeq lines as they came (each header's first line only).
func rawAnswer(data []byte, code int, reason string) []byte {
	var b bytes.Buffer
	b.WriteString("SIP/2.0 ")
	b.WriteString(strconv.Itoa(code))
	b.WriteString(" ")
	b.WriteString(reason)
	b.WriteString("\r\n")
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := bytes.Split(head, []byte("\n"))
	seen := map[string]bool{}
	for _, raw := range lines[1:] {
		line := bytes.TrimRight(raw, "\r")
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(line) > 1024 || (len(line) > 0 && (line[0] == ' ' || line[0] == '\t')) {
			continue
		}
		canon := canonical(string(bytes.TrimSpace(name)))
		if canon == "" || (canon != "Via" && seen[canon]) {
			continue
		}
		seen[canon] = true
		v := bytes.TrimSpace(value)
		if !printable(v) || !parses(canon, v) {
			continue
		}
		b.WriteString(canon)
		b.WriteString(": ")
		b.Write(v)
		if canon == "To" && !bytes.Contains(bytes.ToLower(v), []byte("tag=")) {
			b.WriteString(";tag=")
			b.WriteString(sip.GenerateTagN(10))
		}
		b.WriteString("\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// canonical names the headers an answer copies (in full or compact
// form), "" for the others.
func canonical(name string) string {
	switch strings.ToLower(name) {
	case "via", "v":
		return "Via"
	case "from", "f":
		return "From"
	case "to", "t":
		return "To"
	case "call-id", "i":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	}
	return ""
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// rawProblem finds what the parser lets through in a request's raw text
// but RFC 3261's grammar forbids, "" when nothing: in From, To and
// Contact, a display name that is neither quoted nor made of tokens
// ("Bell, Alexander <sip:...>"), or a URI with headers (?...) outside
// angle brackets.
func rawProblem(data []byte) string {
	if isResponse(data) {
		return ""
	}
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for _, h := range unfold(head) {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "from", "f", "to", "t", "contact", "m":
		default:
			continue
		}
		value = strings.TrimSpace(value)
		if dn, _, bracketed := strings.Cut(value, "<"); bracketed {
			dn = strings.TrimSpace(dn)
			if dn != "" && dn[0] != '"' && !tokens(dn) {
				return "display name must be quoted: " + strings.TrimSpace(name)
			}
		} else if strings.Contains(value, "?") {
			return "a URI with headers must be in angle brackets: " + strings.TrimSpace(name)
		}
	}
	return ""
}

// unfold returns the header lines of a message head (without its start
// line), continuation lines joined to theirs.
func unfold(head []byte) []string {
	var out []string
	for i, raw := range strings.Split(string(head), "\n") {
		line := strings.TrimRight(raw, "\r")
		switch {
		case i == 0:
		case len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && len(out) > 0:
			out[len(out)-1] += " " + strings.TrimSpace(line)
		default:
			out = append(out, line)
		}
	}
	return out
}

// tokens reports whether s is tokens separated by white space (RFC 3261
// 25.1), as an unquoted display name must be.
func tokens(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-.!%*_+`'~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// supportedExtensions are the option tags callfloor understands in a
// Require header.
var supportedExtensions = map[string]bool{"timer": true}

// vet finds why a parsed request must be refused before any handler sees
// it: the status, a reason phrase and the headers of the answer; 0 when
// it may go on.
func vet(req *sip.Request) (int, string, []sip.Header) {
	if req.SipVersion != "SIP/2.0" {
		return sip.StatusVersionNotSupported, "Version Not Supported", nil
	}
	for _, name := range []string{"Via", "From", "To", "Call-ID", "CSeq"} {
		if req.GetHeader(name) == nil {
			return sip.StatusBadRequest, "Bad Request (no " + name + ")", nil
		}
	}
	for _, name := range []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"} {
		if len(req.GetHeaders(name)) > 1 {
			return sip.StatusBadRequest, "Bad Request (more than one " + name + ")", nil
		}
	}
	if !strings.EqualFold(req.CSeq().MethodName.String(), req.Method.String()) {
		return sip.StatusBadRequest, "Bad Request (CSeq method does not match)", nil
	}
	if !knownScheme(req.Recipient.Scheme + ":") {
		return statusUnsupportedScheme, "Unsupported URI Scheme", nil
	}
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 {
		return sip.StatusBadRequest, "Bad Request (headers in the Request-URI)", nil
	}
	if req.Method == sip.ACK || req.Method == sip.CANCEL {
		return 0, "", nil // Require does not apply to them (RFC 3261 8.2.2.3)
	}
	var unknown []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			if tag = strings.TrimSpace(tag); tag != "" && !supportedExtensions[strings.ToLower(tag)] {
				unknown = append(unknown, tag)
			}
		}
	}
	if len(unknown) > 0 {
		return sip.StatusBadExtension, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(unknown, ", "))}
	}
	return 0, "", nil
}

// parses reports whether a header the answer would copy is one a SIP
// parser reads: an answer carrying the request's own broken CSeq or To
// would be as unreadable as the request.
func parses(name string, value []byte) bool {
	msg := "SIP/2.0 400 Bad Request\r\n" + name + ": " + string(value) + "\r\nContent-Length: 0\r\n\r\n"
	_, err := sip.NewParser().ParseSIP([]byte(msg))
	return err == nil
}

// needsBranch reports whether a request is one of RFC 2543's that the
// transaction layer cannot key: no RFC 3261 branch on its top Via and no
// tag on From (RFC 3261 17.2.3 keys such requests by that tag).
func needsBranch(req *sip.Request) bool {
	via, from := req.Via(), req.From()
	if via == nil || from == nil || req.CallID() == nil || req.CSeq() == nil {
		return false // vet answers these 400
	}
	if _, ok := via.Params.Get("branch"); ok {
		return false
	}
	_, tagged := from.Params.Get("tag")
	return !tagged
}

// withBranch adds an RFC 3261 branch to the top Via of an RFC 2543
// request, made from what identifies its transaction (Call-ID, CSeq
// number, From and the Via's sent-by), so its retransmissions and its
// ACK get the same one. The answers echo it, which an RFC 2543 element
// ignores.
func withBranch(data []byte, req *sip.Request) []byte {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d|%s|%s:%d", req.CallID().Value(), req.CSeq().SeqNo, req.From().Value(), req.Via().Host, req.Via().Port)
	branch := ";branch=" + sip.RFC3261BranchMagicCookie + "-2543-" + strconv.FormatUint(h.Sum64(), 36)
	at := topViaEnd(data)
	if at < 0 {
		return data
	}
	rest := at
	for rest < len(data) && (data[rest] == ' ' || data[rest] == '\t') {
		rest++ // "host ,": the blanks would end up in the branch
	}
	out := make([]byte, 0, len(data)+len(branch))
	out = append(out, data[:at]...)
	out = append(out, branch...)
	return append(out, data[rest:]...)
}

// topViaEnd is the offset just after the first value of the first Via
// header (before a comma, or at the end of its last folded line), -1
// when there is none.
func topViaEnd(data []byte) int {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	start := bytes.Index(head, []byte("\n"))
	for start >= 0 && start < len(head) {
		lineStart := start + 1
		end := bytes.IndexByte(head[lineStart:], '\n')
		if end < 0 {
			end = len(head) - lineStart
		}
		line := head[lineStart : lineStart+end]
		name, _, ok := bytes.Cut(line, []byte(":"))
		if ok {
			if n := strings.ToLower(strings.TrimSpace(string(name))); n == "via" || n == "v" {
				return viaValueEnd(head, lineStart)
			}
		}
		start = lineStart + end
	}
	return -1
}

// viaValueEnd scans a Via header from its line's start to the end of
// its first value.
func viaValueEnd(head []byte, from int) int {
	i := from
	for i < len(head) {
		switch head[i] {
		case ',':
			return trimBack(head, i)
		case '\r', '\n':
			j := i
			for j < len(head) && (head[j] == '\r' || head[j] == '\n') {
				j++
			}
			if j >= len(head) || (head[j] != ' ' && head[j] != '\t') {
				return trimBack(head, i)
			}
			i = j
			continue
		}
		i++
	}
	return trimBack(head, len(head))
}

func trimBack(b []byte, i int) int {
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	return i
}
