package api

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
)

// historyRoutes are the call history: the agent's Most Recent Activity,
// and the account's calls for supervisors and admins.
func historyRoutes() []route {
	const ok = http.StatusOK
	return []route{
		{"GET", "/api/v1/floor/me/activity", agent, ok, "getMyActivity", "history",
			"The caller's recent calls, newest first: number and name, direction, queue, disposition, notes and tags; incomplete dispositions are marked and can be completed with POST /api/v1/floor/me/dispositions",
			read((*Server).getMyActivity).withQuery(pageParams...)},
		{"GET", "/api/v1/calls", sup, ok, "listCalls", "history", "The account's calls, one row per call and agent, newest first, filtered",
			read((*Server).listCalls).withQuery(append(callFilterParams, pageParams...)...)},
		{"GET", "/api/v1/calls/export", sup, ok, "exportCalls", "history", "The same calls as GET /api/v1/calls as a CSV file (at most 10,000 rows)",
			read((*Server).exportCalls).withQuery(callFilterParams...)},
	}
}

var pageParams = []queryParam{
	{Name: "limit", Description: "Rows in a page, 1 to 200; default 50.", Bad: "0"},
	{Name: "before", Description: "The next value of the previous page: the rows after it.", Bad: "!!"},
}

var callFilterParams = []queryParam{
	{Name: "from", Format: "date", Description: "First day, a date (YYYY-MM-DD) in the account's time zone; default: the to date."},
	{Name: "to", Format: "date", Description: "Last day, included (YYYY-MM-DD, the account's time zone); default: today. At most 92 days after from."},
	{Name: "extension_id", Description: "Only this agent's calls (an extension id)."},
	{Name: "queue_id", Description: "Only calls of this queue."},
	{Name: "direction", Description: "Only calls of this direction: " + strings.Join(strs(callfloor.Directions), ", ") + ".", Bad: "sideways"},
	{Name: "category", Description: "Only calls with a disposition of this category: fail, unsure or success.", Bad: "maybe"},
	{Name: "number", Description: "Only calls whose number contains this (at most 32 characters).", Bad: strings.Repeat("1", 33)},
}

// CallView is a row of the call history as the API shows it.
type CallView struct {
	CallID      string `json:"call_id"`
	ExtensionID int64  `json:"extension_id"`
	// Agent is the agent's extension number.
	Agent     string              `json:"agent"`
	Direction callfloor.Direction `json:"direction"`
	Number    string              `json:"number"`
	// Name is who has the number: an extension or a directory entry.
	Name       string             `json:"name"`
	QueueID    int64              `json:"queue_id,omitempty"`
	QueueName  string             `json:"queue_name,omitempty"`
	Start      time.Time          `json:"start"`
	AnsweredAt *time.Time         `json:"answered_at"`
	EndedAt    *time.Time         `json:"ended_at"`
	EndReason  string             `json:"end_reason,omitempty"`
	Category   callfloor.Category `json:"category,omitempty"`
	Outcome    string             `json:"outcome,omitempty"`
	Notes      string             `json:"notes"`
	Tags       []string           `json:"tags"`
	Incomplete bool               `json:"incomplete"`
}

// CallPage is one page of calls; Next, when set, asks for the next.
type CallPage struct {
	Items []CallView `json:"items"`
	Next  *string    `json:"next"`
}

func (s *Server) getMyActivity(_ http.ResponseWriter, r *http.Request) (*CallPage, error) {
	ext, err := s.myExtension(r.Context())
	if err != nil {
		return nil, err
	}
	f := callfloor.CallFilter{ExtensionID: ext}
	if err := pageFilter(r, &f); err != nil {
		return nil, err
	}
	return s.callPage(r.Context(), f)
}

func (s *Server) listCalls(_ http.ResponseWriter, r *http.Request) (*CallPage, error) {
	f, err := s.callFilter(r)
	if err != nil {
		return nil, err
	}
	if err := pageFilter(r, &f); err != nil {
		return nil, err
	}
	return s.callPage(r.Context(), f)
}

// exportRows is the most rows one export holds.
const exportRows = 10000

// exportCalls writes the calls as CSV. A cell that a spreadsheet would
// read as a formula is written with a leading quote.
func (s *Server) exportCalls(w http.ResponseWriter, r *http.Request) (rawCSV, error) {
	f, err := s.callFilter(r)
	if err != nil {
		return rawCSV{}, err
	}
	f.Limit = exportRows
	page, err := s.callPage(r.Context(), f)
	if err != nil {
		return rawCSV{}, err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="calls.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"start", "answered", "ended", "agent", "direction", "number", "name", "queue", "category", "outcome", "notes", "tags", "incomplete", "end_reason", "call_id"})
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, c := range page.Items {
		row := []string{c.Start.UTC().Format(time.RFC3339), stamp(c.AnsweredAt), stamp(c.EndedAt), c.Agent, string(c.Direction),
			c.Number, c.Name, c.QueueName, string(c.Category), c.Outcome, c.Notes, strings.Join(c.Tags, "; "),
			strconv.FormatBool(c.Incomplete), c.EndReason, c.CallID}
		for i, v := range row {
			row[i] = csvSafe(v)
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return rawCSV{}, nil
}

// csvSafe keeps a cell from being run as a formula by a spreadsheet.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// callFilter reads the supervisors' filters.
func (s *Server) callFilter(r *http.Request) (callfloor.CallFilter, error) {
	ctx, q := r.Context(), r.URL.Query()
	acc, err := s.store.FindAccountByID(ctx, actorOf(r).AccountID)
	if err != nil {
		return callfloor.CallFilter{}, err
	}
	var f callfloor.CallFilter
	if f.From, f.To, err = dateRange(r, s.clock.Now(), acc.Location()); err != nil {
		return f, err
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"extension_id", &f.ExtensionID}, {"queue_id", &f.QueueID}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return f, callfloor.FieldError(callfloor.ErrInvalidField, p.name, "%s must be a positive id", p.name)
			}
			*p.dst = n
		}
	}
	if v := q.Get("direction"); v != "" {
		f.Direction = callfloor.Direction(v)
		if !validDirection(f.Direction) {
			return f, callfloor.FieldError(callfloor.ErrInvalidField, "direction", "direction must be one of %s", strings.Join(strs(callfloor.Directions), ", "))
		}
	}
	if v := q.Get("category"); v != "" {
		if f.Category = callfloor.Category(v); !f.Category.Valid() {
			return f, callfloor.FieldError(callfloor.ErrInvalidField, "category", "category must be fail, unsure or success")
		}
	}
	if f.Number = q.Get("number"); len(f.Number) > 32 {
		return f, callfloor.FieldError(callfloor.ErrInvalidField, "number", "number is at most 32 characters")
	}
	return f, nil
}

func validDirection(d callfloor.Direction) bool {
	for _, v := range callfloor.Directions {
		if v == d {
			return true
		}
	}
	return false
}

// pageFilter reads limit and before.
func pageFilter(r *http.Request, f *callfloor.CallFilter) error {
	q := r.URL.Query()
	f.Limit = 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return callfloor.FieldError(callfloor.ErrInvalidField, "limit", "limit must be 1 to 200")
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		c, err := decodeCursor(v)
		if err != nil {
			return callfloor.FieldError(callfloor.ErrInvalidField, "before", "before must be the next value of a previous page")
		}
		f.Before = c
	}
	return nil
}

type cursorJSON struct {
	Start int64  `json:"s"`
	Call  string `json:"c"`
	Ext   int64  `json:"e"`
}

func encodeCursor(c callfloor.CallCursor) string {
	b, _ := json.Marshal(cursorJSON{Start: c.Start.UnixMilli(), Call: c.CallID, Ext: c.ExtensionID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(v string) (*callfloor.CallCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &callfloor.CallCursor{Start: time.UnixMilli(c.Start).UTC(), CallID: c.Call, ExtensionID: c.Ext}, nil
}

// callPage brings the account's history up to its journal, then reads a
// page and names its numbers and queues.
func (s *Server) callPage(ctx context.Context, f callfloor.CallFilter) (*CallPage, error) {
	account := actorFromCtx(ctx).AccountID
	if err := s.history.CatchUp(ctx, account); err != nil {
		return nil, err
	}
	rows, err := s.store.ListCallRows(ctx, account, f)
	if err != nil {
		return nil, err
	}
	names, err := s.numberNames(ctx)
	if err != nil {
		return nil, err
	}
	page := &CallPage{Items: make([]CallView, 0, len(rows))}
	for _, c := range rows {
		page.Items = append(page.Items, CallView{CallID: c.CallID, ExtensionID: c.ExtensionID, Agent: names.extNumber[c.ExtensionID],
			Direction: c.Direction, Number: c.Number, Name: names.byNumber[c.Number], QueueID: c.QueueID, QueueName: names.queue[c.QueueID],
			Start: c.Start, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt, EndReason: c.EndReason, Category: c.Category,
			Outcome: c.Outcome, Notes: c.Notes, Tags: c.Tags, Incomplete: c.Incomplete})
	}
	if f.Limit > 0 && len(rows) == f.Limit {
		last := rows[len(rows)-1]
		next := encodeCursor(callfloor.CallCursor{Start: last.Start, CallID: last.CallID, ExtensionID: last.ExtensionID})
		page.Next = &next
	}
	return page, nil
}

type numberNames struct {
	byNumber  map[string]string
	extNumber map[int64]string
	queue     map[int64]string
}

// numberNames names the account's extensions, directory entries and
// queues.
func (s *Server) numberNames(ctx context.Context) (*numberNames, error) {
	n := &numberNames{byNumber: map[string]string{}, extNumber: map[int64]string{}, queue: map[int64]string{}}
	dir, err := s.store.ListDirectoryEntries(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range dir {
		n.byNumber[d.Number] = d.Name
	}
	exts, err := s.store.ListExtensions(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range exts {
		n.byNumber[e.Number], n.extNumber[e.ID] = e.Name, e.Number
	}
	qs, err := s.store.ListQueues(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		n.queue[q.ID] = q.Name
	}
	return n, nil
}
