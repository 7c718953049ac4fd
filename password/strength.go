package password

import (
	"strings"

	"github.com/callfloor/callfloor"
	"github.com/trustelem/zxcvbn"
)

// MinScore is the zxcvbn score (0 to 4) a new password needs: 3 means
// about 10^8 to 10^10 guesses, safe against an online attack and
// a costly one offline, given the slow hash.
const MinScore = 3

// strengthPrefix is how much of a password the estimator reads: its cost
// grows fast with length, and 64 characters of anything it can break down
// are strong already.
const strengthPrefix = 64

// Check is the policy for a new password: the length rules of
// callfloor.CheckPassword, then a strength estimate (zxcvbn) that counts
// common passwords, words, names, keyboard patterns, sequences, repeats,
// dates and the related values given (the user's name, email, account)
// as easy to guess. A weak password gets an invalid_field error naming
// field and saying why.
func Check(field, pw string, related ...string) error {
	if err := callfloor.CheckPassword(field, pw); err != nil {
		return err
	}
	var inputs []string
	for _, r := range related {
		if r = strings.TrimSpace(r); r != "" {
			inputs = append(inputs, strings.ToLower(r))
			inputs = append(inputs, strings.FieldsFunc(strings.ToLower(r), func(c rune) bool {
				return c == '@' || c == '.' || c == ' ' || c == '-' || c == '_'
			})...)
		}
	}
	r := zxcvbn.PasswordStrength(pw[:min(len(pw), strengthPrefix)], inputs)
	if r.Score >= MinScore {
		return nil
	}
	return callfloor.FieldError(callfloor.ErrInvalidField, field,
		"password is too easy to guess%s: use a longer phrase of uncommon words, or add unusual words to this one", why(r))
}

// why says what made a password weak, from its weakest-looking part.
func why(r zxcvbn.Result) string {
	seen := map[string]bool{}
	var parts []string
	for _, m := range r.Sequence {
		var s string
		switch m.Pattern {
		case "dictionary":
			s = "common words or names"
		case "spatial":
			s = "a keyboard pattern"
		case "repeat":
			s = "repeated characters"
		case "sequence":
			s = "a sequence like abc or 123"
		case "date":
			s = "a date"
		case "regex":
			s = "a recent year"
		}
		if s != "" && !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (it is made of " + strings.Join(parts, " and ") + ")"
}
