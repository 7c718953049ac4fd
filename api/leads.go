package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/leadimport"
)

// importLimit is the largest CSV import body: about 300,000 leads.
const importLimit = 64 << 20

func leadRoutes() []route {
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		none    = http.StatusNoContent
	)
	return []route{
		{"GET", "/api/v1/campaign-lists", sup, ok, "listCampaignLists", "campaigns", "List a campaign's lists with their lead counts",
			read((*Server).listCampaignLists).withQuery(queryParam{Name: "campaign_id", Description: "Only this campaign's lists.", Bad: "x"})},
		{"POST", "/api/v1/campaign-lists", admin, created, "createCampaignList", "campaigns", "Create a list of a campaign", write((*Server).createCampaignList)},
		{"GET", "/api/v1/campaign-lists/{id}", sup, ok, "getCampaignList", "campaigns", "Get a list", read((*Server).getCampaignList)},
		{"PATCH", "/api/v1/campaign-lists/{id}", admin, ok, "updateCampaignList", "campaigns", "Rename a list, or make it active or not", write((*Server).updateCampaignList)},
		{"DELETE", "/api/v1/campaign-lists/{id}", admin, none, "deleteCampaignList", "campaigns", "Delete a list with its leads", read((*Server).deleteCampaignList)},
		{"POST", "/api/v1/campaign-lists/{id}/import", admin, ok, "importLeads", "campaigns",
			"Import leads from CSV text with a column mapping; answers with the rows refused and why (bad numbers, missing fields, duplicates). dry_run checks without storing.",
			write((*Server).importLeads).largeBody(importLimit)},
		{"GET", "/api/v1/campaign-lists/{id}/export", sup, ok, "exportLeads", "campaigns", "The list's leads with their results, as a CSV file", read((*Server).exportLeads)},

		{"GET", "/api/v1/leads", sup, ok, "listLeads", "campaigns", "List leads, in id order, 500 a page",
			read((*Server).listLeads).withQuery(leadParams...)},
		{"POST", "/api/v1/leads", admin, created, "createLead", "campaigns", "Add a lead to a list", write((*Server).createLead)},
		{"GET", "/api/v1/leads/{id}", sup, ok, "getLead", "campaigns", "Get a lead", read((*Server).getLead)},
		{"PATCH", "/api/v1/leads/{id}", admin, ok, "updateLead", "campaigns", "Change a lead; numbers and fields given are replaced whole", write((*Server).updateLead)},
		{"DELETE", "/api/v1/leads/{id}", admin, none, "deleteLead", "campaigns", "Delete a lead", read((*Server).deleteLead)},

		{"GET", "/api/v1/dnc", sup, ok, "listDNC", "campaigns", "The account's do-not-call list", read((*Server).listDNC)},
		{"POST", "/api/v1/dnc", admin, ok, "addDNC", "campaigns", "Put a number on the do-not-call list (the dialler never calls it)", write((*Server).addDNC)},
		{"POST", "/api/v1/dnc/remove", admin, none, "removeDNC", "campaigns", "Take a number off the do-not-call list", write((*Server).removeDNC)},
	}
}

var leadParams = []queryParam{
	{Name: "campaign_id", Description: "Only this campaign's leads.", Bad: "x"},
	{Name: "list_id", Description: "Only this list's leads.", Bad: "-1"},
	{Name: "status", Description: "Only leads of this status: " + strings.Join(strs(callfloor.LeadStatuses), ", ") + ".", Bad: "lost"},
	{Name: "number", Description: "Only leads with this number (normalised to E.164 in the campaign's country).", Bad: "abc"},
	{Name: "after", Description: "The last id of the previous page: the leads after it.", Bad: "!!"},
}

// queryID reads an optional positive id from the query.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, callfloor.FieldError(callfloor.ErrInvalidField, name, "%s must be a positive id", name)
	}
	return n, nil
}

// ---- lists

type listInput struct {
	CampaignID int64  `json:"campaign_id" api:"required"`
	Name       string `json:"name" api:"required"`
	Active     bool   `json:"active"`
}

func (listInput) resource() any { return callfloor.CampaignList{} }

type listUpdateInput struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

func (listUpdateInput) resource() any { return callfloor.CampaignList{} }

func (s *Server) listCampaignLists(_ http.ResponseWriter, r *http.Request) (list[*callfloor.CampaignList], error) {
	id, err := queryID(r, "campaign_id")
	if err != nil {
		return list[*callfloor.CampaignList]{}, err
	}
	return listOf(s.store.ListLists(r.Context(), id))
}

func (s *Server) createCampaignList(_ http.ResponseWriter, r *http.Request, dec decoder[listInput]) (*callfloor.CampaignList, error) {
	in := listInput{Active: true}
	if err := dec(&in); err != nil {
		return nil, err
	}
	l := &callfloor.CampaignList{CampaignID: in.CampaignID, Name: in.Name, Active: in.Active}
	if err := s.store.CreateList(r.Context(), l); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Server) getCampaignList(_ http.ResponseWriter, r *http.Request) (*callfloor.CampaignList, error) {
	id, err := pathID(r, "list")
	if err != nil {
		return nil, err
	}
	return s.store.FindListByID(r.Context(), id)
}

func (s *Server) updateCampaignList(_ http.ResponseWriter, r *http.Request, dec decoder[listUpdateInput]) (*callfloor.CampaignList, error) {
	id, err := pathID(r, "list")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateList(r.Context(), id, func(l *callfloor.CampaignList) error {
		in := listUpdateInput{Name: l.Name, Active: l.Active}
		if err := dec(&in); err != nil {
			return err
		}
		l.Name, l.Active = in.Name, in.Active
		return nil
	})
}

func (s *Server) deleteCampaignList(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "list")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteList(r.Context(), id)
}

// ---- import and export

type importInput struct {
	// CSV is the file's text: a header row, then a lead a row.
	CSV     string             `json:"csv" api:"required"`
	Mapping leadimport.Mapping `json:"mapping" api:"required"`
	// DryRun checks and reports without storing anything.
	DryRun bool `json:"dry_run"`
}

// ImportReport is what an import did.
type ImportReport struct {
	Rows     int                  `json:"rows"`
	Imported int                  `json:"imported"`
	Refused  []leadimport.Refusal `json:"refused"`
	DryRun   bool                 `json:"dry_run"`
}

// importLeads stores every row that makes a valid lead, in one
// transaction, and reports the others by row.
func (s *Server) importLeads(_ http.ResponseWriter, r *http.Request, dec decoder[importInput]) (*ImportReport, error) {
	id, err := pathID(r, "list")
	if err != nil {
		return nil, err
	}
	var in importInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	l, err := s.store.FindListByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.store.FindCampaignByID(ctx, l.CampaignID)
	if err != nil {
		return nil, err
	}
	known := func(ns []string) (map[string]bool, error) { return s.store.KnownNumbers(ctx, c.ID, ns) }
	res, err := leadimport.Read([]byte(in.CSV), c, in.Mapping, known)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Rows: res.Rows, Refused: res.Refused, DryRun: in.DryRun}
	if rep.Refused == nil {
		rep.Refused = []leadimport.Refusal{}
	}
	if !in.DryRun && len(res.Leads) > 0 {
		if err := s.store.CreateLeads(ctx, l.ID, res.Leads); err != nil {
			return nil, err
		}
	}
	rep.Imported = len(res.Leads)
	return rep, nil
}

// exportLeads writes the list's leads with their results as CSV: name,
// numbers, the campaign's fields, then where the dialler has them.
func (s *Server) exportLeads(w http.ResponseWriter, r *http.Request) (rawCSV, error) {
	id, err := pathID(r, "list")
	if err != nil {
		return rawCSV{}, err
	}
	ctx := r.Context()
	l, err := s.store.FindListByID(ctx, id)
	if err != nil {
		return rawCSV{}, err
	}
	c, err := s.store.FindCampaignByID(ctx, l.CampaignID)
	if err != nil {
		return rawCSV{}, err
	}
	// Two passes over the list, a page at a time, so that a list of a
	// million leads never sits in memory: the widest lead's numbers make
	// the header, then the rows are written.
	pages := func(each func([]*callfloor.Lead) error) error {
		for after := int64(0); ; {
			page, err := s.store.ListLeads(ctx, callfloor.LeadFilter{ListID: id, AfterID: after, Limit: 5000})
			if err != nil {
				return err
			}
			if err := each(page); err != nil {
				return err
			}
			if len(page) < 5000 {
				return nil
			}
			after = page[len(page)-1].ID
		}
	}
	numbers := 1
	if err := pages(func(page []*callfloor.Lead) error {
		for _, ld := range page {
			numbers = max(numbers, len(ld.Numbers))
		}
		return nil
	}); err != nil {
		return rawCSV{}, err
	}
	header := []string{"id", "name"}
	for i := range numbers {
		header = append(header, fmt.Sprintf("number_%d", i+1))
	}
	for _, f := range c.Fields {
		header = append(header, f.Name)
	}
	header = append(header, "time_zone", "priority", "status", "attempts", "last_tried_at", "last_result", "next_at", "failed_numbers")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="list-%d.csv"`, id))
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	// The status is sent: a failure now can only cut the file short.
	_ = pages(func(page []*callfloor.Lead) error {
		for _, ld := range page {
			row := []string{strconv.FormatInt(ld.ID, 10), ld.Name}
			var failed []string
			for i := range numbers {
				if i < len(ld.Numbers) {
					row = append(row, ld.Numbers[i].Number)
					if ld.Numbers[i].Failed {
						failed = append(failed, ld.Numbers[i].Number)
					}
				} else {
					row = append(row, "")
				}
			}
			for _, f := range c.Fields {
				row = append(row, ld.Fields[f.Name])
			}
			row = append(row, ld.TimeZone, strconv.Itoa(ld.Priority), string(ld.Status), strconv.Itoa(ld.Attempts),
				stamp(ld.LastTriedAt), ld.LastResult, stamp(ld.NextAt), strings.Join(failed, "; "))
			for i, v := range row {
				// A number in E.164 stays as it is, to import again: a
				// spreadsheet reads it as a number, never a formula.
				if !callfloor.IsE164(v) {
					row[i] = csvSafe(v)
				}
			}
			_ = cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	})
	cw.Flush()
	return rawCSV{}, nil
}

// ---- leads

// leadInput is the writable part of a lead. Numbers may be written as
// people write them; they are normalised to E.164 in the campaign's
// country.
type leadInput struct {
	ListID        int64                  `json:"list_id" api:"required"`
	Name          string                 `json:"name" api:"required"`
	Numbers       []callfloor.LeadNumber `json:"numbers" api:"required"`
	Fields        map[string]string      `json:"fields"`
	TimeZone      string                 `json:"time_zone"`
	AssignedExtID *int64                 `json:"assigned_extension_id"`
	Priority      int                    `json:"priority"`
	Status        callfloor.LeadStatus   `json:"status"`
	NextAt        *time.Time             `json:"next_at"`
	CallbackExtID *int64                 `json:"callback_extension_id"`
}

func (leadInput) resource() any { return callfloor.Lead{} }

func (in *leadInput) from(l *callfloor.Lead) {
	*in = leadInput{ListID: l.ListID, Name: l.Name, Numbers: l.Numbers, Fields: l.Fields, TimeZone: l.TimeZone,
		AssignedExtID: l.AssignedExtID, Priority: l.Priority, Status: l.Status, NextAt: l.NextAt, CallbackExtID: l.CallbackExtID}
}

// to copies the input onto l, normalising the numbers.
func (in *leadInput) to(l *callfloor.Lead, country string) error {
	if in.Status == callfloor.LeadActive && l.Status != callfloor.LeadActive {
		return callfloor.FieldError(callfloor.ErrInvalidField, "status", "a lead becomes active only when the dialler takes it")
	}
	l.Name, l.Fields, l.TimeZone, l.AssignedExtID = in.Name, in.Fields, in.TimeZone, in.AssignedExtID
	l.Priority, l.Status, l.NextAt, l.CallbackExtID = in.Priority, in.Status, in.NextAt, in.CallbackExtID
	l.Numbers = make([]callfloor.LeadNumber, len(in.Numbers))
	for i, n := range in.Numbers {
		e164, ok := callfloor.NormalizeNumber(n.Number, country)
		if !ok {
			return callfloor.FieldError(callfloor.ErrInvalidField, fmt.Sprintf("numbers[%d].number", i), "%q is not a phone number", n.Number)
		}
		l.Numbers[i] = callfloor.LeadNumber{Number: e164, Failed: n.Failed}
	}
	return nil
}

func (s *Server) leadFilter(r *http.Request) (callfloor.LeadFilter, error) {
	var f callfloor.LeadFilter
	var err error
	if f.CampaignID, err = queryID(r, "campaign_id"); err != nil {
		return f, err
	}
	if f.ListID, err = queryID(r, "list_id"); err != nil {
		return f, err
	}
	if f.AfterID, err = queryID(r, "after"); err != nil {
		return f, err
	}
	q := r.URL.Query()
	if v := q.Get("status"); v != "" {
		if f.Status = callfloor.LeadStatus(v); !f.Status.Valid() {
			return f, callfloor.FieldError(callfloor.ErrInvalidField, "status", "status must be one of %s", strings.Join(strs(callfloor.LeadStatuses), ", "))
		}
	}
	if v := q.Get("number"); v != "" {
		country := "44"
		if f.CampaignID != 0 {
			if c, err := s.store.FindCampaignByID(r.Context(), f.CampaignID); err == nil {
				country = c.CountryCode
			}
		}
		n, ok := callfloor.NormalizeNumber(v, country)
		if !ok {
			return f, callfloor.FieldError(callfloor.ErrInvalidField, "number", "number %q is not a phone number", v)
		}
		f.Number = n
	}
	f.Limit = 500
	return f, nil
}

func (s *Server) listLeads(_ http.ResponseWriter, r *http.Request) (list[*callfloor.Lead], error) {
	f, err := s.leadFilter(r)
	if err != nil {
		return list[*callfloor.Lead]{}, err
	}
	return listOf(s.store.ListLeads(r.Context(), f))
}

func (s *Server) getLead(_ http.ResponseWriter, r *http.Request) (*callfloor.Lead, error) {
	id, err := pathID(r, "lead")
	if err != nil {
		return nil, err
	}
	return s.store.FindLeadByID(r.Context(), id)
}

func (s *Server) createLead(_ http.ResponseWriter, r *http.Request, dec decoder[leadInput]) (*callfloor.Lead, error) {
	in := leadInput{Status: callfloor.LeadNew}
	if err := dec(&in); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if in.ListID == 0 {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "list_id", "list_id is required")
	}
	l, err := s.store.FindListByID(ctx, in.ListID)
	if err != nil {
		if callfloor.ErrorCode(err) == callfloor.ErrNotFound {
			return nil, callfloor.FieldError(callfloor.ErrInvalidReference, "list_id", "list %d does not exist in the account", in.ListID)
		}
		return nil, err
	}
	c, err := s.store.FindCampaignByID(ctx, l.CampaignID)
	if err != nil {
		return nil, err
	}
	ld := &callfloor.Lead{}
	if err := in.to(ld, c.CountryCode); err != nil {
		return nil, err
	}
	if err := s.store.CreateLeads(ctx, l.ID, []*callfloor.Lead{ld}); err != nil {
		return nil, unprefix(err)
	}
	return ld, nil
}

// unprefix drops the "leads[0]." a batch of one puts before a field.
func unprefix(err error) error {
	if f := callfloor.ErrorField(err); strings.HasPrefix(f, "leads[0].") {
		return callfloor.FieldError(callfloor.ErrorCode(err), strings.TrimPrefix(f, "leads[0]."), "%s", callfloor.ErrorMessage(err))
	}
	return err
}

func (s *Server) updateLead(_ http.ResponseWriter, r *http.Request, dec decoder[leadInput]) (*callfloor.Lead, error) {
	id, err := pathID(r, "lead")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	cur, err := s.store.FindLeadByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.store.FindCampaignByID(ctx, cur.CampaignID)
	if err != nil {
		return nil, err
	}
	return s.store.UpdateLead(ctx, id, func(l *callfloor.Lead) error {
		var in leadInput
		in.from(l)
		if err := dec(&in); err != nil {
			return err
		}
		if in.ListID != l.ListID {
			return callfloor.FieldError(callfloor.ErrFieldReadOnly, "list_id", "a lead stays in its list")
		}
		return in.to(l, c.CountryCode)
	})
}

func (s *Server) deleteLead(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "lead")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteLead(r.Context(), id)
}

// ---- do-not-call

type dncInput struct {
	// Number may be written as people write it; a national number is
	// taken to be in country (a calling code, 44 when left out).
	Number  string `json:"number" api:"required"`
	Note    string `json:"note"`
	Country string `json:"country_code"`
}

func (dncInput) resource() any { return callfloor.DNCEntry{} }

func (in dncInput) e164() (string, error) {
	country := in.Country
	if country == "" {
		country = "44"
	}
	n, ok := callfloor.NormalizeNumber(in.Number, country)
	if !ok {
		return "", callfloor.FieldError(callfloor.ErrInvalidField, "number", "%q is not a phone number", in.Number)
	}
	return n, nil
}

func (s *Server) listDNC(_ http.ResponseWriter, r *http.Request) (list[*callfloor.DNCEntry], error) {
	l, err := s.store.ListDNC(r.Context())
	sort.Slice(l, func(i, j int) bool { return l[i].Number < l[j].Number })
	return listOf(l, err)
}

func (s *Server) addDNC(_ http.ResponseWriter, r *http.Request, dec decoder[dncInput]) (*callfloor.DNCEntry, error) {
	var in dncInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	n, err := in.e164()
	if err != nil {
		return nil, err
	}
	e := &callfloor.DNCEntry{Number: n, Note: in.Note}
	if err := s.store.AddDNC(r.Context(), e); err != nil {
		return nil, err
	}
	return e, nil
}

func (s *Server) removeDNC(_ http.ResponseWriter, r *http.Request, dec decoder[dncInput]) (noContent, error) {
	var in dncInput
	if err := dec(&in); err != nil {
		return noContent{}, err
	}
	n, err := in.e164()
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.RemoveDNC(r.Context(), n)
}
