// Package leadimport reads campaign leads from CSV: a header row, then one
// lead a row, with a mapping from the campaign's lead attributes to the
// file's column headers. Every row becomes a lead or a refusal that says
// which row, which attribute and why; numbers are normalised to E.164,
// and a number already seen (earlier in the file, or known to the caller)
// refuses its row as a duplicate. Nothing here touches a store.
package leadimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callfloor/callfloor"
)

// Mapping names the column of each lead attribute by its header.
type Mapping struct {
	Name string `json:"name"`
	// Numbers are the columns of the lead's numbers, in the order they
	// are tried; an empty cell is skipped.
	Numbers []string `json:"numbers"`
	// Fields maps a campaign field's name to its column.
	Fields   map[string]string `json:"fields"`
	TimeZone string            `json:"time_zone"`
	Priority string            `json:"priority"`
}

// Refusal is a row that did not become a lead.
type Refusal struct {
	// Row is the row's line in the file, the header being 1.
	Row     int    `json:"row"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ErrDuplicate is the code of a row whose every number is already a
// lead's of the campaign, or an earlier row's.
const ErrDuplicate = "duplicate"

// Result is what a file gave: the leads, ready to store, and the rows
// refused.
type Result struct {
	Leads   []*callfloor.Lead
	Refused []Refusal
	Rows    int
}

// MaxRows is the most data rows one file may have.
const MaxRows = 1_000_000

// Known reports which of numbers the campaign has already.
type Known func(numbers []string) (map[string]bool, error)

// Read parses a CSV file for campaign c with mapping m. It fails as a
// whole only when the file or the mapping cannot be used at all (no
// header, a mapped column missing, a mapping to no field); a bad row is
// refused and the others go on.
func Read(data []byte, c *callfloor.Campaign, m Mapping, known Known) (*Result, error) {
	if !utf8.Valid(data) {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "csv", "the file is not UTF-8 text; save it as CSV UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a spreadsheet's byte-order mark
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, callfloor.FieldError(callfloor.ErrInvalidField, "csv", "the file has no header row: %s", csvProblem(err))
	}
	cols, err := m.columns(header, c)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	seen := map[string]int{} // number -> row
	var pending []*callfloor.Lead
	var rows []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				return nil, callfloor.FieldError(callfloor.ErrInvalidField, "csv", "the file is not valid CSV: %s", csvProblem(err))
			}
		}
		if blank(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		res.Rows++
		if res.Rows > MaxRows {
			return nil, callfloor.FieldError(callfloor.ErrInvalidField, "csv", "the file has more than %d rows; split it", MaxRows)
		}
		l, ref := cols.lead(rec, c)
		if ref != nil {
			ref.Row = line
			res.Refused = append(res.Refused, *ref)
			continue
		}
		if first, dup := dupOf(l, seen); dup {
			res.Refused = append(res.Refused, Refusal{Row: line, Code: ErrDuplicate, Field: "numbers",
				Message: fmt.Sprintf("%s is on row %d already", l.Numbers[0].Number, first)})
			continue
		}
		for _, n := range l.Numbers {
			seen[n.Number] = line
		}
		pending = append(pending, l)
		rows = append(rows, line)
	}
	if known != nil && len(pending) > 0 {
		if err := dropKnown(res, pending, rows, known); err != nil {
			return nil, err
		}
	} else {
		res.Leads = pending
	}
	return res, nil
}

// dupOf reports whether any of l's numbers was on an earlier row.
func dupOf(l *callfloor.Lead, seen map[string]int) (int, bool) {
	for _, n := range l.Numbers {
		if row, ok := seen[n.Number]; ok {
			return row, true
		}
	}
	return 0, false
}

// dropKnown refuses the leads with a number the campaign has already.
func dropKnown(res *Result, pending []*callfloor.Lead, rows []int, known Known) error {
	var all []string
	for _, l := range pending {
		for _, n := range l.Numbers {
			all = append(all, n.Number)
		}
	}
	have, err := known(all)
	if err != nil {
		return err
	}
	for i, l := range pending {
		dup := ""
		for _, n := range l.Numbers {
			if have[n.Number] {
				dup = n.Number
				break
			}
		}
		if dup != "" {
			res.Refused = append(res.Refused, Refusal{Row: rows[i], Code: ErrDuplicate, Field: "numbers",
				Message: fmt.Sprintf("%s is a lead of the campaign already", dup)})
			continue
		}
		res.Leads = append(res.Leads, l)
	}
	return nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func csvProblem(err error) string {
	if err == io.EOF {
		return "it is empty"
	}
	return strings.TrimPrefix(err.Error(), "record on ")
}

// columns are the mapping's column indexes in the file.
type columns struct {
	name, tz, priority int // -1: not mapped
	numbers            []int
	fields             map[string]int
}

func (m Mapping) columns(header []string, c *callfloor.Campaign) (*columns, error) {
	idx := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		if _, dup := idx[key]; !dup {
			idx[key] = i
		}
	}
	find := func(field, h string, required bool) (int, error) {
		if strings.TrimSpace(h) == "" {
			if required {
				return -1, callfloor.FieldError(callfloor.ErrFieldRequired, field, "map %s to a column", field)
			}
			return -1, nil
		}
		i, ok := idx[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			return -1, callfloor.FieldError(callfloor.ErrInvalidField, field, "the file has no column %q", h)
		}
		return i, nil
	}
	cols := &columns{fields: map[string]int{}}
	var err error
	if cols.name, err = find("mapping.name", m.Name, true); err != nil {
		return nil, err
	}
	if len(m.Numbers) == 0 {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "mapping.numbers", "map at least one column of numbers")
	}
	for i, h := range m.Numbers {
		j, err := find(fmt.Sprintf("mapping.numbers[%d]", i), h, true)
		if err != nil {
			return nil, err
		}
		cols.numbers = append(cols.numbers, j)
	}
	if cols.tz, err = find("mapping.time_zone", m.TimeZone, false); err != nil {
		return nil, err
	}
	if cols.priority, err = find("mapping.priority", m.Priority, false); err != nil {
		return nil, err
	}
	defined := map[string]bool{}
	for _, f := range c.Fields {
		defined[f.Name] = true
	}
	for name, h := range m.Fields {
		if !defined[name] {
			return nil, callfloor.FieldError(callfloor.ErrUnknownField, "mapping.fields."+name, "the campaign has no field %q", name)
		}
		if cols.fields[name], err = find("mapping.fields."+name, h, true); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// lead makes a lead of one row, or says why not.
func (cols *columns) lead(rec []string, c *callfloor.Campaign) (*callfloor.Lead, *Refusal) {
	l := &callfloor.Lead{Name: cell(rec, cols.name), TimeZone: cell(rec, cols.tz), Fields: map[string]string{}}
	for i, col := range cols.numbers {
		raw := cell(rec, col)
		if raw == "" {
			continue
		}
		n, ok := callfloor.NormalizeNumber(raw, c.CountryCode)
		if !ok {
			return nil, &Refusal{Code: callfloor.ErrInvalidField, Field: fmt.Sprintf("numbers[%d]", i),
				Message: fmt.Sprintf("%q is not a phone number", raw)}
		}
		l.Numbers = append(l.Numbers, callfloor.LeadNumber{Number: n})
	}
	if p := cell(rec, cols.priority); p != "" {
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, &Refusal{Code: callfloor.ErrInvalidField, Field: "priority", Message: fmt.Sprintf("priority %q is not a whole number", p)}
		}
		l.Priority = v
	}
	for name, col := range cols.fields {
		if v := cell(rec, col); v != "" {
			l.Fields[name] = v
		}
	}
	// Two columns with one number: keep it once.
	uniq := l.Numbers[:0]
	got := map[string]bool{}
	for _, n := range l.Numbers {
		if !got[n.Number] {
			got[n.Number] = true
			uniq = append(uniq, n)
		}
	}
	l.Numbers = uniq
	if err := l.Validate(c); err != nil {
		return nil, &Refusal{Code: callfloor.ErrorCode(err), Field: callfloor.ErrorField(err), Message: callfloor.ErrorMessage(err)}
	}
	return l, nil
}
