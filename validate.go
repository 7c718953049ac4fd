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

// checkOptionalText allows an empty value, otherwise like checkName.
func checkOptionalText(field, v string, max int) error {
	if v == "" {
		return nil
	}
	return checkName(field, v, max)
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
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
