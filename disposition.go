package callfloor

import (
	"fmt"
	"strings"
)

// Category is the first choice of a disposition.
type Category string

// Disposition categories.
const (
	CategoryFail    Category = "fail"
	CategoryUnsure  Category = "unsure"
	CategorySuccess Category = "success"
)

// Categories lists every valid category.
var Categories = []Category{CategoryFail, CategoryUnsure, CategorySuccess}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	return c == CategoryFail || c == CategoryUnsure || c == CategorySuccess
}

// FailScope says what a Fail outcome fails: the dialled number (the dialler
// tries the contact's next number) or the whole contact.
type FailScope string

// Fail scopes.
const (
	FailNumber  FailScope = "number"
	FailContact FailScope = "contact"
)

// FailScopes lists every valid fail scope.
var FailScopes = []FailScope{FailNumber, FailContact}

// Valid reports whether s is a known scope.
func (s FailScope) Valid() bool { return s == FailNumber || s == FailContact }

// NoAgentSubmission is the outcome the system records, in category Unsure,
// when wrap-up times out before the agent submits a disposition.
const NoAgentSubmission = "No agent submission"

// Outcome is one choice of a disposition list (a queue's or, later, a
// campaign's).
type Outcome struct {
	ID       int64    `json:"id"`
	Category Category `json:"category"`
	Name     string   `json:"name"`
	// FailScope is set for Fail outcomes only.
	FailScope FailScope `json:"fail_scope,omitempty"`
}

// ValidateOutcomes checks a disposition list: known categories, names
// unique within a category, a fail scope exactly for Fail outcomes.
func ValidateOutcomes(field string, outs []Outcome) error {
	seen := map[string]bool{}
	for i := range outs {
		o := &outs[i]
		f := fmt.Sprintf("%s[%d]", field, i)
		o.Name = strings.TrimSpace(o.Name)
		if !o.Category.Valid() {
			return FieldError(ErrInvalidField, f+".category", "category must be fail, unsure or success")
		}
		if err := checkName(f+".name", o.Name, 64); err != nil {
			return err
		}
		if o.Category == CategoryUnsure && strings.EqualFold(o.Name, NoAgentSubmission) {
			return FieldError(ErrNameTaken, f+".name", "%q is recorded by the system and cannot be configured", NoAgentSubmission)
		}
		switch {
		case o.Category == CategoryFail && !o.FailScope.Valid():
			return FieldError(ErrInvalidField, f+".fail_scope", "a fail outcome needs fail_scope number or contact")
		case o.Category != CategoryFail && o.FailScope != "":
			return FieldError(ErrInvalidField, f+".fail_scope", "only fail outcomes have a fail_scope")
		}
		key := string(o.Category) + "\x00" + strings.ToLower(o.Name)
		if seen[key] {
			return FieldError(ErrNameTaken, f+".name", "outcome %q appears twice in category %s", o.Name, o.Category)
		}
		seen[key] = true
	}
	return nil
}
