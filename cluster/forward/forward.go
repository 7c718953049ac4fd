package forward

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/callfloor/callfloor"
)

// Config sets up both sides of forwarding. Every node of a cluster must
// use the same Prefix.
type Config struct {
	// Prefix of the subjects: an account's requests go to
	// <Prefix>.api.<account>. "callfloor" when empty.
	Prefix string
	// MaxBody is the largest request body forwarded; a larger one is
	// refused with payload_too_large (413) before anything is sent. 1 MiB
	// (the API's own limit) when 0.
	MaxBody int64
	// RetryFor is how long the client sends a request again while no node
	// serves the account or the node that answered no longer owns it,
	// before it answers not_owner (503). 12 s when 0: a failover takes up
	// to 10 s.
	RetryFor time.Duration
	// Timeout is how long the client waits for the owner's answer to a
	// request it received, and for each later part of it, before it
	// answers owner_timeout (504) without sending it again. The owner
	// waits as long for the client's acknowledgements and for the parts
	// of a pulled body. 30 s when 0.
	Timeout time.Duration
	// ChunkSize is the most body bytes in one message; it is lowered to
	// fit the connection's maximum payload. 256 KiB when 0.
	ChunkSize int
	// Window is how many body messages the owner sends before it waits
	// for the client's acknowledgement. 8 when 0.
	Window int
	// Clock drives the client's retries and timeouts;
	// callfloor.SystemClock when nil.
	Clock callfloor.TimerClock
	// Logger receives a line for each request that failed in transit;
	// discarded when nil.
	Logger *slog.Logger
}

const (
	defaultPrefix    = "callfloor"
	defaultMaxBody   = 1 << 20
	defaultRetryFor  = 12 * time.Second
	defaultTimeout   = 30 * time.Second
	defaultChunkSize = 256 << 10
	defaultWindow    = 8

	// firstBackoff and maxBackoff bound the wait between two tries.
	firstBackoff = 10 * time.Millisecond
	maxBackoff   = 250 * time.Millisecond

	// overhead is what a message's encoding may add to a chunk of body.
	overhead = 1 << 10
)

func (cfg Config) withDefaults() Config {
	if cfg.Prefix == "" {
		cfg.Prefix = defaultPrefix
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = defaultMaxBody
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = defaultRetryFor
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = defaultChunkSize
	}
	if cfg.Window <= 0 {
		cfg.Window = defaultWindow
	}
	if cfg.Clock == nil {
		cfg.Clock = callfloor.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// chunkSize is cfg.ChunkSize lowered to fit a payload of maxPayload.
func chunkSize(cfg Config, maxPayload int64) int {
	if limit := maxPayload - overhead; limit > 0 && int64(cfg.ChunkSize) > limit {
		return int(limit)
	}
	return cfg.ChunkSize
}

// Subject is the subject of an account's forwarded requests.
func Subject(prefix string, accountID int64) string {
	if prefix == "" {
		prefix = defaultPrefix
	}
	return prefix + ".api." + strconv.FormatInt(accountID, 10)
}

// queue is the queue group of every Server: while two nodes serve an
// account (one handing it over to the other), each request runs on one
// of them only.
const queue = "callfloor-api"

// HeaderNotOwner, set to "1" by a handler on its answer, tells the
// client that this node does not own the account and did not carry the
// request out, so another node should get it. The Server also sets it
// when the handler answers an error of code callfloor.ErrNotOwner, and
// when its Owns function says no. The client never passes it on.
const HeaderNotOwner = "Callfloor-Not-Owner"

type forwardedKey struct{}

// Forwarded reports whether ctx is a forwarded request's: the owner ran
// it for another node, and it must not be forwarded again.
func Forwarded(ctx context.Context) bool {
	v, _ := ctx.Value(forwardedKey{}).(bool)
	return v
}

// WithForwarded marks ctx as a forwarded request's.
func WithForwarded(ctx context.Context) context.Context {
	return context.WithValue(ctx, forwardedKey{}, true)
}

type accountKey struct{}

// Account is the account a forwarded request was sent for (the subject
// it came on), on the owner's side.
func Account(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(accountKey{}).(int64)
	return id, ok
}

// Router decides, for the API, whether a request for an account runs
// here or on the account's owner.
type Router struct {
	Client *Client
	// Local reports whether this node owns the account; when nil, every
	// account is local and nothing is forwarded.
	Local func(accountID int64) bool
}

// Route forwards r to the account's owner and answers it into w, and
// reports true, unless r is itself a forwarded request or this node owns
// the account: then it reports false and the caller runs r.
//
// When the owner's answer breaks off after its head was passed on (the
// owner or the connection to it failed in the middle of a long body),
// Route panics with http.ErrAbortHandler, as net/http expects of a
// handler that cannot finish, so the client sees a cut answer rather than
// a short one; the API's ServeHTTP passes that panic on. Answers that
// fit in one message (every floor command's) never break off.
func (rt *Router) Route(w http.ResponseWriter, r *http.Request, accountID int64) (handled bool) {
	if Forwarded(r.Context()) || rt.Local == nil || rt.Local(accountID) {
		return false
	}
	if err := rt.Client.Forward(r.Context(), accountID, w, r); err != nil {
		panic(http.ErrAbortHandler)
	}
	return true
}
