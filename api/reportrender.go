package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/mailer"
)

// RenderedReport is a report made for mailing: its CSV file, the same
// columns as the page's Export CSV, and a few lines that sum it up.
type RenderedReport struct {
	FileName string
	CSV      []byte
	Summary  string
}

// RenderReport runs a report of the account over the local dates from
// and to (both included, as calendar dates) through the same handlers the
// API serves, and writes it as CSV.
func (s *Server) RenderReport(ctx context.Context, accountID int64, kind callfloor.ReportKind, from, to time.Time) (*RenderedReport, error) {
	q := url.Values{"from": {from.Format(dateLayout)}, "to": {to.Format(dateLayout)}}
	r, err := http.NewRequestWithContext(callfloor.SystemContext(ctx, accountID), "GET", "/?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	names, err := s.reportNames(r.Context())
	if err != nil {
		return nil, err
	}
	period := from.Format(dateLayout)
	if !to.Equal(from) {
		period += "-to-" + to.Format(dateLayout)
	}
	out := &RenderedReport{FileName: string(kind) + "-" + period + ".csv"}
	var rows [][]string
	switch kind {
	case callfloor.ReportAttendance, callfloor.ReportPauses:
		l, err := s.teamAttendance(nil, r)
		if err != nil {
			return nil, err
		}
		if kind == callfloor.ReportAttendance {
			rows, out.Summary = attendanceCSV(l.Items)
		} else {
			rows, out.Summary = pausesCSV(l.Items)
		}
	case callfloor.ReportDispositions:
		l, err := s.dispositionReport(nil, r)
		if err != nil {
			return nil, err
		}
		rows, out.Summary = dispositionsCSV(l.Items, names)
	case callfloor.ReportQueues:
		l, err := s.queueReport(nil, r)
		if err != nil {
			return nil, err
		}
		rows, out.Summary = queuesCSV(l.Items, names)
	default:
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "report", "no report named %q", kind)
	}
	out.CSV = writeCSV(rows)
	return out, nil
}

// DeliverReport mails the schedule's report for the period a send at run
// covers, through the account's mail server.
func (s *Server) DeliverReport(ctx context.Context, rs *callfloor.ReportSchedule, run time.Time) error {
	sys := callfloor.SystemContext(ctx, rs.AccountID)
	acc, err := s.store.FindAccountByID(sys, rs.AccountID)
	if err != nil {
		return err
	}
	set, err := s.store.FindSMTPSettings(sys)
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return callfloor.Errorf(callfloor.ErrMailFailed, "the account has no mail server set (Admin, Automated reports)")
	}
	if err != nil {
		return err
	}
	loc := acc.Location()
	from, to := rs.Period(run, loc)
	rep, err := s.RenderReport(ctx, rs.AccountID, rs.Report, from, to)
	if err != nil {
		return err
	}
	period := from.Format("2 Jan 2006")
	if !to.Equal(from) {
		period = from.Format("2 Jan 2006") + " to " + to.Format("2 Jan 2006")
	}
	text := fmt.Sprintf("%s for %s, %s (%s).\n\n%s\n\nThe full report is attached as %s.\n\n"+
		"Sent by callfloor for the schedule %q. An administrator can change or stop it under Admin, Automated reports.\n",
		rs.Report.Title(), acc.Name, period, loc.String(), rep.Summary, rep.FileName, rs.Name)
	return s.mail.Send(ctx, set, &mailer.Message{
		From:        set.From,
		To:          rs.Recipients,
		Subject:     fmt.Sprintf("%s, %s: %s", rs.Report.Title(), acc.Name, period),
		Text:        text,
		Attachments: []mailer.Attachment{{Name: rep.FileName, ContentType: "text/csv", Data: rep.CSV}},
	})
}

// sendTestMail sends a short message through the account's mail server.
func (s *Server) sendTestMail(ctx context.Context, accountID int64, to string) error {
	set, err := s.store.FindSMTPSettings(ctx)
	if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
		return callfloor.Errorf(callfloor.ErrMailFailed, "the account has no mail server set: save the settings first")
	}
	if err != nil {
		return err
	}
	acc, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	return s.mail.Send(ctx, set, &mailer.Message{
		From:    set.From,
		To:      []string{to},
		Subject: "callfloor test message for " + acc.Name,
		Text: fmt.Sprintf("This is a test from callfloor: %s's automated reports will be sent through %s:%d (%s).\n",
			acc.Name, set.Host, set.Port, set.Security),
	})
}

// reportNames are the names a report shows for the ids it holds.
type reportNames struct {
	agents, queues, campaigns map[int64]string
}

func (s *Server) reportNames(ctx context.Context) (reportNames, error) {
	n := reportNames{agents: map[int64]string{}, queues: map[int64]string{}, campaigns: map[int64]string{}}
	exts, err := s.store.ListExtensions(ctx)
	if err != nil {
		return n, err
	}
	for _, e := range exts {
		n.agents[e.ID] = e.Name + " (" + e.Number + ")"
	}
	qs, err := s.store.ListQueues(ctx)
	if err != nil {
		return n, err
	}
	for _, q := range qs {
		n.queues[q.ID] = q.Name
	}
	cs, err := s.store.ListCampaigns(ctx)
	if err != nil {
		return n, err
	}
	for _, c := range cs {
		n.campaigns[c.ID] = c.Name
	}
	return n, nil
}

func name(m map[int64]string, id int64, what string) string {
	if v, ok := m[id]; ok {
		return v
	}
	return fmt.Sprintf("%s %d (deleted)", what, id)
}

// writeCSV writes rows; a cell a spreadsheet would run as a formula
// (=, +, -, @ first) is written as text, as the page's export does.
func writeCSV(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, row := range rows {
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				if _, err := strconv.ParseFloat(c, 64); err != nil {
					row[i] = "'" + c
				}
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

func secs(v float64) string   { return strconv.FormatInt(int64(v+0.5), 10) }
func fixed1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// hm writes seconds as hours and minutes.
func hm(v float64) string {
	m := int64(v+30) / 60
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}

func attendanceCSV(items []AgentAttendance) ([][]string, string) {
	rows := [][]string{{"agent", "number", "login_seconds", "talk_seconds", "ringing_seconds", "preview_seconds", "wrapup_seconds",
		"idle_seconds", "productive_pause_seconds", "unproductive_pause_seconds", "calls", "successful", "unsure",
		"failed_numbers", "failed_contacts", "first_login", "last_logoff"}}
	var login, talk, pause float64
	var calls, present int
	for _, a := range items {
		t := a.Total
		first, last := "", ""
		if a.FirstLogin != nil {
			first = a.FirstLogin.Format(time.RFC3339)
		}
		if a.LastLogoff != nil {
			last = a.LastLogoff.Format(time.RFC3339)
		}
		rows = append(rows, []string{a.Name, a.Number, secs(t.LoginSeconds), secs(t.TalkSeconds), secs(t.RingingSeconds),
			secs(t.PreviewSeconds), secs(t.WrapupSeconds), secs(t.IdleSeconds), secs(t.ProductivePauseSeconds),
			secs(t.UnproductivePauseSeconds), strconv.Itoa(t.Calls), strconv.Itoa(t.Successful), strconv.Itoa(t.Unsure), strconv.Itoa(t.FailedNumbers),
			strconv.Itoa(t.FailedContacts), first, last})
		if t.LoginSeconds > 0 {
			present++
		}
		login, talk, calls = login+t.LoginSeconds, talk+t.TalkSeconds, calls+t.Calls
		pause += t.ProductivePauseSeconds + t.UnproductivePauseSeconds
	}
	sum := fmt.Sprintf("%d of %d agents logged in, for %s in all: %s talking, %s paused. %d calls.",
		present, len(items), hm(login), hm(talk), hm(pause), calls)
	return rows, sum
}

func pausesCSV(items []AgentAttendance) ([][]string, string) {
	rows := [][]string{{"date", "agent", "number", "reason", "productive", "pauses", "seconds"}}
	byReason := map[string]float64{}
	for _, a := range items {
		for _, p := range a.PauseDays {
			rows = append(rows, []string{p.Date, a.Name, a.Number, p.Reason, strconv.FormatBool(p.Productive), strconv.Itoa(p.Pauses), secs(p.Seconds)})
			byReason[p.Reason] += p.Seconds
		}
	}
	if len(byReason) == 0 {
		return rows, "No pauses in the period."
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int { return cmp.Or(cmp.Compare(byReason[b], byReason[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = r + " " + hm(byReason[r])
	}
	return rows, "Pause time by reason: " + strings.Join(parts, ", ") + "."
}

func dispositionsCSV(items []DispositionCount, n reportNames) ([][]string, string) {
	rows := [][]string{{"date", "agent", "queue_or_campaign", "category", "outcome", "calls"}}
	byCat := map[callfloor.Category]int{}
	total := 0
	for _, d := range items {
		src := ""
		switch {
		case d.QueueID != 0:
			src = name(n.queues, d.QueueID, "queue")
		case d.CampaignID != 0:
			src = name(n.campaigns, d.CampaignID, "campaign")
		}
		rows = append(rows, []string{d.Date, name(n.agents, d.ExtensionID, "extension"), src, string(d.Category), d.Outcome, strconv.Itoa(d.Calls)})
		byCat[d.Category] += d.Calls
		total += d.Calls
	}
	if total == 0 {
		return rows, "No calls were dispositioned in the period."
	}
	var parts []string
	for _, c := range callfloor.Categories {
		if byCat[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c, byCat[c]))
		}
	}
	return rows, fmt.Sprintf("%d calls dispositioned: %s.", total, strings.Join(parts, ", "))
}

func queuesCSV(items []QueueHour, n reportNames) ([][]string, string) {
	rows := [][]string{{"queue", "hour", "offered", "answered", "answered_in_sl", "abandoned", "overflowed", "service_level",
		"asa_seconds", "abandon_wait_seconds"}}
	var offered, answered, inSL, abandoned, overflowed int
	var wait float64
	for _, h := range items {
		rows = append(rows, []string{name(n.queues, h.QueueID, "queue"), h.Hour.Format(time.RFC3339), strconv.Itoa(h.Offered), strconv.Itoa(h.Answered),
			strconv.Itoa(h.AnsweredInSL), strconv.Itoa(h.Abandoned), strconv.Itoa(h.Overflowed), fixed1(h.ServiceLevel), fixed1(h.ASASeconds),
			fixed1(h.AbandonWaitSeconds)})
		offered, answered, inSL = offered+h.Offered, answered+h.Answered, inSL+h.AnsweredInSL
		abandoned, overflowed, wait = abandoned+h.Abandoned, overflowed+h.Overflowed, wait+h.ASASeconds*float64(h.Answered)
	}
	if offered == 0 {
		return rows, "No callers came into a queue in the period."
	}
	sl, asa := 100.0, 0.0
	if answered+abandoned > 0 {
		sl = 100 * float64(inSL) / float64(answered+abandoned)
	}
	if answered > 0 {
		asa = wait / float64(answered)
	}
	return rows, fmt.Sprintf("%d callers offered, %d answered (service level %.1f%%, average speed of answer %.0f s), %d abandoned, %d overflowed.",
		offered, answered, sl, asa, abandoned, overflowed)
}
