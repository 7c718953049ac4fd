package callfloor

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TrunkTransport is how SIP reaches a carrier.
type TrunkTransport string

// Trunk transports.
const (
	TransportUDP TrunkTransport = "udp"
	TransportTCP TrunkTransport = "tcp"
)

// TrunkTransports lists every valid transport.
var TrunkTransports = []TrunkTransport{TransportUDP, TransportTCP}

// Valid reports whether t is a known transport.
func (t TrunkTransport) Valid() bool { return t == TransportUDP || t == TransportTCP }

// TrunkAuth is how a carrier and callfloor recognise each other.
type TrunkAuth string

// Trunk authentication modes.
const (
	// TrunkRegistration: callfloor REGISTERs to the carrier with a
	// username and password (digest) and answers its challenges; the
	// carrier sends inbound calls to the registered contact.
	TrunkRegistration TrunkAuth = "registration"
	// TrunkIP: no registration; the carrier's inbound calls are
	// recognised by their source address (AllowedSources).
	TrunkIP TrunkAuth = "ip"
)

// TrunkAuths lists every valid authentication mode.
var TrunkAuths = []TrunkAuth{TrunkRegistration, TrunkIP}

// Valid reports whether a is a known mode.
func (a TrunkAuth) Valid() bool { return a == TrunkRegistration || a == TrunkIP }

// Limits and defaults of a trunk.
const (
	DefaultTrunkPort       = 5060
	DefaultTrunkExpiry     = 3600
	MinTrunkExpiry         = 60
	MaxTrunkExpiry         = 86400
	MaxTrunkSources        = 100
	MaxTrunkStripDigits    = 16
	maxTrunkPasswordLength = 128
	maxTrunkRealmLength    = 128
	maxTrunkHostLength     = 253
	maxTrunkPrefixLength   = 16
	maxTrunkUsernameLength = 64
)

const credentialsRequired = "a registration trunk needs a username and a password"

// TrunkState is where a trunk's registration stands.
type TrunkState string

// Registration states (see TrunkStatus).
const (
	TrunkRegistering TrunkState = "registering"
	TrunkRegistered  TrunkState = "registered"
	TrunkFailing     TrunkState = "failing"
)

// TrunkStates lists the registration states.
var TrunkStates = []TrunkState{TrunkRegistering, TrunkRegistered, TrunkFailing}

// TrunkStatus is where a registration trunk's REGISTER with its carrier
// stands, as the server last saw it: registering (the first attempt is
// under way), registered (until Expires, refreshed before) or failing
// (LastError says why, the next try is at NextAttempt; an earlier
// registration may hold until Expires). The times are absent when they
// have not happened.
type TrunkStatus struct {
	TrunkID      int64      `json:"trunk_id"`
	State        TrunkState `json:"state"`
	LastError    string     `json:"last_error,omitempty"`
	Failures     int        `json:"failures"`
	RegisteredAt time.Time  `json:"registered_at,omitzero"`
	Expires      time.Time  `json:"expires,omitzero"`
	NextAttempt  time.Time  `json:"next_attempt,omitzero"`
}

// Trunk is an outbound (and inbound) SIP trunk to a carrier.
//
// The password is kept readable, because answering the carrier's digest
// challenge needs it (the stores seal it at rest with the server's secret
// key); it is write-only: never in JSON (HasPassword says
// whether one is set) and never in logs (LogValue leaves it out).
type Trunk struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	// Host is the carrier's address: a DNS name, an IPv4 address or a
	// bracketed IPv6 address, optionally with ":port" (5060 when absent).
	Host      string         `json:"host"`
	Transport TrunkTransport `json:"transport"`
	Auth      TrunkAuth      `json:"auth"`
	// Username is the user of the address of record callfloor registers
	// (registration) and of its From header on outbound calls.
	Username string `json:"username"`
	// AuthUsername is the digest username when the carrier wants another
	// one than Username; empty means Username.
	AuthUsername string `json:"auth_username"`
	Password     string `json:"-"`
	// HasPassword tells whether a password is stored; set by the store.
	HasPassword bool `json:"has_password"`
	// Realm, when set, is the only digest realm callfloor answers with
	// the credentials; empty answers any realm the carrier challenges
	// with.
	Realm string `json:"realm"`
	// Domain is the domain of the address of record and of the REGISTER
	// Request-URI; empty means the host of Host.
	Domain string `json:"domain"`
	// ExpirySeconds is the registration lifetime asked for.
	ExpirySeconds int `json:"expiry_seconds"`
	// AllowedSources are where the carrier's calls come from (see
	// TrunkSource: an address, an address and port, or a network); only
	// for TrunkIP, which needs at least one.
	AllowedSources []string `json:"allowed_sources"`
	// DefaultCallerID is the outbound caller ID when the agent has no
	// caller-ID pool.
	DefaultCallerID string `json:"default_caller_id"`
	// StripDigits leading characters are removed from a dialled number,
	// then Prefix is put in front (see Dial).
	StripDigits int       `json:"strip_digits"`
	Prefix      string    `json:"prefix"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// NewTrunk returns a trunk with the defaults an administrator would
// expect: UDP, registration, an hour's expiry, enabled.
func NewTrunk(name, host string) *Trunk {
	return &Trunk{Name: name, Host: host, Transport: TransportUDP, Auth: TrunkRegistration,
		ExpirySeconds: DefaultTrunkExpiry, AllowedSources: []string{}, Enabled: true}
}

var (
	sipUserRe    = regexp.MustCompile(`^[A-Za-z0-9._~+=$!*'()-]+$`)
	dialPrefixRe = regexp.MustCompile(`^[0-9*#+]*$`)
	hostLabelRe  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	allDigitsRe  = regexp.MustCompile(`^[0-9]+$`)
)

// Validate checks the trunk's own fields and normalises them: names
// trimmed, host names lower-cased, sources in canonical form. It never
// puts the password in an error message.
func (t *Trunk) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := checkName("name", t.Name, 100); err != nil {
		return err
	}
	t.Host = strings.TrimSpace(t.Host)
	if t.Host == "" {
		return FieldError(ErrFieldRequired, "host", "host is required")
	}
	host, port, ok := parseHostPort(t.Host)
	if !ok {
		return FieldError(ErrInvalidField, "host", "host must be a DNS name or an IP address (IPv6 in brackets), optionally with :port")
	}
	t.Host = joinHostPort(host, port)
	if t.Transport == "" {
		t.Transport = TransportUDP
	}
	if !t.Transport.Valid() {
		return FieldError(ErrInvalidField, "transport", "transport must be udp or tcp")
	}
	if t.Auth == "" {
		return FieldError(ErrFieldRequired, "auth", "auth is required: registration or ip")
	}
	if !t.Auth.Valid() {
		return FieldError(ErrInvalidField, "auth", "auth must be registration or ip")
	}
	if err := t.validateCredentials(); err != nil {
		return err
	}
	if t.ExpirySeconds == 0 {
		t.ExpirySeconds = DefaultTrunkExpiry
	}
	if err := checkRange("expiry_seconds", t.ExpirySeconds, MinTrunkExpiry, MaxTrunkExpiry); err != nil {
		return err
	}
	if err := t.validateSources(); err != nil {
		return err
	}
	if t.DefaultCallerID != "" {
		if err := checkPhoneNumber("default_caller_id", t.DefaultCallerID); err != nil {
			return err
		}
	}
	if err := checkRange("strip_digits", t.StripDigits, 0, MaxTrunkStripDigits); err != nil {
		return err
	}
	if len(t.Prefix) > maxTrunkPrefixLength || !dialPrefixRe.MatchString(t.Prefix) {
		return FieldError(ErrInvalidField, "prefix", "prefix must be at most %d digits, *, # or +", maxTrunkPrefixLength)
	}
	return nil
}

func (t *Trunk) validateCredentials() error {
	for _, f := range []struct {
		field string
		v     *string
	}{{"username", &t.Username}, {"auth_username", &t.AuthUsername}} {
		*f.v = strings.TrimSpace(*f.v)
		if *f.v != "" && (len(*f.v) > maxTrunkUsernameLength || !sipUserRe.MatchString(*f.v)) {
			return FieldError(ErrInvalidField, f.field, "%s must be at most %d letters, digits or . _ ~ + = $ ! * ' ( ) -", f.field, maxTrunkUsernameLength)
		}
	}
	if t.Password != "" && (len(t.Password) > maxTrunkPasswordLength || !printable(t.Password)) {
		return FieldError(ErrInvalidField, "password", "the password must be at most %d characters, without control characters", maxTrunkPasswordLength)
	}
	if t.Auth == TrunkRegistration {
		if t.Username == "" {
			return FieldError(ErrFieldRequired, "username", credentialsRequired)
		}
		if t.Password == "" {
			return FieldError(ErrFieldRequired, "password", credentialsRequired)
		}
	}
	t.Realm = strings.TrimSpace(t.Realm)
	if err := checkOptionalText("realm", t.Realm, maxTrunkRealmLength); err != nil {
		return err
	}
	t.Domain = strings.ToLower(strings.TrimSpace(t.Domain))
	if t.Domain != "" && !validHostName(t.Domain) && !validIPHost(t.Domain) {
		return FieldError(ErrInvalidField, "domain", "domain must be a DNS name or an IP address, without a port")
	}
	return nil
}

func (t *Trunk) validateSources() error {
	if t.AllowedSources == nil {
		t.AllowedSources = []string{}
	}
	switch {
	case t.Auth == TrunkIP && len(t.AllowedSources) == 0:
		return FieldError(ErrFieldRequired, "allowed_sources", "an ip trunk needs at least one allowed source address")
	case t.Auth == TrunkRegistration && len(t.AllowedSources) > 0:
		return FieldError(ErrInvalidField, "allowed_sources", "allowed_sources are only for ip trunks; a registration trunk's calls come to its registration")
	case len(t.AllowedSources) > MaxTrunkSources:
		return FieldError(ErrInvalidField, "allowed_sources", "a trunk has at most %d allowed sources", MaxTrunkSources)
	}
	seen := map[string]bool{}
	for i, s := range t.AllowedSources {
		f := fmt.Sprintf("allowed_sources[%d]", i)
		p, ok := ParseTrunkSource(s)
		if !ok {
			return FieldError(ErrInvalidField, f, "%s", errSourceText)
		}
		c := p.String()
		if seen[c] {
			return FieldError(ErrInvalidField, f, "source %s appears twice", c)
		}
		seen[c] = true
		t.AllowedSources[i] = c
	}
	return nil
}

// Address returns the carrier's host (without brackets) and port; the
// trunk must be valid.
func (t *Trunk) Address() (host string, port int) {
	host, port, _ = parseHostPort(t.Host)
	if port == 0 {
		port = DefaultTrunkPort
	}
	return host, port
}

// RegistrationDomain is the domain of the address of record: Domain, or
// the host of Host.
func (t *Trunk) RegistrationDomain() string {
	if t.Domain != "" {
		return t.Domain
	}
	host, _ := t.Address()
	return host
}

// DigestUsername is the username of digest answers: AuthUsername, or
// Username.
func (t *Trunk) DigestUsername() string {
	if t.AuthUsername != "" {
		return t.AuthUsername
	}
	return t.Username
}

// Dial turns a number an agent dialled into the one sent to the carrier:
// StripDigits leading characters removed, then Prefix put in front.
func (t *Trunk) Dial(number string) string {
	if t.StripDigits >= len(number) {
		number = ""
	} else {
		number = number[t.StripDigits:]
	}
	return t.Prefix + number
}

// LogValue makes slog show the trunk without its password.
func (t *Trunk) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", t.ID), slog.Int64("account", t.AccountID),
		slog.String("name", t.Name), slog.String("host", t.Host), slog.String("auth", string(t.Auth)))
}

// parseHostPort splits "host", "host:port", "[v6]" or "[v6]:port".
// A bare IPv6 address (without brackets) is refused: its last group would
// read as a port. Port is 0 when absent.
func parseHostPort(s string) (host string, port int, ok bool) {
	if s == "" || len(s) > maxTrunkHostLength+8 {
		return "", 0, false
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, false
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", 0, false
		}
		switch rest := s[end+1:]; {
		case rest == "":
		case strings.HasPrefix(rest, ":"):
			if port, ok = parsePort(rest[1:]); !ok {
				return "", 0, false
			}
		default:
			return "", 0, false
		}
		return a.String(), port, true
	}
	host, p, hasPort := strings.Cut(s, ":")
	if hasPort {
		if port, ok = parsePort(p); !ok {
			return "", 0, false
		}
	}
	host = strings.ToLower(host)
	if !validIPHost(host) && !validHostName(host) {
		return "", 0, false
	}
	return host, port, true
}

func parsePort(s string) (int, bool) {
	if !allDigitsRe.MatchString(s) || len(s) > 5 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= 65535
}

// joinHostPort is the inverse of parseHostPort.
func joinHostPort(host string, port int) string {
	if port == 0 {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// validHostName: DNS labels of letters, digits and inner hyphens, not all
// numeric at the top (that would be a malformed IPv4 address).
func validHostName(s string) bool {
	if s == "" || len(s) > maxTrunkHostLength {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	for _, l := range labels {
		if len(l) > 63 || !hostLabelRe.MatchString(l) {
			return false
		}
	}
	return !allDigitsRe.MatchString(labels[len(labels)-1])
}

func validIPHost(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// PickCallerID returns the outbound caller ID of a call: a number of the
// agent's caller-ID pool (the first, or one drawn with rnd when the
// agent's randomise is on), or fallback (the trunk's DefaultCallerID)
// when there is no pool or it is empty. rnd(n) returns an int in [0, n);
// math/rand/v2's IntN is one; a nil rnd picks the first number.
func PickCallerID(pool *CallerIDPool, randomise bool, fallback string, rnd func(n int) int) string {
	if pool == nil || len(pool.Numbers) == 0 {
		return fallback
	}
	if !randomise || rnd == nil || len(pool.Numbers) == 1 {
		return pool.Numbers[0]
	}
	i := rnd(len(pool.Numbers))
	if i < 0 || i >= len(pool.Numbers) {
		i = 0
	}
	return pool.Numbers[i]
}

// TrunkService manages the trunks of the caller's account, and answers
// the SIP plane's questions across accounts.
type TrunkService interface {
	// CreateTrunk stores a trunk; its name is unique in the account.
	CreateTrunk(ctx context.Context, t *Trunk) error
	FindTrunkByID(ctx context.Context, id int64) (*Trunk, error)
	ListTrunks(ctx context.Context) ([]*Trunk, error)
	// UpdateTrunk loads, lets fn change and stores the trunk in one
	// transaction; fn sees the stored password, so leaving it alone
	// keeps it.
	UpdateTrunk(ctx context.Context, id int64, fn func(*Trunk) error) (*Trunk, error)
	// DeleteTrunk removes a trunk no inbound number arrives on
	// (ErrInUse otherwise).
	DeleteTrunk(ctx context.Context, id int64) error

	// ListEnabledTrunks returns the enabled trunks of every account,
	// with their passwords, for the SIP plane (the registration client).
	// It needs no actor; never serve its answer through the API.
	ListEnabledTrunks(ctx context.Context) ([]*Trunk, error)
	// FindTrunksBySource returns the enabled ip trunks, of any account,
	// that admit src (its address, and its port where a source names
	// one). Several accounts may share one carrier, so the inbound number
	// decides the account and this list confirms the source; an empty
	// list means no ip trunk admits it.
	FindTrunksBySource(ctx context.Context, src netip.AddrPort) ([]*Trunk, error)
}
