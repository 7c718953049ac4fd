package callfloor

import (
	"regexp"
	"unicode"
	"unicode/utf8"
)

// checkName requires a non-empty printable name of at most max runes.
func checkName(field, v string, max int) error {
	if v == "" {
		return FieldError(ErrFieldRequired, field, "%s is required", field)
	}
	if utf8.RuneCountInString(v) > max {
		return FieldError(ErrInvalidField, field, "%s is longer than %d characters", field, max)
	}
	if !printable(v) {
		return FieldError(ErrInvalidField, field, "%s has control characters", field)
	}
	return nil
}

// CheckLine is checkName for other packages: one line of text (a tag, a
// name), required, at most max characters.
func CheckLine(field, v string, max int) error { return checkName(field, v, max) }

// checkOptionalText allows an empty value, otherwise like checkName.
func checkOptionalText(field, v string, max int) error {
	if v == "" {
		return nil
	}
	return checkName(field, v, max)
}

// CheckText is the one rule for free text that may run over lines (notes):
// at most max characters, valid UTF-8, no control characters but new
// lines and tabs, and no bidirectional overrides or isolates (which can
// make a text read other than it is).
func CheckText(field, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return FieldError(ErrInvalidField, field, "%s is longer than %d characters", field, max)
	}
	if !utf8.ValidString(v) {
		return FieldError(ErrInvalidField, field, "%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if r != '\n' && r != '\t' && forbidden(r) {
			return FieldError(ErrInvalidField, field, "%s has control or bidirectional formatting characters", field)
		}
	}
	return nil
}

// printable: valid UTF-8 with no control characters (new lines
// included) and no bidirectional formatting: the rule of names.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if forbidden(r) {
			return false
		}
	}
	return true
}

// forbidden runes are never taken in text: control characters (C0, DEL,
// C1), the bidirectional embeddings, overrides and isolates, and the
// replacement character a broken encoding leaves behind.
func forbidden(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError
}

var (
	extNumberRe   = regexp.MustCompile(`^[0-9]{2,8}$`)
	phoneNumberRe = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
	usernameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// checkExtensionNumber: an internal number, 2 to 8 digits.
func checkExtensionNumber(field, v string) error {
	if v == "" {
		return FieldError(ErrFieldRequired, field, "%s is required", field)
	}
	if !extNumberRe.MatchString(v) {
		return FieldError(ErrInvalidField, field, "%s must be 2 to 8 digits", field)
	}
	return nil
}

// checkPhoneNumber: a dialable number, digits with an optional leading +.
func checkPhoneNumber(field, v string) error {
	if v == "" {
		return FieldError(ErrFieldRequired, field, "%s is required", field)
	}
	if !phoneNumberRe.MatchString(v) {
		return FieldError(ErrInvalidField, field, "%s must be 1 to 32 digits, optionally starting with +", field)
	}
	return nil
}

// checkRange requires min <= v <= max.
func checkRange(field string, v, min, max int) error {
	if v < min || v > max {
		return FieldError(ErrInvalidField, field, "%s must be between %d and %d", field, min, max)
	}
	return nil
}
