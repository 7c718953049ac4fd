package fanout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
)

// Config names the stream and its subjects; every node must use the same.
type Config struct {
	// Stream is the JetStream stream's name (letters, digits, - and _).
	Stream string
	// Prefix starts every subject: <prefix>.ev.<account> for journaled
	// events (in the stream), <prefix>.live.<account> for live ones.
	Prefix string
	// MaxAge is how long the stream keeps a batch: how far back a
	// receiver can Replay. Required.
	MaxAge time.Duration
	// MaxBytes bounds the stream; the oldest batches go first. 64 MiB
	// when 0.
	MaxBytes int64
	// Replicas of the stream; 1 when 0.
	Replicas int
	// Memory keeps the stream in memory rather than on disk: faster, and
	// a NATS restart loses only what the journal has anyway.
	Memory bool
	// Logger receives a line for what is dropped or could not be read;
	// discarded when nil.
	Logger *slog.Logger
}

const defaultMaxBytes = 64 << 20

func (c *Config) check() error {
	if c.Stream == "" || c.Prefix == "" || c.MaxAge <= 0 {
		return callfloor.Errorf(callfloor.ErrInvalidField, "fanout: a stream needs a name, a subject prefix and a MaxAge")
	}
	if strings.ContainsAny(c.Prefix, " *>\t\r\n") || strings.HasPrefix(c.Prefix, ".") || strings.HasSuffix(c.Prefix, ".") {
		return callfloor.Errorf(callfloor.ErrInvalidField, "fanout: subject prefix %q is not a subject", c.Prefix)
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = defaultMaxBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// EventSubject is the stream subject of an account's journaled events.
func (c *Config) EventSubject(accountID int64) string {
	return c.Prefix + ".ev." + strconv.FormatInt(accountID, 10)
}

// LiveSubject is the core NATS subject of an account's live events.
func (c *Config) LiveSubject(accountID int64) string {
	return c.Prefix + ".live." + strconv.FormatInt(accountID, 10)
}

// duplicates is the stream's de-duplication window: two minutes, or the
// MaxAge when shorter.
func (c *Config) duplicates() time.Duration { return min(2*time.Minute, c.MaxAge) }

func (c *Config) streamConfig() jetstream.StreamConfig {
	storage := jetstream.FileStorage
	if c.Memory {
		storage = jetstream.MemoryStorage
	}
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "callfloor's floor events, fanned out to every node",
		Subjects:    []string{c.Prefix + ".ev.>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      c.MaxAge,
		MaxBytes:    c.MaxBytes,
		Duplicates:  c.duplicates(),
		Replicas:    max(c.Replicas, 1),
		Storage:     storage,
	}
}

// openStream creates the stream, or opens it when it exists with the
// same subjects and limits: nodes that disagree on them would disagree on
// how far back a receiver can replay.
func openStream(ctx context.Context, js jetstream.JetStream, c *Config) (jetstream.Stream, error) {
	want := c.streamConfig()
	s, err := js.CreateStream(ctx, want)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		s, err = js.Stream(ctx, c.Stream)
		if err == nil {
			have := s.CachedInfo().Config
			if len(have.Subjects) != 1 || have.Subjects[0] != want.Subjects[0] || have.MaxAge != want.MaxAge ||
				have.MaxBytes != want.MaxBytes || have.Storage != want.Storage {
				err = fmt.Errorf("the stream exists with subjects %v, MaxAge %v, MaxBytes %d, storage %v, not %v, %v, %d, %v",
					have.Subjects, have.MaxAge, have.MaxBytes, have.Storage, want.Subjects, want.MaxAge, want.MaxBytes, want.Storage)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fanout: open stream %s: %w", c.Stream, err)
	}
	return s, nil
}

// msgID is the de-duplication id of a batch (or, with notice, of a
// notice) of an account's events first to last.
func msgID(accountID, first, last int64, notice bool) string {
	kind := "ev"
	if notice {
		kind = "gap"
	}
	return kind + "." + strconv.FormatInt(accountID, 10) + "." + strconv.FormatInt(first, 10) + "-" + strconv.FormatInt(last, 10)
}
