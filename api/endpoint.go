package api

import (
	"context"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/callfloor/callfloor"
)

// endpoint is what a route does, with the Go types of its request and
// response bodies: the decoder and the OpenAPI document both use them, so
// the document cannot drift from the code.
type endpoint struct {
	in, out      reflect.Type // nil: no body
	optionalBody bool
	// query lists the query parameters the handler reads, for the
	// OpenAPI document.
	query []queryParam
	// simulated marks the simulated telephony plane's endpoints, which
	// answer simulation_off unless the server runs with Simulate.
	simulated bool
	// bodyLimit raises the largest body the endpoint takes above
	// maxBody (a CSV import); 0: maxBody.
	bodyLimit int64
	serve     func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) (any, error)
}

// queryParam is an optional query parameter of an endpoint.
type queryParam struct {
	Name, Description string
	// Format is the OpenAPI format of the string value, e.g. "date".
	Format string
	// Bad is a value the endpoint refuses, for the tests; empty means
	// "not-a-value".
	Bad string
}

// decoder decodes the request body strictly onto *In. Handlers call it on
// an In that already holds the defaults (create) or the current values
// (update), so omitted fields keep them.
type decoder[In any] func(*In) error

// noContent is the response type of routes that answer 204.
type noContent struct{}

// rawJSON, rawText and rawCSV are the response types of handlers that
// write their answer themselves (the OpenAPI document, the metrics, an
// export).
type (
	rawJSON struct{}
	rawText struct{}
	rawCSV  struct{}
)

func outType[Out any]() reflect.Type {
	t := reflect.TypeFor[Out]()
	if t == reflect.TypeFor[noContent]() {
		return nil
	}
	return t
}

// read makes the endpoint of a handler without a request body.
func read[Out any](fn func(*Server, http.ResponseWriter, *http.Request) (Out, error)) endpoint {
	return endpoint{
		out: outType[Out](),
		serve: func(s *Server, w http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
			return fn(s, w, r)
		},
	}
}

// write makes the endpoint of a handler with a JSON request body.
func write[In, Out any](fn func(*Server, http.ResponseWriter, *http.Request, decoder[In]) (Out, error)) endpoint {
	return endpoint{
		in:  reflect.TypeFor[In](),
		out: outType[Out](),
		serve: func(s *Server, w http.ResponseWriter, r *http.Request, body []byte) (any, error) {
			return fn(s, w, r, func(dst *In) error { return decodeStrict(body, dst) })
		},
	}
}

// optional lets the request body be left out (it then decodes as {}).
func (e endpoint) optional() endpoint {
	e.optionalBody = true
	return e
}

// withQuery documents the query parameters the handler reads.
func (e endpoint) withQuery(params ...queryParam) endpoint {
	e.query = append(append([]queryParam(nil), e.query...), params...)
	return e
}

// largeBody lets the endpoint take a body of up to limit bytes.
func (e endpoint) largeBody(limit int64) endpoint {
	e.bodyLimit = limit
	return e
}

// simulation marks an endpoint of the simulated telephony plane.
func (e endpoint) simulation() endpoint {
	e.simulated = true
	return e
}

// reloadTags are the tags of the routes that change what the floor engine
// decides with: after a successful write on one of them, the account's
// engine rereads its configuration.
var reloadTags = map[string]bool{"users": true, "extensions": true, "pause-reasons": true, "queues": true, "account": true, "campaigns": true}

// newMux registers every route. Paths that exist with other methods answer
// 405 method_not_allowed, anything else 404 route_not_found, both in the
// error shape.
func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	fallback := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range routeTable() {
		mux.Handle(rt.pattern(), s.handle(rt))
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
	}
	for path, ms := range methods {
		sort.Strings(ms)
		allow := strings.Join(ms, ", ")
		fallback.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, errorf(callfloor.ErrMethodNotAllowed, "%s does not allow %s; it allows %s", path, r.Method, allow))
		})
	}
	fallback.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(callfloor.ErrRouteNotFound, "no endpoint has the path %s", r.URL.Path))
	})
	mux.Handle("/", fallback)
	return mux
}

// handle runs one route: credentials, cross-origin check, role, the
// simulation switch, body, then the handler, whose answer or error it
// writes. A successful write to the configuration the floor engine decides
// with (reloadTags) makes the account's engine reread it.
func (s *Server) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		info.route = rt.pattern()
		out, err := s.serve(rt, info, w, r)
		switch {
		case info.forwarded:
			// answered by the account's owner
		case err != nil:
			s.writeError(w, r, err)
		case rt.ep.out == nil:
			w.WriteHeader(rt.Status)
		case rt.ep.out == reflect.TypeFor[rawJSON]() || rt.ep.out == reflect.TypeFor[rawText]() || rt.ep.out == reflect.TypeFor[rawCSV]():
			// written by the handler
		default:
			writeJSON(w, rt.Status, out)
		}
	})
}

func (s *Server) serve(rt route, info *requestInfo, w http.ResponseWriter, r *http.Request) (any, error) {
	ctx := r.Context()
	if rt.Role != public || rt.ep.in != nil {
		if err := s.checkOrigin(r); err != nil {
			return nil, err
		}
	}
	if rt.Role != public {
		token, err := credentials(r)
		if err != nil {
			return nil, err
		}
		a, vouched := s.vouched(r)
		if !vouched {
			if a, err = s.auth.Authenticate(ctx, token); err != nil {
				return nil, err
			}
		}
		info.actor = a
		if !a.Role.AtLeast(rt.Role) {
			return nil, errorf(callfloor.ErrForbidden, "this needs the %s role or higher", rt.Role)
		}
		if s.cluster != nil && rt.Tag != "stream" && s.cluster.Route(w, r, a) {
			info.forwarded = true
			return nil, nil
		}
		ctx = context.WithValue(callfloor.NewContext(ctx, a), tokenKey{}, token)
		r = r.WithContext(ctx)
	}
	if rt.ep.simulated && !s.simulate {
		return nil, errSimulationOff()
	}
	var body []byte
	if rt.ep.in != nil {
		var err error
		limit := int64(maxBody)
		if rt.ep.bodyLimit > 0 {
			limit = rt.ep.bodyLimit
		}
		if body, err = readBody(w, r, rt.ep.optionalBody, limit); err != nil {
			return nil, err
		}
	}
	out, err := rt.ep.serve(s, w, r, body)
	if err == nil && rt.Method != http.MethodGet && reloadTags[rt.Tag] {
		s.reloadFloor(ctx, info.actor.AccountID)
	}
	return out, err
}

// vouched is the actor another node of the cluster authenticated r as,
// when r was forwarded from it: not authenticated again.
func (s *Server) vouched(r *http.Request) (callfloor.Actor, bool) {
	if s.cluster == nil {
		return callfloor.Actor{}, false
	}
	return s.cluster.Vouched(r)
}

// reloadFloor makes the account's floor engine reread its configuration
// after a change that is already stored: a failure is logged, not sent
// (the engine keeps deciding with the configuration it had).
func (s *Server) reloadFloor(ctx context.Context, accountID int64) {
	if err := s.floor.Reload(ctx, accountID); err != nil {
		s.log.ErrorContext(ctx, "reloading the floor configuration", "account", accountID, "err", err)
	}
}

// sessionCookie is the name of the HTTP-only session cookie.
const sessionCookie = "callfloor_session"

// credentials returns the token of the request: the Authorization header's
// bearer token, or else the session cookie.
func credentials(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return "", errorf(callfloor.ErrUnauthorized, "the Authorization header must be \"Bearer <token>\"")
		}
		return token, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value, nil
	}
	return "", errorf(callfloor.ErrUnauthorized, "log in, or send an API token as \"Authorization: Bearer <token>\"")
}

// checkOrigin refuses a cross-site browser request that would act with the
// session cookie (or log in, which sets it). Requests that authenticate
// with the Authorization header cannot be forged by another site.
func (s *Server) checkOrigin(r *http.Request) error {
	if r.Header.Get("Authorization") != "" {
		return nil
	}
	if err := s.cop.Check(r); err != nil {
		return errorf(callfloor.ErrForbidden, "cross-origin request refused")
	}
	return nil
}

type tokenKey struct{}

// tokenFrom returns the token the request authenticated with.
func tokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey{}).(string)
	return t
}

// actorOf returns the caller of an authenticated route.
func actorOf(r *http.Request) callfloor.Actor {
	a, _ := callfloor.ActorFrom(r.Context())
	return a
}

// pathID returns the {id} of the path; anything but a positive integer is
// simply not found.
func pathID(r *http.Request, what string) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, errorf(callfloor.ErrNotFound, "no such %s", what)
	}
	return id, nil
}

// list is the answer of every list endpoint.
type list[T any] struct {
	Items []T `json:"items"`
}

func listOf[T any](items []T, err error) (list[T], error) {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items}, err
}
