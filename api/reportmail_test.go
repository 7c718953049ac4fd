package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/internal/smtptest"
)

// TestSMTPSettingsAPI: the password is write-only, kept when omitted,
// and every refusal names its field and changes nothing.
func TestSMTPSettingsAPI(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	const path = "/api/v1/settings/smtp"
	w := h.call("PUT", path, a.adminTok, map[string]any{"host": "smtp.alpha.example", "port": 587, "security": "starttls",
		"username": "reports", "password": "s3cret", "from": "reports@alpha.example"})
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), "s3cret") {
		t.Fatalf("the answer shows the password: %s", w.Body)
	}
	got := decode[callfloor.SMTPSettings](t, w)
	if !got.PasswordSet || got.Host != "smtp.alpha.example" {
		t.Fatalf("settings %+v, want the host and password_set", got)
	}
	// Omitting the password keeps it.
	wantStatus(t, h.call("PUT", path, a.adminTok, map[string]any{"host": "smtp2.alpha.example", "port": 465, "security": "tls",
		"username": "reports", "from": "reports@alpha.example"}), http.StatusOK)
	m, err := h.store.FindSMTPSettings(a.ctx)
	must(t, err)
	if m.Password != "s3cret" || m.Host != "smtp2.alpha.example" {
		t.Fatalf("stored %+v, want the new host and the old password", m)
	}
	cases := []struct {
		body  map[string]any
		code  string
		field string
	}{
		{map[string]any{"host": "", "port": 587, "security": "starttls", "from": "r@alpha.example"}, callfloor.ErrFieldRequired, "host"},
		{map[string]any{"host": "smtp.example", "port": 70000, "security": "starttls", "from": "r@alpha.example"}, callfloor.ErrInvalidField, "port"},
		{map[string]any{"host": "smtp.example", "port": 25, "security": "none", "username": "u", "from": "r@alpha.example"}, callfloor.ErrInvalidField, "security"},
		{map[string]any{"host": "smtp.example", "port": 25, "security": "none", "from": "Reports <r@alpha.example>"}, callfloor.ErrInvalidField, "from"},
		{map[string]any{"host": "smtp.example", "port": 25, "security": "none", "password": "x", "from": "r@alpha.example"}, callfloor.ErrFieldRequired, "username"},
		{map[string]any{"host": "smtp.example", "port": 25, "security": "ssl", "from": "r@alpha.example"}, callfloor.ErrInvalidField, "security"},
		{map[string]any{"host": "smtp.example", "port": 25, "security": "none", "from": "r@alpha.example", "password_set": true}, callfloor.ErrFieldReadOnly, "password_set"},
	}
	for _, tc := range cases {
		wantError(t, h.call("PUT", path, a.adminTok, tc.body), http.StatusUnprocessableEntity, tc.code, tc.field)
	}
	m, err = h.store.FindSMTPSettings(a.ctx)
	must(t, err)
	if m.Host != "smtp2.alpha.example" || m.Password != "s3cret" {
		t.Fatalf("a refused change altered the settings: %+v", m)
	}
	w = h.call("GET", path, a.adminTok, nil)
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), "s3cret") {
		t.Fatalf("GET shows the password: %s", w.Body)
	}
	wantStatus(t, h.call("DELETE", path, a.adminTok, nil), http.StatusNoContent)
	w = h.call("GET", path, a.adminTok, nil)
	if got := decode[callfloor.SMTPSettings](t, w); got.Host != "" || got.PasswordSet {
		t.Fatalf("after delete: %+v, want no server", got)
	}
	wantError(t, h.call("POST", path+"/test", a.adminTok, map[string]any{"to": "ops@alpha.example"}), http.StatusBadGateway, callfloor.ErrMailFailed, "")
}

// TestSMTPTestMessage: the test action reaches a real SMTP server, and a
// refusal comes back with the server's answer.
func TestSMTPTestMessage(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	srv := smtptest.Start(t, smtptest.Options{})
	wantStatus(t, h.call("PUT", "/api/v1/settings/smtp", a.adminTok, map[string]any{"host": srv.Host, "port": srv.Port,
		"security": "none", "from": "reports@alpha.example"}), http.StatusOK)
	wantStatus(t, h.call("POST", "/api/v1/settings/smtp/test", a.adminTok, map[string]any{"to": "ops@alpha.example"}), http.StatusNoContent)
	env, err := srv.Wait(1, 5*time.Second)
	must(t, err)
	if env.From != "reports@alpha.example" || len(env.To) != 1 || env.To[0] != "ops@alpha.example" {
		t.Fatalf("envelope %+v", env)
	}
	wantError(t, h.call("POST", "/api/v1/settings/smtp/test", a.adminTok, map[string]any{"to": "ops"}), http.StatusUnprocessableEntity, callfloor.ErrInvalidField, "to")

	refusing := smtptest.Start(t, smtptest.Options{RefuseRcpt: true})
	wantStatus(t, h.call("PUT", "/api/v1/settings/smtp", a.adminTok, map[string]any{"host": refusing.Host, "port": refusing.Port,
		"security": "none", "from": "reports@alpha.example"}), http.StatusOK)
	w := h.call("POST", "/api/v1/settings/smtp/test", a.adminTok, map[string]any{"to": "ops@alpha.example"})
	wantError(t, w, http.StatusBadGateway, callfloor.ErrMailFailed, "")
	if !strings.Contains(w.Body.String(), "550") {
		t.Fatalf("the refusal does not say what the server answered: %s", w.Body)
	}
}

// TestReportSchedulesAPI: the calendar is kept in the account's time
// zone, and every rule answers with its field.
func TestReportSchedulesAPI(t *testing.T) {
	h := newHarness(t) // 2025-03-01 09:00 UTC, a Saturday; London is on GMT
	a := h.seed("alpha")
	const path = "/api/v1/report-schedules"
	w := h.call("POST", path, a.adminTok, map[string]any{"name": "Weekly dispositions", "report": "dispositions",
		"frequency": "weekly", "weekday": 1, "hour": 8, "recipients": []string{"boss@alpha.example"}})
	wantStatus(t, w, http.StatusCreated)
	rs := decode[callfloor.ReportSchedule](t, w)
	if want := time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC); rs.NextRunAt == nil || !rs.NextRunAt.Equal(want) || !rs.Enabled {
		t.Fatalf("created %+v, want enabled and next run on Monday %v", rs, want)
	}
	w = h.call("PATCH", idPath(path+"/%d", rs.ID), a.adminTok, map[string]any{"frequency": "monthly", "month_day": 1, "hour": 6})
	wantStatus(t, w, http.StatusOK)
	rs = decode[callfloor.ReportSchedule](t, w)
	if want := time.Date(2025, 4, 1, 5, 0, 0, 0, time.UTC); !rs.NextRunAt.Equal(want) {
		t.Fatalf("monthly on the 1st at 06:00 London: next %v, want %v (summer time)", rs.NextRunAt, want)
	}
	w = h.call("PATCH", idPath(path+"/%d", rs.ID), a.adminTok, map[string]any{"enabled": false})
	if rs = decode[callfloor.ReportSchedule](t, w); rs.NextRunAt != nil {
		t.Fatalf("a disabled schedule runs at %v", rs.NextRunAt)
	}
	cases := []struct {
		body  map[string]any
		code  string
		field string
	}{
		{map[string]any{"name": "x", "report": "sales", "frequency": "daily", "recipients": []string{"a@b.example"}}, callfloor.ErrInvalidField, "report"},
		{map[string]any{"name": "x", "report": "queues", "frequency": "daily", "hour": 24, "recipients": []string{"a@b.example"}}, callfloor.ErrInvalidField, "hour"},
		{map[string]any{"name": "x", "report": "queues", "frequency": "monthly", "month_day": 31, "recipients": []string{"a@b.example"}}, callfloor.ErrInvalidField, "month_day"},
		{map[string]any{"name": "x", "report": "queues", "frequency": "daily", "recipients": []string{}}, callfloor.ErrFieldRequired, "recipients"},
		{map[string]any{"name": "x", "report": "queues", "frequency": "daily", "recipients": []string{"a@b.example", "nope"}}, callfloor.ErrInvalidField, "recipients[1]"},
		{map[string]any{"name": "weekly DISPOSITIONS", "report": "queues", "frequency": "daily", "recipients": []string{"a@b.example"}}, callfloor.ErrNameTaken, "name"},
		{map[string]any{"name": "x", "report": "queues", "frequency": "daily", "recipients": []string{"a@b.example"}, "last_status": "sent"}, callfloor.ErrFieldReadOnly, "last_status"},
	}
	for _, tc := range cases {
		status := http.StatusUnprocessableEntity
		if tc.code == callfloor.ErrNameTaken {
			status = http.StatusConflict
		}
		wantError(t, h.call("POST", path, a.adminTok, tc.body), status, tc.code, tc.field)
	}
}

// TestScheduledReportMail: "send now" mails the disposition report of
// the last complete period to every recipient, with the same rows as the
// API's report as CSV and a summary, and records the send; a failure is
// recorded with the server's answer.
func TestScheduledReportMail(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	srv := smtptest.Start(t, smtptest.Options{})
	wantStatus(t, h.call("PUT", "/api/v1/settings/smtp", a.adminTok, map[string]any{"host": srv.Host, "port": srv.Port,
		"security": "none", "from": "reports@alpha.example"}), http.StatusOK)
	tok, ext := a.agentTok, a.agentExt.ID
	agentOK(t, h, "POST", "/api/v1/floor/me/login", tok, nil)
	for i := range 3 {
		id := fmt.Sprint("m", i)
		sim(t, h, a, "offer", map[string]any{"extension_id": ext, "call_id": id, "direction": "queue_in", "queue_id": a.queue.ID, "from": "+441632960123"})
		sim(t, h, a, "answer", map[string]any{"extension_id": ext, "call_id": id})
		sim(t, h, a, "hangup", map[string]any{"extension_id": ext, "call_id": id})
		agentOK(t, h, "POST", "/api/v1/floor/me/dispositions", tok, map[string]any{"call_id": id, "category": "success", "outcome": "alpha sale"})
	}
	day := h.clock.Now().In(a.acc.Location()).Format(dateLayout)
	h.clock.Advance(24 * time.Hour) // the daily report covers yesterday
	adminTok := h.login(a, a.admin.Username)

	w := h.call("POST", "/api/v1/report-schedules", adminTok, map[string]any{"name": "Daily dispositions", "report": "dispositions",
		"frequency": "daily", "hour": 7, "recipients": []string{"boss@alpha.example", "ops@alpha.example"}})
	wantStatus(t, w, http.StatusCreated)
	rs := decode[callfloor.ReportSchedule](t, w)
	w = h.call("POST", idPath("/api/v1/report-schedules/%d/send", rs.ID), adminTok, nil)
	wantStatus(t, w, http.StatusOK)
	sent := decode[callfloor.ReportSchedule](t, w)
	if sent.LastStatus != callfloor.RunSent || sent.LastRunAt == nil || !sent.NextRunAt.Equal(*rs.NextRunAt) {
		t.Fatalf("after send now: %+v, want sent and the calendar unchanged", sent)
	}

	env, err := srv.Wait(1, 5*time.Second)
	must(t, err)
	if strings.Join(env.To, " ") != "boss@alpha.example ops@alpha.example" {
		t.Fatalf("sent to %v", env.To)
	}
	msg, err := smtptest.Parse(env.Data)
	must(t, err)
	if subj := msg.Header.Get("Subject"); !strings.Contains(subj, "Dispositions and outcomes") || !strings.Contains(subj, "1 Mar 2025") {
		t.Errorf("subject %q", subj)
	}
	if !strings.Contains(msg.Text, "3 calls dispositioned: success 3.") {
		t.Errorf("summary %q, want the count by category", msg.Text)
	}
	file := "dispositions-" + day + ".csv"
	rows, err := csv.NewReader(strings.NewReader(string(msg.Attachments[file]))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("attachment %s: %q (%v), want a header and one row; attachments %v", file, msg.Attachments[file], err, len(msg.Attachments))
	}
	want := []string{day, a.agentExt.Name + " (201)", a.queue.Name, "success", "alpha sale", "3"}
	if strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Fatalf("row %q, want %q", rows[1], want)
	}

	// The API's report of that day agrees with the mail.
	api := decode[list[DispositionCount]](t, h.call("GET", "/api/v1/reports/dispositions?from="+day+"&to="+day, adminTok, nil)).Items
	if len(api) != 1 || api[0].Calls != 3 {
		t.Fatalf("the API's report %+v disagrees with the mail", api)
	}

	// A server that refuses: the send fails with its answer, recorded.
	srv.Close()
	w = h.call("POST", idPath("/api/v1/report-schedules/%d/send", rs.ID), adminTok, nil)
	wantError(t, w, http.StatusBadGateway, callfloor.ErrMailFailed, "")
	got, err := h.store.FindReportScheduleByID(a.ctx, rs.ID)
	must(t, err)
	if got.LastStatus != callfloor.RunFailed || !strings.Contains(got.LastError, "connect to") {
		t.Fatalf("after a failed send: %+v", got)
	}
}

// TestRenderedReportsAgreeWithTheAPI: every kind renders from the same
// figures the pages show, and formula-looking names are written as text.
func TestRenderedReportsAgreeWithTheAPI(t *testing.T) {
	h := newHarness(t)
	a := h.seed("alpha")
	agentOK(t, h, "POST", "/api/v1/floor/me/login", a.agentTok, nil)
	agentOK(t, h, "POST", "/api/v1/floor/me/pause", a.agentTok, map[string]any{"reason_id": a.reason.ID})
	h.clock.Advance(10 * time.Minute)
	agentOK(t, h, "POST", "/api/v1/floor/me/unpause", a.agentTok, nil)
	h.clock.Advance(5 * time.Minute)
	day, _ := time.Parse(dateLayout, h.clock.Now().In(a.acc.Location()).Format(dateLayout))
	for _, kind := range callfloor.ReportKinds {
		rep, err := h.srv.RenderReport(a.ctx, a.acc.ID, kind, day, day)
		must(t, err)
		rows, err := csv.NewReader(strings.NewReader(string(rep.CSV))).ReadAll()
		if err != nil || len(rows) == 0 || rep.Summary == "" {
			t.Fatalf("%s: %q (%v), summary %q", kind, rep.CSV, err, rep.Summary)
		}
		switch kind {
		case callfloor.ReportAttendance:
			if len(rows) != 2 || rows[1][0] != a.agentExt.Name || rows[1][2] != "900" || rows[1][7] != "300" || rows[1][9] != "600" {
				t.Errorf("attendance rows %q, want 900 s logged in: 300 s idle, 600 s in an unproductive pause", rows)
			}
		case callfloor.ReportPauses:
			if len(rows) != 2 || rows[1][3] != a.reason.Name || rows[1][5] != "1" || rows[1][6] != "600" {
				t.Errorf("pause rows %q, want 600 s of %s", rows, a.reason.Name)
			}
			if !strings.Contains(rep.Summary, a.reason.Name+" 0h 10m") {
				t.Errorf("pause summary %q", rep.Summary)
			}
		}
	}
	if got := string(writeCSV([][]string{{"=HYPERLINK(\"x\")", "-12", "@a", "plain"}})); got != "\"'=HYPERLINK(\"\"x\"\")\",-12,'@a,plain\n" {
		t.Errorf("formula cells written as %q", got)
	}
}
