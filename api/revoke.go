package api

import (
	"errors"
	"sync"
)

// Close codes of the realtime stream when the server ends a session on
// purpose. A client shows the reason and does not reconnect: its
// credentials no longer work, or no longer mean what they did.
const (
	// CloseSessionEnded: the session was logged out, or its password
	// changed or was reset.
	CloseSessionEnded = 4001
	// CloseAccessChanged: the user was disabled or deleted, or given
	// another role.
	CloseAccessChanged = 4003
)

// kick is why a stream is being closed.
type kick struct {
	code   int
	reason string
}

func (k kick) Error() string { return k.reason }

// streams are the open realtime streams, so that a revocation closes
// those it concerns at once.
type streams struct {
	mu    sync.Mutex
	conns map[*streamConn]struct{}
}

func (r *streams) add(st *streamConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		r.conns = map[*streamConn]struct{}{}
	}
	r.conns[st] = struct{}{}
}

func (r *streams) remove(st *streamConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, st)
}

// revoke closes the streams match picks with code and reason.
func (r *streams) revoke(match func(*streamConn) bool, code int, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for st := range r.conns {
		if match(st) {
			select {
			case st.kick <- kick{code: code, reason: reason}:
			default: // already being closed
			}
		}
	}
}

// revokeUser closes every stream of a user.
func (s *Server) revokeUser(userID int64, code int, reason string) {
	s.streams.revoke(func(st *streamConn) bool { return st.user == userID }, code, reason)
}

// kickOf tells whether a stream ended because it was revoked.
func kickOf(err error) (kick, bool) {
	var k kick
	return k, errors.As(err, &k)
}
