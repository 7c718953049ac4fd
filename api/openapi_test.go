package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

var update = flag.Bool("update", false, "rewrite api/openapi.json from the route table")

func generatedOpenAPI(t *testing.T) []byte {
	t.Helper()
	doc, err := json.MarshalIndent(openAPIDocument(routeTable()), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(doc, '\n')
}

// TestOpenAPIFileUpToDate keeps the committed api/openapi.json equal to
// the document generated from the code: go test ./api -update rewrites it.
func TestOpenAPIFileUpToDate(t *testing.T) {
	got := generatedOpenAPI(t)
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("api/openapi.json differs from the document the routes generate; run go test ./api -update and review the diff")
	}
	h := newHarness(t)
	w := h.do(req{method: "GET", path: "/api/v1/openapi.json"})
	wantStatus(t, w, http.StatusOK)
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Error("the served document differs from api/openapi.json")
	}
}

type openAPIDoc struct {
	OpenAPI    string                               `json:"openapi"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas         map[string]any `json:"schemas"`
		Responses       map[string]any `json:"responses"`
		SecuritySchemes map[string]any `json:"securitySchemes"`
	} `json:"components"`
}

// TestOpenAPIMatchesRoutes checks that every route is in the document and
// every operation of the document is a route, and that every $ref
// resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(generatedOpenAPI(t), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	routes := map[string]route{}
	ops := map[string]bool{}
	for _, rt := range routeTable() {
		key := rt.Method + " " + rt.Path
		if _, dup := routes[key]; dup {
			t.Errorf("route %s twice", key)
		}
		routes[key] = rt
		if ops[rt.Op] {
			t.Errorf("operationId %s twice", rt.Op)
		}
		ops[rt.Op] = true
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s is not in the document", key)
			continue
		}
		if op["operationId"] != rt.Op {
			t.Errorf("%s: operationId %v", key, op["operationId"])
		}
		_, hasBody := op["requestBody"]
		if hasBody != (rt.ep.in != nil) {
			t.Errorf("%s: request body documented %v, taken %v", key, hasBody, rt.ep.in != nil)
		}
		sec, public := op["security"].([]any)
		if public && len(sec) == 0 != (rt.Role == "") {
			t.Errorf("%s: security %v for role %q", key, sec, rt.Role)
		}
		// Parameters: the path's {id} and the query parameters the
		// endpoint declares, nothing else.
		var want, got []string
		if strings.Contains(rt.Path, "{id}") {
			want = append(want, "path id")
		}
		for _, q := range rt.ep.query {
			want = append(want, "query "+q.Name)
		}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			p, _ := p.(map[string]any)
			got = append(got, fmt.Sprint(p["in"], " ", p["name"]))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: parameters %v, want %v", key, got, want)
		}
	}
	for path, item := range doc.Paths {
		for method := range item {
			if _, ok := routes[strings.ToUpper(method)+" "+path]; !ok {
				t.Errorf("document operation %s %s is not a route", method, path)
			}
		}
	}

	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	var raw map[string]any
	_ = json.Unmarshal(generatedOpenAPI(t), &raw)
	walk(raw)
	sort.Strings(refs)
	for _, r := range refs {
		found := false
		if name, ok := strings.CutPrefix(r, "#/components/schemas/"); ok {
			_, found = doc.Components.Schemas[name]
		} else if name, ok := strings.CutPrefix(r, "#/components/responses/"); ok {
			_, found = doc.Components.Responses[name]
		}
		if !found {
			t.Errorf("$ref %s does not resolve", r)
		}
	}
	for _, want := range []string{"cookieAuth", "bearerAuth"} {
		if doc.Components.SecuritySchemes[want] == nil {
			t.Errorf("no security scheme %s", want)
		}
	}
}

// TestOpenAPIQueryParameters checks that the documented query parameters
// are the ones the endpoints read: a bad value of each is refused, naming
// it.
func TestOpenAPIQueryParameters(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	tokens := map[callfloor.Role]string{callfloor.RoleAgent: a.agentTok, callfloor.RoleSupervisor: a.supTok, callfloor.RoleAdmin: a.adminTok}
	n := 0
	for _, rt := range routeTable() {
		for _, q := range rt.ep.query {
			n++
			if q.Description == "" {
				t.Errorf("%s: query parameter %+v", rt.pattern(), q)
			}
			bad := q.Bad
			if bad == "" {
				bad = "not-a-value"
			}
			w := h.call(rt.Method, pathFor(t, rt, a)+"?"+q.Name+"="+url.QueryEscape(bad), tokens[rt.Role], nil)
			wantError(t, w, http.StatusUnprocessableEntity, callfloor.ErrInvalidField, q.Name)
		}
	}
	if n == 0 {
		t.Error("no route documents a query parameter")
	}
}

// TestOpenAPISchemas spot-checks what reflection makes of the types.
func TestOpenAPISchemas(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(generatedOpenAPI(t), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = doc.Components.Schemas
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: no %s", path, p)
			}
			v = m[p]
		}
		return v
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	checks := []struct {
		path []string
		want string
	}{
		{[]string{"PhoneEngine", "enum"}, `["external","webrtc"]`},
		{[]string{"Strategy", "enum"}, `["ring_all","longest_idle","round_robin","fewest_calls","random"]`},
		{[]string{"Category", "enum"}, `["fail","unsure","success"]`},
		{[]string{"AgentSettings", "properties", "phone_engine"}, `{"$ref":"#/components/schemas/PhoneEngine"}`},
		{[]string{"AgentSettings", "properties", "outbound_queue_id"}, `{"format":"int64","type":["integer","null"]}`},
		{[]string{"Extension", "properties", "created_at"}, `{"format":"date-time","type":"string"}`},
		{[]string{"User", "required"}, `["account_id","created_at","disabled","email","extension_id","id","last_login_at","name","role","updated_at","username"]`},
		{[]string{"NewUserInput", "required"}, `["password","role","username"]`},
		{[]string{"NewUserInput", "additionalProperties"}, `false`},
		{[]string{"UserPatch", "required"}, `null`},
		{[]string{"ListOfUser", "properties", "items", "items"}, `{"$ref":"#/components/schemas/User"}`},
		{[]string{"NewToken", "properties", "token"}, `{"type":"string"}`},
		{[]string{"NewToken", "properties", "prefix"}, `{"type":"string"}`},
		{[]string{"Direction", "enum"}, `["internal_in","internal_out","queue_in","campaign","external_out","external_in"]`},
		{[]string{"AgentView", "properties", "state"}, `{"$ref":"#/components/schemas/AgentState"}`},
		{[]string{"MyFloor", "properties", "toolbar"}, `{"$ref":"#/components/schemas/Counters"}`},
		{[]string{"MyFloor", "properties", "state"}, `{"$ref":"#/components/schemas/AgentState"}`},
		{[]string{"SimOfferInput", "required"}, `["call_id","direction","extension_id"]`},
	}
	for _, c := range checks {
		if got := js(get(c.path...)); got != c.want {
			t.Errorf("%v = %s, want %s", c.path, got, c.want)
		}
	}
	codes := js(get("ErrorCode", "oneOf"))
	for _, code := range []string{`"const":"licence_exhausted"`, `"const":"field_read_only"`, `HTTP 409.`} {
		if !strings.Contains(codes, code) {
			t.Errorf("ErrorCode lacks %s", code)
		}
	}
}
