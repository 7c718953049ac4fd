package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/callfloor/callfloor"
)

// The OpenAPI 3.1 document is generated from the route table: paths and
// operations from the routes, schemas by reflection over the Go types of
// their bodies (json tags; pointers are nullable; `api:"required"` marks
// what a create request must have), enums from the domain's lists and the
// error codes from callfloor.Errors. api/openapi.json is a committed copy
// that a test keeps equal to this (go test ./api -update rewrites it).

// openAPIVersion is the version of the API contract, not of the build.
const openAPIVersion = "1"

// enums are the string types with a fixed set of values.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[callfloor.Role]():             strs(callfloor.Roles),
	reflect.TypeFor[callfloor.LicenceKind]():      strs(callfloor.LicenceKinds),
	reflect.TypeFor[callfloor.PhoneEngine]():      strs(callfloor.PhoneEngines),
	reflect.TypeFor[callfloor.AutoAnswer]():       strs(callfloor.AutoAnswers),
	reflect.TypeFor[callfloor.Strategy]():         strs(callfloor.Strategies),
	reflect.TypeFor[callfloor.OverflowAction]():   strs(callfloor.OverflowActions),
	reflect.TypeFor[callfloor.Category]():         strs(callfloor.Categories),
	reflect.TypeFor[callfloor.FailScope]():        strs(callfloor.FailScopes),
	reflect.TypeFor[callfloor.AgentState]():       strs(callfloor.AgentStates),
	reflect.TypeFor[callfloor.Direction]():        strs(callfloor.Directions),
	reflect.TypeFor[callfloor.EventType]():        strs(callfloor.EventTypes),
	reflect.TypeFor[StreamType]():                 strs(streamTypes),
	reflect.TypeFor[callfloor.ReportKind]():       strs(callfloor.ReportKinds),
	reflect.TypeFor[callfloor.Frequency]():        strs(callfloor.Frequencies),
	reflect.TypeFor[callfloor.ReportRunStatus]():  strs(callfloor.ReportRunStatuses),
	reflect.TypeFor[callfloor.SMTPSecurity]():     strs(callfloor.SMTPSecurities),
	reflect.TypeFor[callfloor.WebhookEventType](): strs(callfloor.WebhookEventTypes),
	reflect.TypeFor[callfloor.WebhookOutcome]():   strs(callfloor.WebhookOutcomes),
	// The domain has no lists of these three; keep them in step with its
	// constants.
	reflect.TypeFor[callfloor.AgentStatus]():  {string(callfloor.AgentNotActivated), string(callfloor.AgentNotEnabled), string(callfloor.AgentEnabled)},
	reflect.TypeFor[callfloor.MemberKind]():   {string(callfloor.MemberAgent), string(callfloor.MemberParticipant)},
	reflect.TypeFor[callfloor.LogoffReason](): {string(callfloor.LogoffAgent), string(callfloor.LogoffSupervisor), string(callfloor.LogoffMidnight)},
}

func strs[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

type obj = map[string]any

// schemaMode tells how a type is used: what a response always has, what a
// create request must have, or a partial update where nothing is required.
type schemaMode int

const (
	modeResponse schemaMode = iota
	modeCreate
	modePatch
)

type schemaGen struct {
	schemas, responses obj
	// types is the Go type of each struct schema: two types under one
	// name would make one schema wrong, so the generator refuses it.
	types map[string]reflect.Type
}

func openAPIDocument(routes []route) obj {
	g := &schemaGen{schemas: obj{}, responses: obj{}, types: map[string]reflect.Type{}}
	paths := obj{}
	tags := map[string]bool{}
	for _, rt := range routes {
		item, _ := paths[rt.Path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = g.operation(rt)
		tags[rt.Tag] = true
	}
	// The stream's frames travel over a WebSocket, outside any operation;
	// they are components so that clients can generate their types too.
	g.schema(reflect.TypeFor[StreamMessage](), modeResponse)
	g.schema(reflect.TypeFor[StreamCommand](), modeResponse)
	hooks := g.webhooks()
	g.schemas["Error"] = errorSchema()
	g.schemas["ErrorCode"] = errorCodeSchema()
	var tagList []any
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, obj{"name": t})
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "callfloor API",
			"version": openAPIVersion,
			"description": "The HTTP API of callfloor. Every request is scoped to the caller's account. " +
				"Authenticate with the session cookie that POST /api/v1/auth/login sets, or send a session " +
				"token (cfs_...) or an API token (cfk_...) as \"Authorization: Bearer <token>\". " +
				"Every error has the shape {\"error\":{\"code\",\"message\",\"field\"}}; the codes are listed in the ErrorCode schema.",
		},
		"tags":     tagList,
		"paths":    paths,
		"webhooks": hooks,
		"components": obj{
			"schemas":   g.schemas,
			"responses": g.responses,
			"securitySchemes": obj{
				"cookieAuth": obj{"type": "apiKey", "in": "cookie", "name": sessionCookie,
					"description": "The HTTP-only session cookie set by login."},
				"bearerAuth": obj{"type": "http", "scheme": "bearer",
					"description": "A session token (cfs_...) or an API token (cfk_...)."},
			},
		},
		"security": []any{obj{"cookieAuth": []any{}}, obj{"bearerAuth": []any{}}},
	}
}

// webhooks documents what a webhook endpoint receives (OpenAPI 3.1's
// webhooks): for each event type, a POST with the Standard Webhooks
// headers and the type's body. The data of a journal event is the Event
// as the journal keeps it; the call.record steps with types of their own
// carry the call.record event.
func (g *schemaGen) webhooks() obj {
	event := g.schema(reflect.TypeFor[callfloor.Event](), modeResponse)
	test := g.schema(reflect.TypeFor[callfloor.WebhookTestData](), modeResponse)
	header := func(name, desc string) obj {
		return obj{"name": name, "in": "header", "required": true, "description": desc, "schema": obj{"type": "string"}}
	}
	params := []any{
		header("webhook-id", "The message's id, the same on every try: msg_<endpoint>_<journal seq>, or msg_<endpoint>_m<n> for a message outside the journal (a test). Drop a message whose id you have seen."),
		header("webhook-timestamp", "Seconds since 1970 when this try was sent; refuse one far from your clock (5 minutes)."),
		header("webhook-signature", "v1, and the base64 HMAC-SHA256 of \"<webhook-id>.<webhook-timestamp>.<body>\" under the endpoint's secret (the base64 after whsec_); space separated, one per secret while a rotation overlaps."),
	}
	out := obj{}
	for _, t := range callfloor.WebhookEventTypes {
		data := event
		if t == callfloor.WebhookTest {
			data = test
		}
		out[string(t)] = obj{"post": obj{
			"operationId": "webhook_" + strings.NewReplacer(".", "_").Replace(string(t)),
			"summary":     webhookSummary(t),
			"tags":        []any{"webhooks"},
			"security":    []any{},
			"parameters":  params,
			"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
				"type":     "object",
				"required": []any{"type", "timestamp", "version", "data"},
				"properties": obj{
					"type":      obj{"type": "string", "const": string(t)},
					"timestamp": obj{"type": "string", "format": "date-time", "description": "When the event happened."},
					"version":   obj{"type": "integer", "const": callfloor.WebhookBodyVersion, "description": "The body's shape; fields may be added within a version."},
					"data":      data,
				},
			}}}},
			"responses": obj{"2XX": obj{"description": "Delivered. A 410 disables the endpoint; a 429 is retried after its Retry-After; anything else, or no answer within 15 s, is retried for about three days."}},
		}}
	}
	return out
}

func webhookSummary(t callfloor.WebhookEventType) string {
	switch t {
	case callfloor.WebhookCallerQueued:
		return "A caller joined a queue (the call.record step queued)"
	case callfloor.WebhookCallerAbandoned:
		return "A caller hung up waiting in a queue (the call.record step abandoned)"
	case callfloor.WebhookCallerOverflowed:
		return "A caller left a queue by its overflow (the call.record step overflowed)"
	case callfloor.WebhookCampaignAttempt:
		return "How a power campaign's call went before an agent had it (the call.record step campaign_attempt)"
	case callfloor.WebhookTest:
		return "A test message, sent on request"
	case callfloor.WebhookEventType(callfloor.EventCallRecord):
		return "A step of a call on the telephony plane (the steps with types of their own excepted)"
	}
	return "The floor's " + string(t) + " event, as journaled"
}

func (g *schemaGen) operation(rt route) obj {
	op := obj{
		"operationId": rt.Op,
		"summary":     rt.Summary,
		"tags":        []any{rt.Tag},
	}
	if rt.Role == public {
		op["security"] = []any{}
		op["description"] = "Public: needs no credentials."
	} else {
		op["x-callfloor-role"] = string(rt.Role)
		op["description"] = fmt.Sprintf("Needs the %s role or higher.", rt.Role)
	}
	hasID := strings.Contains(rt.Path, "{id}")
	var params []any
	if hasID {
		params = append(params, obj{
			"name": "id", "in": "path", "required": true,
			"schema": obj{"type": "integer", "format": "int64", "minimum": 1},
		})
	}
	for _, q := range rt.ep.query {
		schema := obj{"type": "string"}
		if q.Format != "" {
			schema["format"] = q.Format
		}
		params = append(params, obj{"name": q.Name, "in": "query", "required": false, "description": q.Description, "schema": schema})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.ep.in != nil {
		mode := modeCreate
		if rt.Method == http.MethodPatch {
			mode = modePatch
		}
		op["requestBody"] = obj{
			"required": !rt.ep.optionalBody,
			"content":  obj{"application/json": obj{"schema": g.schema(deref(rt.ep.in), mode)}},
		}
	}
	responses := obj{}
	success := obj{"description": http.StatusText(rt.Status)}
	switch rt.ep.out {
	case nil:
	case reflect.TypeFor[rawText]():
		success["content"] = obj{"text/plain": obj{"schema": obj{"type": "string"}}}
	case reflect.TypeFor[rawCSV]():
		success["content"] = obj{"text/csv": obj{"schema": obj{"type": "string"}}}
	case reflect.TypeFor[rawJSON]():
		success["content"] = obj{"application/json": obj{"schema": obj{"type": "object"}}}
	default:
		success["content"] = obj{"application/json": obj{"schema": g.schema(deref(rt.ep.out), modeResponse)}}
	}
	responses[fmt.Sprint(rt.Status)] = success
	for _, status := range errorStatuses(rt, hasID) {
		responses[fmt.Sprint(status)] = g.errorResponse(status)
	}
	responses["default"] = g.errorResponse(http.StatusInternalServerError)
	op["responses"] = responses
	return op
}

// errorStatuses lists the error statuses a route can answer besides 500.
func errorStatuses(rt route, hasID bool) []int {
	set := map[int]bool{}
	if rt.Role != public {
		set[http.StatusUnauthorized], set[http.StatusForbidden] = true, true
	}
	if hasID {
		set[http.StatusNotFound] = true
	}
	if rt.ep.in != nil {
		for _, s := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity} {
			set[s] = true
		}
	}
	if rt.Role != public && rt.Method != http.MethodGet {
		set[http.StatusConflict] = true
	}
	if len(rt.ep.query) > 0 {
		set[http.StatusUnprocessableEntity] = true
	}
	if strings.HasPrefix(rt.Path, "/api/v1/floor/me") {
		set[http.StatusConflict] = true // not_agent
	}
	if rt.ep.simulated {
		set[http.StatusNotFound] = true // simulation_off
	}
	switch rt.Op {
	case "login":
		set[http.StatusUnauthorized], set[http.StatusTooManyRequests] = true, true
	case "changePassword":
		set[http.StatusTooManyRequests] = true
	case "health":
		set[http.StatusServiceUnavailable] = true
	}
	var out []int
	for s := range set {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// errorResponse returns a reference to the shared error response of a
// status, registering it.
func (g *schemaGen) errorResponse(status int) obj {
	name := strings.ReplaceAll(http.StatusText(status), " ", "")
	if _, done := g.responses[name]; !done {
		resp := obj{
			"description": http.StatusText(status) + ": the error shape; see ErrorCode for the codes and their statuses.",
			"content":     obj{"application/json": obj{"schema": ref("Error")}},
		}
		if status == http.StatusTooManyRequests {
			resp["headers"] = obj{"Retry-After": obj{
				"description": "Seconds to wait before trying again.",
				"schema":      obj{"type": "integer"},
			}}
		}
		g.responses[name] = resp
	}
	return obj{"$ref": "#/components/responses/" + name}
}

// schema returns the schema of t, registering named struct and enum types
// as components.
func (g *schemaGen) schema(t reflect.Type, mode schemaMode) obj {
	if t.Kind() == reflect.Pointer {
		return nullable(g.schema(t.Elem(), mode))
	}
	if values, ok := enums[t]; ok {
		name := schemaName(t)
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = obj{"type": "string", "enum": toAny(values)}
		}
		return ref(name)
	}
	switch t {
	case reflect.TypeFor[time.Time]():
		return obj{"type": "string", "format": "date-time"}
	case reflect.TypeFor[json.RawMessage]():
		return obj{} // any JSON value
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int64:
		return obj{"type": "integer", "format": "int64"}
	case reflect.Int, reflect.Int32, reflect.Int16, reflect.Int8:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice:
		// A list is replaced whole, so its elements are complete even in a
		// patch; and its elements are never null.
		elemMode := mode
		if mode == modePatch {
			elemMode = modeCreate
		}
		return obj{"type": "array", "items": g.schema(deref(t.Elem()), elemMode)}
	case reflect.Map:
		// A map with string keys: an object of any keys, each value of
		// the element's schema (a lead's fields).
		return obj{"type": "object", "additionalProperties": g.schema(deref(t.Elem()), modeCreate)}
	case reflect.Struct:
		name := componentName(t, mode)
		if other, ok := g.types[name]; ok && other != t {
			panic(fmt.Sprintf("openapi: %s and %s are both schema %s", other, t, name))
		}
		g.types[name] = t
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = obj{} // placeholder against recursion
			g.schemas[name] = g.structSchema(t, mode)
		}
		return ref(name)
	}
	return obj{}
}

func (g *schemaGen) structSchema(t reflect.Type, mode schemaMode) obj {
	props := obj{}
	var required []any
	fields := jsonFields(t)
	sort.Slice(fields, func(i, j int) bool { return fields[i].name < fields[j].name })
	for _, f := range fields {
		props[f.name] = g.schema(f.typ, mode)
		switch {
		case mode == modeResponse && !f.omitempty, mode == modeCreate && f.required:
			required = append(required, f.name)
		}
	}
	s := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	if mode != modeResponse {
		s["additionalProperties"] = false
	}
	return s
}

// nullable allows null besides what s allows.
func nullable(s obj) obj {
	if typ, ok := s["type"].(string); ok {
		out := obj{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []any{typ, "null"}
		return out
	}
	return obj{"oneOf": []any{s, obj{"type": "null"}}}
}

// componentName names a struct type's schema; the same type used by a
// request gets its own schema, as what it requires differs.
func componentName(t reflect.Type, mode schemaMode) string {
	name := schemaName(t)
	switch mode {
	case modeCreate:
		if !strings.HasSuffix(name, "Input") {
			name += "Input"
		}
	case modePatch:
		name = strings.TrimSuffix(name, "Input") + "Patch"
	}
	return name
}

// schemaName is the exported-looking name of a Go type; a list[T] is
// "ListOfT" (never a domain type's name: "CampaignList" is one).
func schemaName(t reflect.Type) string {
	name := t.Name()
	if strings.HasPrefix(name, "list[") {
		f, _ := t.FieldByName("Items")
		return "ListOf" + schemaName(deref(f.Type.Elem()))
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func errorSchema() obj {
	return obj{
		"type":     "object",
		"required": []any{"error"},
		"properties": obj{"error": obj{
			"type":     "object",
			"required": []any{"code", "message"},
			"properties": obj{
				"code":    ref("ErrorCode"),
				"message": obj{"type": "string", "description": "What went wrong, safe to show to a user."},
				"field":   obj{"type": "string", "description": "The offending input field as a dotted path, e.g. agent.enabled or members[0].extension_id."},
			},
		}},
	}
}

func errorCodeSchema() obj {
	var codes []any
	for _, e := range callfloor.Errors {
		codes = append(codes, obj{
			"const":       e.Code,
			"description": fmt.Sprintf("HTTP %d. %s", errorStatus[e.Code], e.Description),
		})
	}
	return obj{"type": "string", "oneOf": codes}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
