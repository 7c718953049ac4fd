package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/dialer"
	"github.com/callfloor/callfloor/floor"
	"github.com/callfloor/callfloor/webhook"
)

// TestCampaignLifecycle: an administrator creates a campaign with the
// defaults filled in, changes it (lists replaced whole), a supervisor puts
// an agent on campaign hold, and the campaign is deleted with its lists.
func TestCampaignLifecycle(t *testing.T) {
	h := newHarness(t)
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	w := h.call("POST", "/api/v1/campaigns", a.adminTok, map[string]any{
		"name": "Renewals", "type": "power",
		"members": []map[string]any{{"extension_id": a.agentExt.ID}},
		"fields":  []map[string]any{{"name": "policy", "label": "Policy", "required": true}},
		"outcomes": []map[string]any{
			{"category": "success", "name": "Renewed", "next": "done"},
			{"category": "fail", "name": "Wrong number", "next": "fail_number"},
			{"category": "unsure", "name": "Call me later", "next": "callback", "callback_scope": "agent"},
		},
		"webhook_buttons": []map[string]any{{"label": "Open in CRM", "url": "https://crm.example.com/hook", "body": `{"lead":"{{lead_id}}"}`}},
	})
	wantStatus(t, w, http.StatusCreated)
	c := decode[callfloor.Campaign](t, w)
	if c.ID == 0 || c.Type != callfloor.CampaignPower || !c.Active || c.TimeZone != "Europe/London" || c.AbandonTarget != 3 ||
		c.CallingHours.Start != "09:00" || len(c.Members) != 1 || c.Members[0].Number != "201" || c.Outcomes[1].FailScope != callfloor.FailNumber {
		t.Fatalf("created %+v", c)
	}
	path := idPath("/api/v1/campaigns/%d", c.ID)
	w = h.call("PATCH", path, a.adminTok, map[string]any{"active": false, "calling_hours": map[string]any{"start": "10:00"}, "max_ratio": 1.5})
	wantStatus(t, w, http.StatusOK)
	upd := decode[callfloor.Campaign](t, w)
	if upd.Active || upd.CallingHours.Start != "10:00" || upd.CallingHours.End != "20:00" || upd.MaxRatio != 1.5 || len(upd.Outcomes) != 3 {
		t.Fatalf("patched (objects merge, lists stay unless given) %+v", upd)
	}
	// Validation answers name the field.
	for _, tc := range []struct {
		body        map[string]any
		code, field string
	}{
		{map[string]any{"calling_hours": map[string]any{"start": "21:00"}}, callfloor.ErrInvalidField, "calling_hours.end"},
		{map[string]any{"time_zone": "Mars/Base"}, callfloor.ErrInvalidField, "time_zone"},
		{map[string]any{"members": []map[string]any{{"extension_id": a.plainExt.ID}}}, callfloor.ErrInvalidField, "members[0].extension_id"},
		{map[string]any{"outcomes": []map[string]any{{"category": "fail", "name": "No", "next": "done"}}}, callfloor.ErrInvalidField, "outcomes[0].next"},
		{map[string]any{"webhook_buttons": []map[string]any{{"label": "x", "url": "javascript:alert(1)"}}}, callfloor.ErrInvalidField, "webhook_buttons[0].url"},
		{map[string]any{"members": []map[string]any{{"extension_id": a.agentExt.ID, "number": "999"}}}, callfloor.ErrFieldReadOnly, "members[0].number"},
	} {
		wantError(t, h.call("PATCH", path, a.adminTok, tc.body), http.StatusUnprocessableEntity, tc.code, tc.field)
	}
	w = h.call("POST", "/api/v1/campaigns", a.adminTok, map[string]any{"name": "renewals"})
	wantError(t, w, http.StatusConflict, callfloor.ErrNameTaken, "name")

	// Campaign hold, by a supervisor, for a member only.
	hold := idPath("/api/v1/floor/campaigns/%d/hold", c.ID)
	w = h.call("POST", hold, a.supTok, map[string]any{"extension_id": a.agentExt.ID, "on_hold": true})
	wantStatus(t, w, http.StatusOK)
	if held := decode[callfloor.Campaign](t, w); !held.Members[0].OnHold {
		t.Fatalf("not on hold: %+v", held.Members)
	}
	wantError(t, h.call("POST", hold, a.supTok, map[string]any{"extension_id": a.plainExt.ID, "on_hold": true}),
		http.StatusConflict, callfloor.ErrNotCampaignMember, "extension_id")

	w = h.call("POST", "/api/v1/campaign-lists", a.adminTok, map[string]any{"campaign_id": c.ID, "name": "January"})
	wantStatus(t, w, http.StatusCreated)
	l := decode[callfloor.CampaignList](t, w)
	if !l.Active {
		t.Error("a new list is not active")
	}
	wantStatus(t, h.call("DELETE", path, a.adminTok, nil), http.StatusNoContent)
	wantError(t, h.call("GET", idPath("/api/v1/campaign-lists/%d", l.ID), a.adminTok, nil), http.StatusNotFound, callfloor.ErrNotFound, "")
}

// TestLeadImportAndExport: a CSV with a mapping imports the rows that make
// leads and reports the others by row; a dry run stores nothing; a second
// import of the same file refuses every row as a duplicate; the export
// gives the leads back with their numbers in E.164.
func TestLeadImportAndExport(t *testing.T) {
	h := newHarness(t)
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	l := a.list
	csvText := "Name,Phone,Other phone,Policy\n" +
		"Ada Lovelace,020 7946 0601,07700 900001,P-1\n" +
		"Bad,not a number,,P-2\n" +
		",020 7946 0603,,P-3\n" +
		"Ada again,+44 20 7946 0601,,P-4\n" +
		"Grace Hopper,+1 415 555 0134,,\"=HYPERLINK(\"\"x\"\")\"\n"
	body := map[string]any{"csv": csvText, "mapping": map[string]any{
		"name": "Name", "numbers": []string{"Phone", "Other phone"}, "fields": map[string]string{"policy": "Policy"}}}
	path := idPath("/api/v1/campaign-lists/%d/import", l.ID)

	dry := map[string]any{"csv": body["csv"], "mapping": body["mapping"], "dry_run": true}
	w := h.call("POST", path, a.adminTok, dry)
	wantStatus(t, w, http.StatusOK)
	if rep := decode[ImportReport](t, w); rep.Imported != 2 || !rep.DryRun || len(rep.Refused) != 3 {
		t.Fatalf("dry run %+v", rep)
	}
	if got, _ := h.store.ListLeads(a.ctx, callfloor.LeadFilter{ListID: l.ID}); len(got) != 1 {
		t.Fatalf("a dry run stored leads: %d in the list", len(got))
	}

	w = h.call("POST", path, a.adminTok, body)
	wantStatus(t, w, http.StatusOK)
	rep := decode[ImportReport](t, w)
	if rep.Rows != 5 || rep.Imported != 2 || len(rep.Refused) != 3 {
		t.Fatalf("import %+v", rep)
	}
	want := []struct {
		row         int
		code, field string
	}{{3, callfloor.ErrInvalidField, "numbers[0]"}, {4, callfloor.ErrFieldRequired, "name"}, {5, "duplicate", "numbers"}}
	for i, r := range want {
		if g := rep.Refused[i]; g.Row != r.row || g.Code != r.code || g.Field != r.field {
			t.Errorf("refusal %d: %+v, want row %d %s %s", i, g, r.row, r.code, r.field)
		}
	}
	w = h.call("POST", path, a.adminTok, body)
	wantStatus(t, w, http.StatusOK)
	if again := decode[ImportReport](t, w); again.Imported != 0 || len(again.Refused) != 5 || again.Refused[4].Code != "duplicate" {
		t.Fatalf("second import %+v", again)
	}
	wantError(t, h.call("POST", path, a.adminTok, map[string]any{"csv": "Name\nA\n", "mapping": map[string]any{"name": "Name", "numbers": []string{"Phone"}}}),
		http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "mapping.numbers[0]")

	w = h.call("GET", idPath("/api/v1/campaign-lists/%d/export", l.ID), a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	must(t, err)
	if len(rows) != 4 || strings.Join(rows[0][:5], ",") != "id,name,number_1,number_2,policy" {
		t.Fatalf("export header and rows: %q", rows)
	}
	if rows[2][1] != "Ada Lovelace" || rows[2][2] != "+442079460601" || rows[2][3] != "+447700900001" || rows[2][7] != "new" {
		t.Errorf("ada exported as %q", rows[2])
	}
	if rows[3][4] != `'=HYPERLINK("x")` {
		t.Errorf("a formula in a field is exported as a formula: %q", rows[3][4])
	}
}

// TestLeadEndpoints: a lead added with a national number is stored in
// E.164; its agent must be a member; a lead cannot be made active by
// hand; the do-not-call list takes numbers as people write them.
func TestLeadEndpoints(t *testing.T) {
	h := newHarness(t)
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	w := h.call("POST", "/api/v1/leads", a.adminTok, map[string]any{"list_id": a.list.ID, "name": "Ada",
		"numbers": []map[string]any{{"number": "020 7946 0601"}}, "fields": map[string]string{"policy": "P-1"}})
	wantStatus(t, w, http.StatusCreated)
	ld := decode[callfloor.Lead](t, w)
	if ld.Numbers[0].Number != "+442079460601" || ld.Status != callfloor.LeadNew || ld.CampaignID != a.campaign.ID {
		t.Fatalf("created %+v", ld)
	}
	path := idPath("/api/v1/leads/%d", ld.ID)
	wantError(t, h.call("PATCH", path, a.adminTok, map[string]any{"assigned_extension_id": a.plainExt.ID}),
		http.StatusConflict, callfloor.ErrNotCampaignMember, "assigned_extension_id")
	wantError(t, h.call("PATCH", path, a.adminTok, map[string]any{"status": "active"}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "status")
	wantError(t, h.call("PATCH", path, a.adminTok, map[string]any{"list_id": 9999}), http.StatusUnprocessableEntity, callfloor.ErrFieldReadOnly, "list_id")
	wantError(t, h.call("PATCH", path, a.adminTok, map[string]any{"attempts": 0}), http.StatusUnprocessableEntity, callfloor.ErrFieldReadOnly, "attempts")
	w = h.call("PATCH", path, a.adminTok, map[string]any{"assigned_extension_id": a.agentExt.ID, "priority": 9})
	wantStatus(t, w, http.StatusOK)
	if got := decode[callfloor.Lead](t, w); got.AssignedExtID == nil || *got.AssignedExtID != a.agentExt.ID || got.Priority != 9 {
		t.Fatalf("patched %+v", got)
	}
	w = h.call("GET", "/api/v1/leads?number=020%207946%200601&campaign_id="+itoa(a.campaign.ID), a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if found := decode[list[callfloor.Lead]](t, w); len(found.Items) != 1 || found.Items[0].ID != ld.ID {
		t.Fatalf("found by number %+v", found)
	}

	w = h.call("POST", "/api/v1/dnc", a.adminTok, map[string]any{"number": "020 7946 0602", "note": "asked"})
	wantStatus(t, w, http.StatusOK)
	if e := decode[callfloor.DNCEntry](t, w); e.Number != "+442079460602" {
		t.Fatalf("dnc %+v", e)
	}
	wantError(t, h.call("POST", "/api/v1/dnc", a.adminTok, map[string]any{"number": "call me"}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "number")
	wantStatus(t, h.call("POST", "/api/v1/dnc/remove", a.adminTok, map[string]any{"number": "+442079460602"}), http.StatusNoContent)
	wantError(t, h.call("POST", "/api/v1/dnc/remove", a.adminTok, map[string]any{"number": "+442079460602"}), http.StatusNotFound, callfloor.ErrNotFound, "")
}

// TestAgentPreviewEndpoints: with the dialler, the agent's lead endpoint
// shows the lead in preview with the script filled in and the countdown's
// end; skip puts it back (and the next round shows it again, the only
// one, after its rest); dial places the campaign call, and the lead endpoint then names
// the call. A campaign that does not allow skipping refuses it.
func TestAgentPreviewEndpoints(t *testing.T) {
	var d *dialer.Dialer
	h := newHarness(t, func(c *Config) {
		d = dialer.New(dialer.Config{Store: c.Store, Floor: c.Floor, Clock: c.Clock.(callfloor.TimerClock)})
		c.Previews = d
	})
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	_, err := h.store.UpdateCampaign(a.ctx, a.campaign.ID, func(c *callfloor.Campaign) error {
		c.CallingHours.Days = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
		c.Script = "Hello {{name}}, about policy {{policy}}."
		c.PreviewSeconds = 20
		return nil
	})
	must(t, err)
	must(t, h.floor.Reload(a.ctx, a.acc.ID))
	empty := decode[MyLead](t, h.call("GET", "/api/v1/floor/me/lead", a.agentTok, nil))
	if empty.Lead != nil {
		t.Fatalf("a lead before any: %+v", empty)
	}
	wantStatus(t, h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil), http.StatusOK)
	wantError(t, h.call("POST", "/api/v1/floor/me/preview/dial", a.agentTok, nil), http.StatusConflict, callfloor.ErrCallState, "")
	d.Tick(context.Background())
	w := h.call("GET", "/api/v1/floor/me/lead", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	mine := decode[MyLead](t, w)
	if mine.Lead == nil || mine.Lead.ID != a.lead.ID || mine.Script != "Hello alpha lead, about policy alpha-1." || mine.Number != "+441632960777" ||
		mine.DialAt == nil || !mine.DialAt.Equal(h.clock.Now().Add(20*time.Second)) || mine.Campaign.Name != "alpha campaign" {
		t.Fatalf("lead in preview %+v", mine)
	}
	v := decode[AgentView](t, h.call("POST", "/api/v1/floor/me/preview/skip", a.agentTok, nil))
	if v.State != callfloor.StateIdle {
		t.Fatalf("after skip: %s", v.State)
	}
	h.clock.Advance(dialer.SkipRest)
	d.Tick(context.Background())
	w = h.call("POST", "/api/v1/floor/me/preview/dial", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	if v := decode[AgentView](t, w); v.State != callfloor.StateOnCall || len(v.Lines) != 1 || v.Lines[0].Call.LeadID != a.lead.ID {
		t.Fatalf("after dial: %+v", v)
	}
	mine = decode[MyLead](t, h.call("GET", "/api/v1/floor/me/lead", a.agentTok, nil))
	if mine.CallID == "" || mine.DialAt != nil || mine.Lead.Attempts != 1 {
		t.Fatalf("lead in call %+v", mine)
	}
	// The boards' figures: one call dialled today, not yet connected, the
	// lead active, the member on the call.
	w = h.call("GET", "/api/v1/campaigns/stats", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	stats := decode[list[CampaignStats]](t, w).Items
	if len(stats) != 1 || stats[0].Dialled != 1 || stats[0].Connected != 0 || stats[0].Remaining != 0 ||
		stats[0].Leads[callfloor.LeadActive] != 1 || stats[0].Agents[callfloor.StateOnCall] != 1 {
		t.Fatalf("stats %+v", stats)
	}

	_, err = h.store.UpdateCampaign(a.ctx, a.campaign.ID, func(c *callfloor.Campaign) error { c.SkipAllowed = false; return nil })
	must(t, err)
	h.call("POST", "/api/v1/sim/hangup", a.adminTok, map[string]any{"extension_id": a.agentExt.ID, "call_id": mine.CallID, "reason": "rejected"})
	h.clock.Advance(2 * time.Hour)
	d.Tick(context.Background())
	if decode[MyLead](t, h.call("GET", "/api/v1/floor/me/lead", a.agentTok, nil)).Lead == nil {
		t.Fatal("the busy lead is not shown again after its retry delay")
	}
	wantError(t, h.call("POST", "/api/v1/floor/me/preview/skip", a.agentTok, nil), http.StatusForbidden, callfloor.ErrNotPermitted, "")
}

// TestPowerCampaignStats: a power campaign's figures of the day come
// from the dialler's journal records (each call placed once: connected,
// abandoned, or not a person), with its pacing now.
func TestPowerCampaignStats(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Previews = dialer.New(dialer.Config{Store: c.Store, Floor: c.Floor, Clock: c.Clock.(callfloor.TimerClock)})
	})
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	_, err := h.store.UpdateCampaign(a.ctx, a.campaign.ID, func(c *callfloor.Campaign) error { c.Type = callfloor.CampaignPower; return nil })
	must(t, err)
	for i, reason := range []string{"connected", "abandoned", "busy", "connected", "machine"} {
		rec := callfloor.CallRecord{CallID: fmt.Sprint("pw-", i), Step: dialer.StepCampaignAttempt, Reason: reason,
			CampaignID: a.campaign.ID, LeadID: 1, Number: "+442079460601"}
		if _, err := h.floor.Do(context.Background(), a.acc.ID, floor.Record{Call: rec}); err != nil {
			t.Fatal(err)
		}
	}
	w := h.call("GET", "/api/v1/campaigns/stats", a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	stats := decode[list[CampaignStats]](t, w).Items
	if len(stats) != 1 {
		t.Fatalf("stats %+v", stats)
	}
	s := stats[0]
	if s.Dialled != 5 || s.Connected != 2 || s.Abandoned != 1 || s.AbandonedRate < 33.3 || s.AbandonedRate > 33.4 ||
		s.Pacing == nil || s.Pacing.Ratio != 1 {
		t.Fatalf("power stats %+v (pacing %+v)", s, s.Pacing)
	}
}

// TestMappings: an agent's mappings say why nothing reaches them (logged
// off), list their queues with penalties and their campaigns with the
// leads each holds; a supervisor reads any agent's, an agent only their
// own.
func TestMappings(t *testing.T) {
	var d *dialer.Dialer
	h := newHarness(t, func(c *Config) {
		d = dialer.New(dialer.Config{Store: c.Store, Floor: c.Floor, Clock: c.Clock.(callfloor.TimerClock)})
		c.Previews = d
	})
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	w := h.call("GET", "/api/v1/floor/me/mappings", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	m := decode[Mappings](t, w)
	if len(m.Reasons) != 1 || m.Reasons[0].Code != callfloor.ErrAgentLoggedOff {
		t.Fatalf("logged off: %+v", m.Reasons)
	}
	if len(m.Queues) != 1 || m.Queues[0].QueueID != a.queue.ID || m.Queues[0].Penalty != 5 {
		t.Fatalf("queues %+v", m.Queues)
	}
	// Saturday 09:00 in the harness: the campaign calls on weekdays; and
	// it has no number to show (no pool, no default on the trunk).
	if len(m.Campaigns) != 1 || m.Campaigns[0].Counts.Open != 1 || len(m.Campaigns[0].Reasons) != 2 ||
		m.Campaigns[0].Reasons[0].Code != dialer.ReasonOutsideHours || m.Campaigns[0].Reasons[1].Code != dialer.ReasonNoCallerID {
		t.Fatalf("campaigns %+v", m.Campaigns)
	}
	wantStatus(t, h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil), http.StatusOK)
	w = h.call("GET", idPath("/api/v1/floor/agents/%d/mappings", a.agentExt.ID), a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	if m := decode[Mappings](t, w); len(m.Reasons) != 0 || m.State != callfloor.StateIdle {
		t.Fatalf("a free agent: %+v", m)
	}
	wantError(t, h.call("GET", idPath("/api/v1/floor/agents/%d/mappings", a.agentExt.ID), a.agentTok, nil), http.StatusForbidden, callfloor.ErrForbidden, "")
}

func TestMergeNumbers(t *testing.T) {
	n := func(s string, failed bool) callfloor.LeadNumber {
		return callfloor.LeadNumber{Number: s, Failed: failed}
	}
	rows := []struct {
		old  []callfloor.LeadNumber
		sent []string
		want string
	}{
		{[]callfloor.LeadNumber{n("+1", false)}, []string{"+1", "+2"}, "+1 +2"},
		{[]callfloor.LeadNumber{n("+1", false), n("+3", false)}, []string{"+1", "+3", "+2"}, "+1 +2 +3"}, // right after the one in use
		{[]callfloor.LeadNumber{n("+1", true), n("+3", false)}, []string{"+1", "+3", "+2"}, "+1! +3 +2"}, // in use: +3
		{[]callfloor.LeadNumber{n("+1", true), n("+3", true)}, []string{"+1", "+3", "+2"}, "+1! +3! +2"}, // all failed: at the end
		{[]callfloor.LeadNumber{n("+1", false), n("+3", false)}, []string{"+3", "+1"}, "+3 +1"},          // reordered
		{[]callfloor.LeadNumber{n("+1", true), n("+3", false)}, []string{"+3"}, "+3"},                    // one removed
	}
	for _, r := range rows {
		var got []string
		for _, x := range mergeNumbers(r.old, r.sent) {
			s := x.Number
			if x.Failed {
				s += "!"
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != r.want {
			t.Errorf("merge %v with %v: %v, want %s", r.old, r.sent, got, r.want)
		}
	}
}

// TestAgentEditsAndAddsCustomers: during a preview the agent edits the
// customer (a new number goes right after the one in use, and the call
// dials the lead as edited) and adds a new one, shown to them next; a
// campaign that allows neither refuses both.
func TestAgentEditsAndAddsCustomers(t *testing.T) {
	var d *dialer.Dialer
	h := newHarness(t, func(c *Config) {
		d = dialer.New(dialer.Config{Store: c.Store, Floor: c.Floor, Clock: c.Clock.(callfloor.TimerClock)})
		c.Previews = d
	})
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	_, err := h.store.UpdateCampaign(a.ctx, a.campaign.ID, func(c *callfloor.Campaign) error {
		c.CallingHours.Days = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
		return nil
	})
	must(t, err)
	wantError(t, h.call("PATCH", "/api/v1/floor/me/lead", a.agentTok, map[string]any{"name": "X"}), http.StatusConflict, callfloor.ErrCallState, "")
	wantStatus(t, h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil), http.StatusOK)
	d.Tick(context.Background())
	wantError(t, h.call("PATCH", "/api/v1/floor/me/lead", a.agentTok, map[string]any{"name": "X"}), http.StatusForbidden, callfloor.ErrNotPermitted, "")
	_, err = h.store.UpdateCampaign(a.ctx, a.campaign.ID, func(c *callfloor.Campaign) error {
		c.AllowEditLead, c.AllowAddLead = true, true
		return nil
	})
	must(t, err)
	w := h.call("PATCH", "/api/v1/floor/me/lead", a.agentTok, map[string]any{"name": "Alpha Lead Jr",
		"numbers": []string{"+441632960777", "07700 900777"}, "fields": map[string]string{"policy": "alpha-2"}})
	wantStatus(t, w, http.StatusOK)
	if l := decode[callfloor.Lead](t, w); l.Name != "Alpha Lead Jr" || len(l.Numbers) != 2 || l.Numbers[1].Number != "+447700900777" || l.Fields["policy"] != "alpha-2" {
		t.Fatalf("edited %+v", l)
	}
	wantError(t, h.call("PATCH", "/api/v1/floor/me/lead", a.agentTok, map[string]any{"numbers": []string{"call me"}}),
		http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "numbers[0]")
	// The one in use failed meanwhile (say): the edited lead dials the new one.
	_, err = h.store.UpdateLead(a.ctx, a.lead.ID, func(l *callfloor.Lead) error { l.Numbers[0].Failed = true; return nil })
	must(t, err)
	w = h.call("POST", "/api/v1/floor/me/preview/dial", a.agentTok, nil)
	wantStatus(t, w, http.StatusOK)
	if v := decode[AgentView](t, w); len(v.Lines) != 1 || v.Lines[0].Call.To != "+447700900777" {
		t.Fatalf("dialled %+v", v.Lines)
	}
	w = h.call("POST", "/api/v1/floor/me/leads", a.agentTok, map[string]any{"name": "New Customer",
		"numbers": []string{"020 7946 0999"}, "fields": map[string]string{"policy": "N-1"}})
	wantStatus(t, w, http.StatusCreated)
	added := decode[callfloor.Lead](t, w)
	if added.ListID != a.list.ID || added.Status != callfloor.LeadCallback || added.CallbackExtID == nil || *added.CallbackExtID != a.agentExt.ID {
		t.Fatalf("added %+v", added)
	}
	wantError(t, h.call("POST", "/api/v1/floor/me/leads", a.agentTok, map[string]any{"name": "", "numbers": []string{"020 7946 0998"}}),
		http.StatusUnprocessableEntity, callfloor.ErrFieldRequired, "name")
}

// TestWebhookButton: an agent in a campaign call presses a webhook button;
// the receiver gets the body filled with the call's and the lead's fields,
// signed with the campaign's secret (which the receiver verifies as any
// Standard Webhooks library would), and the agent sees its answer. A
// rotated secret signs from then on; an unknown button is refused.
func TestWebhookButton(t *testing.T) {
	var d *dialer.Dialer
	h := newHarness(t, func(c *Config) {
		d = dialer.New(dialer.Config{Store: c.Store, Floor: c.Floor, Clock: c.Clock.(callfloor.TimerClock)})
		c.Previews, c.WebhookAllowPrivate = d, true
	})
	a := h.seedWith("alpha", callfloor.LicenceAgentExtensions, 5)
	var mu sync.Mutex
	var bodies []string
	var verified []error
	secret := func() string {
		return decode[WebhookSecret](t, h.call("GET", idPath("/api/v1/campaigns/%d/webhook-secret", a.campaign.ID), a.adminTok, nil)).Secret
	}
	current := secret()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		verified = append(verified, webhook.Verify(current, r.Header, b, h.clock.Now()))
		mu.Unlock()
		io.WriteString(w, `{"crm":"ticket 42"}`)
	}))
	defer srv.Close()
	_, err := h.store.UpdateCampaign(a.ctx, a.campaign.ID, func(c *callfloor.Campaign) error {
		c.CallingHours.Days = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
		c.WebhookButtons = []callfloor.WebhookButton{{Label: "Open ticket", URL: srv.URL + "/hook",
			Body: `{"lead":"{{lead_id}}","name":"{{name}}","policy":"{{policy}}","call":"{{call_id}}","number":"{{number}}"}`}}
		return nil
	})
	must(t, err)
	wantStatus(t, h.call("POST", "/api/v1/floor/me/login", a.agentTok, nil), http.StatusOK)
	d.Tick(context.Background())
	v := decode[AgentView](t, h.call("POST", "/api/v1/floor/me/preview/dial", a.agentTok, nil))
	callID := v.Lines[0].Call.ID
	mine := decode[MyLead](t, h.call("GET", "/api/v1/floor/me/lead", a.agentTok, nil))
	w := h.call("POST", "/api/v1/floor/me/lead/webhook", a.agentTok, map[string]any{"button_id": mine.Campaign.WebhookButtons[0].ID})
	wantStatus(t, w, http.StatusOK)
	res := decode[ButtonResult](t, w)
	if !res.OK || res.Status != 200 || res.Excerpt != `{"crm":"ticket 42"}` || res.Label != "Open ticket" || res.Error != "" {
		t.Fatalf("result %+v", res)
	}
	mu.Lock()
	want := fmt.Sprintf(`{"lead":"%d","name":"alpha lead","policy":"alpha-1","call":"%s","number":"+441632960777"}`, a.lead.ID, callID)
	if len(bodies) != 1 || bodies[0] != want || verified[0] != nil {
		t.Fatalf("received %q (verified: %v), want %s", bodies, verified, want)
	}
	mu.Unlock()
	rotated := decode[WebhookSecret](t, h.call("POST", idPath("/api/v1/campaigns/%d/webhook-secret", a.campaign.ID), a.adminTok, nil)).Secret
	if rotated == current || !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("rotated %q from %q", rotated, current)
	}
	h.call("POST", "/api/v1/floor/me/lead/webhook", a.agentTok, map[string]any{"button_id": mine.Campaign.WebhookButtons[0].ID})
	mu.Lock()
	if len(verified) != 2 || verified[1] == nil {
		t.Fatalf("the old secret still verifies after a rotation: %v", verified)
	}
	mu.Unlock()
	wantError(t, h.call("POST", "/api/v1/floor/me/lead/webhook", a.agentTok, map[string]any{"button_id": 99}),
		http.StatusUnprocessableEntity, callfloor.ErrInvalidReference, "button_id")
}

// TestExportPagesThroughALongList: a list longer than one page is exported
// whole, each lead once, with the widest lead's numbers in the header.
func TestExportPagesThroughALongList(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	var leads []*callfloor.Lead
	for i := range 5001 {
		l := &callfloor.Lead{Name: fmt.Sprint("L", i), Numbers: []callfloor.LeadNumber{{Number: fmt.Sprintf("+4420794%05d", i)}}}
		if i == 5000 {
			l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: "+447700900999"})
		}
		leads = append(leads, l)
	}
	must(t, h.store.CreateLeads(a.ctx, a.list.ID, leads))
	w := h.call("GET", idPath("/api/v1/campaign-lists/%d/export", a.list.ID), a.supTok, nil)
	wantStatus(t, w, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	must(t, err)
	if len(rows) != 1+5002 || rows[0][3] != "number_2" || rows[len(rows)-1][3] != "+447700900999" {
		t.Fatalf("%d rows, header %q, last %q", len(rows), rows[0], rows[len(rows)-1])
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Fatalf("lead %s exported twice", r[0])
		}
		seen[r[0]] = true
	}
}
