package carrier

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/callfloor/callfloor"
)

// Config configures a Carrier. Every field is optional.
type Config struct {
	// Listen is the host:port of the carrier's SIP UDP socket
	// (127.0.0.1:0).
	Listen string
	// PBX is callfloor's SIP host:port, where inbound calls go (unless
	// callfloor has registered with the carrier: see Carrier).
	PBX string
	// MediaIP is the address the calls' RTP sockets bind and advertise
	// (127.0.0.1).
	MediaIP netip.Addr
	// Outbound says how the carrier answers the calls callfloor places.
	Outbound Outbound
	// Inbound says which calls the carrier places into callfloor.
	Inbound Inbound
	Logger  *slog.Logger
	// Rand draws every random choice: ring and talk times, the gaps
	// between inbound calls, callers, the words spoken (a generator
	// seeded from the time when nil). It is used under a lock.
	Rand *rand.Rand
	// Clock times everything the carrier decides: rings, talk, machine
	// greetings, hang-ups and inbound arrivals (the system clock). The
	// 20 ms pace of RTP is real time whatever the clock.
	Clock callfloor.TimerClock
}

// Range is a span of durations; a value is drawn uniformly between Min
// and Max.
type Range struct{ Min, Max time.Duration }

// pick draws a duration of r.
func (r Range) pick(rnd func() float64) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(rnd()*float64(r.Max-r.Min))
}

// Outbound says how the carrier's subscribers answer callfloor's calls
// (which outcome is OutcomeFor's).
type Outbound struct {
	// Ring is how long Answered and Machine calls ring before the answer
	// (1-4 s).
	Ring Range
	// Talk is how long a person talks before hanging up (15-60 s).
	Talk Range
	// NoAnswer is how long NoAnswer calls ring before 480 (60 s).
	NoAnswer time.Duration
	// Greeting is the length of the answering machine's greeting (4 s);
	// the beep follows.
	Greeting time.Duration
	// Machine is how long the answering machine stays on the line after
	// answering (20 s).
	Machine time.Duration
}

// Inbound says which calls the carrier places into callfloor.
type Inbound struct {
	// DIDs are the inbound numbers called, one at random for each call;
	// none means no inbound calls.
	DIDs []string
	// PerMinute is the mean rate of calls (arrivals are a Poisson
	// process); 0 means none.
	PerMinute float64
	// Duration is how long a caller stays once answered (30 s-2 min).
	Duration Range
	// Patience is how long a caller lets the call ring before hanging
	// up (2 min).
	Patience time.Duration
	// Callers are the numbers calls come from, one at random for each
	// call (any of +44 1632 960000-960999, Ofcom's range for drama).
	Callers []string
	// MaxCalls is the most inbound calls at once (20); arrivals beyond
	// it are skipped.
	MaxCalls int
}

// Defaults.
var (
	DefaultRing     = Range{1 * time.Second, 4 * time.Second}
	DefaultTalk     = Range{15 * time.Second, 60 * time.Second}
	DefaultDuration = Range{30 * time.Second, 2 * time.Minute}
)

const (
	DefaultNoAnswer = time.Minute
	DefaultGreeting = 4 * time.Second
	DefaultMachine  = 20 * time.Second
	DefaultPatience = 2 * time.Minute
	DefaultMaxCalls = 20
)

func (c *Config) setDefaults() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if !c.MediaIP.IsValid() {
		c.MediaIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), rand.Uint64()))
	}
	if c.Clock == nil {
		c.Clock = callfloor.SystemClock{}
	}
	o := &c.Outbound
	if o.Ring == (Range{}) {
		o.Ring = DefaultRing
	}
	if o.Talk == (Range{}) {
		o.Talk = DefaultTalk
	}
	o.NoAnswer = orDefault(o.NoAnswer, DefaultNoAnswer)
	o.Greeting = orDefault(o.Greeting, DefaultGreeting)
	o.Machine = orDefault(o.Machine, DefaultMachine)
	in := &c.Inbound
	if in.Duration == (Range{}) {
		in.Duration = DefaultDuration
	}
	in.Patience = orDefault(in.Patience, DefaultPatience)
	if in.MaxCalls <= 0 {
		in.MaxCalls = DefaultMaxCalls
	}
	if in.PerMinute < 0 {
		return errors.New("carrier: Inbound.PerMinute is negative")
	}
	if c.PBX != "" {
		if _, _, err := net.SplitHostPort(c.PBX); err != nil {
			return fmt.Errorf("carrier: Config.PBX: %w", err)
		}
	}
	return nil
}

// orDefault is d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
