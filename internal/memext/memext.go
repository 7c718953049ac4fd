// Package memext is an in-memory set of extensions for the SIP tests: the
// registrar's credential store and the B2BUA's number directory, without
// a database.
package memext

import (
	"context"
	"sync"

	"github.com/callfloor/callfloor"
)

// Store holds extensions. The zero value is empty and ready; it is safe
// for concurrent use, and it hands out copies.
type Store struct {
	mu   sync.Mutex
	exts []*callfloor.Extension
}

// Add stores e.
func (s *Store) Add(e *callfloor.Extension) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exts = append(s.exts, e)
}

// FindSIPCredentials finds the extension with a SIP username.
func (s *Store) FindSIPCredentials(_ context.Context, username string) (*callfloor.Extension, error) {
	if e := s.find(func(e *callfloor.Extension) bool { return e.SIPUsername == username }); e != nil {
		return e, nil
	}
	return nil, callfloor.Errorf(callfloor.ErrNotFound, "no such SIP username")
}

// ByNumber finds the extension of an account with a number.
func (s *Store) ByNumber(_ context.Context, account int64, number string) (*callfloor.Extension, error) {
	if e := s.find(func(e *callfloor.Extension) bool { return e.AccountID == account && e.Number == number }); e != nil {
		return e, nil
	}
	return nil, callfloor.Errorf(callfloor.ErrNotFound, "no such extension")
}

// find returns a copy of the first extension match accepts, or nil.
func (s *Store) find(match func(*callfloor.Extension) bool) *callfloor.Extension {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.exts {
		if match(e) {
			c := *e
			return &c
		}
	}
	return nil
}
