package api

import (
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/floor"
)

// lookupRoutes is the dial pad's and the transfer window's directory
// lookup.
func lookupRoutes() []route {
	return []route{
		{"GET", "/api/v1/lookup", agent, http.StatusOK, "lookup", "floor",
			"Find extensions (with their live status) and directory entries by number or name, as the agent types",
			read((*Server).lookup).withQuery(queryParam{Name: "q", Bad: strings.Repeat("9", maxLookup+1),
				Description: "What the agent typed: the start of a number, or part of a name (at most 64 characters); empty lists the first entries."})},
	}
}

// Phones tells whether an extension's phone is registered (the SIP
// registrar).
type Phones interface {
	Registered(accountID, extensionID int64) bool
}

// CallPresence tells whether an extension's phone is on a call; the
// telephony plane's CallControl may implement it.
type CallPresence interface {
	OnCall(accountID, extensionID int64) bool
}

// LiveStatus is an extension's status in the lookup: "offline" when its
// phone is not registered, otherwise the agent's state (idle, ringing,
// on_call, wrapup, paused, preview, logged_off), or "on_call" or "idle"
// for a participant or plain extension.
type LiveStatus string

// LookupExtension is an extension found by the lookup.
type LookupExtension struct {
	ID     int64      `json:"id"`
	Number string     `json:"number"`
	Name   string     `json:"name"`
	Status LiveStatus `json:"status"`
}

// LookupResult is what the lookup found, at most 20 of each kind.
type LookupResult struct {
	Extensions []LookupExtension          `json:"extensions"`
	Directory  []callfloor.DirectoryEntry `json:"directory"`
}

const (
	maxLookup     = 64
	lookupResults = 20
)

func (s *Server) lookup(_ http.ResponseWriter, r *http.Request) (*LookupResult, error) {
	ctx, a := r.Context(), actorOf(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxLookup || !utf8.ValidString(q) {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "q", "q is at most %d characters", maxLookup)
	}
	exts, err := s.store.ListExtensions(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := s.store.ListDirectoryEntries(ctx)
	if err != nil {
		return nil, err
	}
	states := map[int64]callfloor.AgentState{}
	err = s.floor.View(ctx, a.AccountID, func(st *floor.State, cfg *floor.Config) {
		for ext := range cfg.Agents {
			states[ext] = st.Agent(ext).State
		}
	})
	if err != nil {
		return nil, err
	}
	lq := strings.ToLower(q)
	res := &LookupResult{Extensions: []LookupExtension{}, Directory: []callfloor.DirectoryEntry{}}
	for _, e := range exts {
		if len(res.Extensions) == lookupResults {
			break
		}
		if strings.HasPrefix(e.Number, q) || strings.Contains(strings.ToLower(e.Name), lq) {
			res.Extensions = append(res.Extensions, LookupExtension{ID: e.ID, Number: e.Number, Name: e.Name,
				Status: s.liveStatus(a.AccountID, e, states)})
		}
	}
	for _, d := range entries {
		if len(res.Directory) == lookupResults {
			break
		}
		if strings.Contains(d.Number, q) || strings.Contains(strings.ToLower(d.Name), lq) ||
			strings.Contains(strings.ToLower(d.Company), lq) {
			res.Directory = append(res.Directory, *d)
		}
	}
	sort.SliceStable(res.Directory, func(i, j int) bool { return res.Directory[i].Name < res.Directory[j].Name })
	return res, nil
}

func (s *Server) liveStatus(accountID int64, e *callfloor.Extension, states map[int64]callfloor.AgentState) LiveStatus {
	if s.phones == nil || !s.phones.Registered(accountID, e.ID) {
		return "offline"
	}
	if st, ok := states[e.ID]; ok {
		return LiveStatus(st)
	}
	if p, ok := s.calls.(CallPresence); ok && p.OnCall(accountID, e.ID) {
		return LiveStatus(callfloor.StateOnCall)
	}
	return "idle"
}
