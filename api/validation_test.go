package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/callfloor/callfloor"
)

// TestRefusedRequests sends requests that must fail, checks the status,
// code and field of each answer, and that nothing stored changed.
func TestRefusedRequests(t *testing.T) {
	h := newHarness(t)
	a, b := h.seed("alpha"), h.seed("zeta")
	c := h.seedWith("gamma", callfloor.LicenceNone, 0)

	ext := func(e *callfloor.Extension) string { return idPath("/api/v1/extensions/%d", e.ID) }
	queue := idPath("/api/v1/queues/%d", a.queue.ID)
	reason := func(p *callfloor.PauseReason) string { return idPath("/api/v1/pause-reasons/%d", p.ID) }
	user := func(u *callfloor.User) string { return idPath("/api/v1/users/%d", u.ID) }
	oversized := `{"name":"` + strings.Repeat("x", maxBody) + `"}`
	const (
		s400, s404, s405, s409 = http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusConflict
		s413, s415, s422       = http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity
	)
	cases := []struct {
		name         string
		tok          string // a's admin when empty
		method, path string
		body         any
		contentType  string // "none" sends no Content-Type
		status       int
		code, field  string
	}{
		// Decoding.
		{"unknown field", "", "PATCH", ext(a.plainExt), `{"colour":"red"}`, "", s400, callfloor.ErrUnknownField, "colour"},
		{"unknown nested field", "", "PATCH", ext(a.plainExt), `{"agent":{"volume":1}}`, "", s400, callfloor.ErrUnknownField, "agent.volume"},
		{"field names are exact", "", "PATCH", ext(a.plainExt), `{"Name":"x"}`, "", s400, callfloor.ErrUnknownField, "Name"},
		{"password is not patched", "", "PATCH", user(a.sup), `{"password":"long enough phrase"}`, "", s400, callfloor.ErrUnknownField, "password"},
		{"bad JSON", "", "PATCH", ext(a.plainExt), `{"name":`, "", s400, callfloor.ErrInvalidJSON, ""},
		{"JSON syntax error", "", "PATCH", ext(a.plainExt), `{"name" "x"}`, "", s400, callfloor.ErrInvalidJSON, ""},
		{"trailing data", "", "PATCH", ext(a.plainExt), `{} {}`, "", s400, callfloor.ErrInvalidJSON, ""},
		{"not an object", "", "PATCH", ext(a.plainExt), `[1]`, "", s400, callfloor.ErrInvalidJSON, ""},
		// Text: broken encodings are refused, never repaired; one rule for
		// control and bidirectional characters in every text field.
		{"invalid UTF-8 renaming the account", "", "PATCH", "/api/v1/account", "{\"name\":\"acme\xff\"}", "", s400, callfloor.ErrInvalidJSON, ""},
		{"a lone surrogate escape", "", "PATCH", "/api/v1/account", `{"name":"acme\ud800"}`, "", s400, callfloor.ErrInvalidJSON, ""},
		{"a lone low surrogate escape", "", "PATCH", ext(a.plainExt), `{"name":"x\udc00y"}`, "", s400, callfloor.ErrInvalidJSON, ""},
		{"NUL in a name", "", "PATCH", ext(a.plainExt), `{"name":"a\u0000b"}`, "", s422, callfloor.ErrInvalidField, "name"},
		{"a right-to-left override in a name", "", "PATCH", ext(a.plainExt), `{"name":"abc\u202egpj.exe"}`, "", s422, callfloor.ErrInvalidField, "name"},
		{"a bidi isolate in directory notes", "", "PATCH", idPath("/api/v1/directory/%d", a.entry.ID), `{"notes":"ok\u2066x"}`, "", s422, callfloor.ErrInvalidField, "notes"},
		{"NUL in directory notes", "", "PATCH", idPath("/api/v1/directory/%d", a.entry.ID), `{"notes":"a\u0000"}`, "", s422, callfloor.ErrInvalidField, "notes"},
		{"wrong type", "", "PATCH", ext(a.plainExt), `{"name":5}`, "", s400, callfloor.ErrInvalidJSON, "name"},
		{"wrong nested type", "", "PATCH", ext(a.plainExt), `{"agent":{"wrapup_timeout_seconds":"60"}}`, "", s400, callfloor.ErrInvalidJSON, "agent.wrapup_timeout_seconds"},
		{"fraction for an integer", "", "PATCH", reason(a.reason), `{"code":1.5}`, "", s400, callfloor.ErrInvalidJSON, "code"},
		{"integer out of range", "", "PATCH", reason(a.reason), `{"code":99999999999999999999}`, "", s422, callfloor.ErrInvalidField, "code"},
		{"empty body", "", "POST", "/api/v1/directory", "", "", s400, callfloor.ErrInvalidJSON, ""},
		{"wrong content type", "", "POST", "/api/v1/directory", `{"name":"x","number":"1"}`, "text/plain", s415, callfloor.ErrUnsupportedMedia, ""},
		{"form content type", "", "PATCH", ext(a.plainExt), `name=x`, "application/x-www-form-urlencoded", s415, callfloor.ErrUnsupportedMedia, ""},
		{"no content type", "", "POST", "/api/v1/directory", `{"name":"x","number":"1"}`, "none", s415, callfloor.ErrUnsupportedMedia, ""},
		{"oversized body", "", "POST", "/api/v1/directory", oversized, "", s413, callfloor.ErrPayloadTooLarge, ""},

		// Read-only fields are named, not ignored.
		{"read-only id", "", "PATCH", ext(a.plainExt), `{"id":1}`, "", s422, callfloor.ErrFieldReadOnly, "id"},
		{"read-only account_id", "", "PATCH", ext(a.plainExt), fmt.Sprintf(`{"account_id":%d}`, b.acc.ID), "", s422, callfloor.ErrFieldReadOnly, "account_id"},
		{"read-only sip_username", "", "PATCH", ext(a.plainExt), `{"sip_username":"x"}`, "", s422, callfloor.ErrFieldReadOnly, "sip_username"},
		{"sip_secret has its own endpoint", "", "PATCH", ext(a.plainExt), `{"sip_secret":"abcdefgh12"}`, "", s422, callfloor.ErrFieldReadOnly, "sip_secret"},
		{"read-only agent_status", "", "PATCH", ext(a.plainExt), `{"agent_status":"enabled"}`, "", s422, callfloor.ErrFieldReadOnly, "agent_status"},
		{"read-only created_at", "", "PATCH", user(a.sup), `{"created_at":"2020-01-01T00:00:00Z"}`, "", s422, callfloor.ErrFieldReadOnly, "created_at"},
		{"read-only last_login_at", "", "PATCH", user(a.sup), `{"last_login_at":null}`, "", s422, callfloor.ErrFieldReadOnly, "last_login_at"},
		{"read-only member number", "", "PATCH", queue, fmt.Sprintf(`{"members":[{"extension_id":%d,"number":"201"}]}`, a.agentExt.ID), "", s422, callfloor.ErrFieldReadOnly, "members[0].number"},
		{"read-only member kind", "", "PATCH", queue, fmt.Sprintf(`{"members":[{"extension_id":%d,"kind":"agent"}]}`, a.agentExt.ID), "", s422, callfloor.ErrFieldReadOnly, "members[0].kind"},
		{"read-only licence_kind", "", "PATCH", "/api/v1/account", `{"licence_kind":"queue_agent_analytics"}`, "", s422, callfloor.ErrFieldReadOnly, "licence_kind"},
		{"read-only agent_licences", "", "PATCH", "/api/v1/account", `{"agent_licences":100}`, "", s422, callfloor.ErrFieldReadOnly, "agent_licences"},
		{"read-only agents_in_use", "", "PATCH", "/api/v1/account", `{"agents_in_use":0}`, "", s422, callfloor.ErrFieldReadOnly, "agents_in_use"},
		{"read-only system flag", "", "PATCH", reason(a.reason), `{"system":true}`, "", s422, callfloor.ErrFieldReadOnly, "system"},
		{"read-only token prefix", "", "POST", "/api/v1/tokens", `{"name":"x","prefix":"abc"}`, "", s422, callfloor.ErrFieldReadOnly, "prefix"},

		// Fields.
		{"missing name", "", "POST", "/api/v1/directory", `{"number":"123"}`, "", s422, callfloor.ErrFieldRequired, "name"},
		{"bad directory number", "", "POST", "/api/v1/directory", `{"name":"x","number":"12ab"}`, "", s422, callfloor.ErrInvalidField, "number"},
		{"bad strategy", "", "POST", "/api/v1/queues", `{"number":"700","name":"x","strategy":"bogus"}`, "", s422, callfloor.ErrInvalidField, "strategy"},
		{"bad time zone", "", "PATCH", "/api/v1/account", `{"time_zone":"Mars/Base"}`, "", s422, callfloor.ErrInvalidField, "time_zone"},
		{"missing role", "", "POST", "/api/v1/users", `{"username":"newbie","password":"long enough phrase"}`, "", s422, callfloor.ErrFieldRequired, "role"},
		{"missing password", "", "POST", "/api/v1/users", `{"username":"newbie","role":"supervisor"}`, "", s422, callfloor.ErrFieldRequired, "password"},
		{"short password", "", "POST", "/api/v1/users", `{"username":"newbie","role":"supervisor","password":"short"}`, "", s422, callfloor.ErrInvalidField, "password"},
		{"agent user needs an extension", "", "POST", "/api/v1/users", `{"username":"newbie","role":"agent","password":"long enough phrase"}`, "", s422, callfloor.ErrFieldRequired, "extension_id"},
		{"weak password", "", "POST", "/api/v1/users", `{"username":"newbie","role":"supervisor","password":"password1234"}`, "", s422, callfloor.ErrInvalidField, "password"},
		{"password of the user's own name", "", "POST", "/api/v1/users", `{"username":"quintessa","name":"Quintessa Vandermolen","role":"supervisor","password":"quintessavandermolen"}`, "", s422, callfloor.ErrInvalidField, "password"},
		{"short reset password", "", "POST", user(a.sup) + "/password", `{"password":"short"}`, "", s422, callfloor.ErrInvalidField, "password"},
		{"short SIP secret", "", "POST", "/api/v1/extensions", `{"number":"300","sip_secret":"short"}`, "", s422, callfloor.ErrInvalidField, "sip_secret"},
		{"short SIP secret reset", "", "POST", ext(a.plainExt) + "/sip-secret", `{"secret":"short"}`, "", s422, callfloor.ErrInvalidField, "secret"},
		{"missing token name", "", "POST", "/api/v1/tokens", `{}`, "", s422, callfloor.ErrFieldRequired, "name"},
		{"pool without numbers", "", "POST", "/api/v1/caller-id-pools", `{"name":"new pool"}`, "", s422, callfloor.ErrFieldRequired, "numbers"},
		{"wrong current password", "", "PUT", "/api/v1/auth/password", `{"current_password":"not it","new_password":"long enough phrase"}`, "", s422, callfloor.ErrInvalidField, "current_password"},
		{"missing login fields", "", "POST", "/api/v1/auth/login", `{"account":"alpha"}`, "", s422, callfloor.ErrFieldRequired, "username"},

		// Licences.
		{"agent feature without activation", c.adminTok, "PATCH", ext(c.plainExt), `{"queues_feature":true,"agent":{"enabled":true}}`, "", s409, callfloor.ErrAgentNotActivated, "agent.enabled"},
		{"agent tab without activation", c.adminTok, "PUT", ext(c.agentExt) + "/agent", `{"enabled":true}`, "", s409, callfloor.ErrAgentNotActivated, "agent.enabled"},
		{"agent tab alone without activation", c.adminTok, "PATCH", ext(c.plainExt), `{"agent":{"enabled":true}}`, "", s409, callfloor.ErrAgentNotActivated, "agent.enabled"},
		{"agent feature without a free licence", "", "PATCH", ext(a.plainExt), `{"queues_feature":true,"agent":{"enabled":true}}`, "", s409, callfloor.ErrLicenceExhausted, "agent.enabled"},
		{"new agent extension without a free licence", "", "POST", "/api/v1/extensions", `{"number":"300","queues_feature":true,"agent":{"enabled":true}}`, "", s409, callfloor.ErrLicenceExhausted, "agent.enabled"},

		// Conflicts and references.
		{"extension number taken by a queue", "", "POST", "/api/v1/extensions", `{"number":"600"}`, "", s409, callfloor.ErrNumberTaken, "number"},
		{"queue number taken by an extension", "", "PATCH", queue, `{"number":"201"}`, "", s409, callfloor.ErrNumberTaken, "number"},
		{"pause code taken", "", "POST", "/api/v1/pause-reasons", `{"name":"Other","code":1}`, "", s409, callfloor.ErrPauseCodeTaken, "code"},
		{"pause reason named like the system one", "", "POST", "/api/v1/pause-reasons", `{"name":"wrapup","code":7}`, "", s409, callfloor.ErrNameTaken, "name"},
		{"pause reason name taken", "", "POST", "/api/v1/pause-reasons", `{"name":"ALPHA lunch","code":8}`, "", s409, callfloor.ErrNameTaken, "name"},
		{"pool name taken", "", "POST", "/api/v1/caller-id-pools", `{"name":"alpha pool","numbers":["123"]}`, "", s409, callfloor.ErrNameTaken, "name"},
		{"deleting Wrapup", "", "DELETE", reason(a.wrapup), nil, "", s409, callfloor.ErrSystemReason, ""},
		{"editing Wrapup", "", "PATCH", reason(a.wrapup), `{"threshold_seconds":5}`, "", s409, callfloor.ErrSystemReason, ""},
		{"queue member of another account", "", "PATCH", queue, fmt.Sprintf(`{"members":[{"extension_id":%d}]}`, b.agentExt.ID), "", s422, callfloor.ErrInvalidReference, "members[0].extension_id"},
		{"queue member without the queues feature", "", "PATCH", queue, fmt.Sprintf(`{"members":[{"extension_id":%d}]}`, a.plainExt.ID), "", s422, callfloor.ErrQueuesDisabled, "members[0].extension_id"},
		{"overflow to another account's queue", "", "PATCH", queue, fmt.Sprintf(`{"overflow_action":"queue","overflow_target_id":%d}`, b.queue.ID), "", s422, callfloor.ErrInvalidReference, "overflow_target_id"},
		{"outbound queue of another account", "", "PATCH", ext(a.agentExt), fmt.Sprintf(`{"agent":{"outbound_queue_id":%d}}`, b.queue.ID), "", s422, callfloor.ErrInvalidReference, "agent.outbound_queue_id"},
		{"caller-ID pool of another account", "", "PUT", ext(a.agentExt) + "/agent", fmt.Sprintf(`{"enabled":true,"caller_id_pool_id":%d}`, b.pool.ID), "", s422, callfloor.ErrInvalidReference, "agent.caller_id_pool_id"},
		{"user bound to another account's extension", "", "POST", "/api/v1/users", fmt.Sprintf(`{"username":"newbie","role":"supervisor","password":"long enough phrase","extension_id":%d}`, b.plainExt.ID), "", s422, callfloor.ErrInvalidReference, "extension_id"},
		{"username taken", "", "POST", "/api/v1/users", `{"username":"Alpha-Sup","role":"supervisor","password":"long enough phrase"}`, "", s409, callfloor.ErrUsernameTaken, "username"},
		{"extension bound twice", "", "POST", "/api/v1/users", fmt.Sprintf(`{"username":"newbie","role":"agent","password":"long enough phrase","extension_id":%d}`, a.agentExt.ID), "", s409, callfloor.ErrExtensionBound, "extension_id"},
		{"last admin demoted", "", "PATCH", user(a.admin), `{"role":"supervisor"}`, "", s409, callfloor.ErrLastAdmin, "role"},
		{"last admin disabled", "", "PATCH", user(a.admin), `{"disabled":true}`, "", s409, callfloor.ErrLastAdmin, "disabled"},
		{"last admin deleted", "", "DELETE", user(a.admin), nil, "", s409, callfloor.ErrLastAdmin, ""},
		{"bound extension deleted", "", "DELETE", ext(a.agentExt), nil, "", s409, callfloor.ErrInUse, ""},
		{"member loses the queues feature", "", "PATCH", ext(a.agentExt), `{"queues_feature":false,"agent":{"enabled":false}}`, "", s409, callfloor.ErrInUse, "queues_feature"},
		{"account name taken", "", "PATCH", "/api/v1/account", `{"name":"Zeta"}`, "", s409, callfloor.ErrAccountNameTaken, "name"},

		// Paths.
		{"id not a number", "", "GET", "/api/v1/users/abc", nil, "", s404, callfloor.ErrNotFound, ""},
		{"id zero", "", "GET", "/api/v1/users/0", nil, "", s404, callfloor.ErrNotFound, ""},
		{"id negative", "", "DELETE", "/api/v1/queues/-1", nil, "", s404, callfloor.ErrNotFound, ""},
		{"id with a sign", "", "GET", "/api/v1/users/+1", nil, "", s404, callfloor.ErrNotFound, ""},
		{"id too large", "", "GET", "/api/v1/users/99999999999999999999", nil, "", s404, callfloor.ErrNotFound, ""},
		{"id of nothing", "", "PATCH", "/api/v1/directory/999999", `{}`, "", s404, callfloor.ErrNotFound, ""},
		{"unknown route", "", "GET", "/api/v1/nothing", nil, "", s404, callfloor.ErrRouteNotFound, ""},
		{"unknown route without credentials", "none", "GET", "/nothing", nil, "", s404, callfloor.ErrRouteNotFound, ""},
		{"wrong method", "", "PUT", "/api/v1/users", `{}`, "", s405, callfloor.ErrMethodNotAllowed, ""},
		{"wrong method on an id", "none", "POST", "/api/v1/users/1", `{}`, "", s405, callfloor.ErrMethodNotAllowed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.snapshot(a, b, c)
			rq := req{method: tc.method, path: tc.path, body: tc.body, token: tc.tok}
			switch tc.tok {
			case "":
				rq.token = a.adminTok
			case "none":
				rq.token = ""
			}
			if tc.body == "" {
				rq.body = nil
			}
			switch tc.contentType {
			case "":
			case "none":
				rq.header = map[string]string{"Content-Type": ""}
			default:
				rq.header = map[string]string{"Content-Type": tc.contentType}
			}
			w := h.do(rq)
			wantError(t, w, tc.status, tc.code, tc.field)
			if tc.status == s405 && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if after := h.snapshot(a, b, c); after != before {
				t.Errorf("a refused request changed stored data:\nbefore %s\nafter %s", before, after)
			}
		})
	}
}
