package carrier

import (
	"fmt"
	"strings"
)

// Outcome is how the carrier answers a call callfloor places through it.
type Outcome int

// Outcomes; OutcomeFor picks one from the dialled number.
// AnsweredByHeader is the header of the carrier's 200 OK to callfloor's
// call that says who answered: "human", or "machine" for an answering
// machine (the carrier's answering machine detection).
const AnsweredByHeader = "X-Answered-By"

const (
	OutcomeUnknown Outcome = iota
	// Answered: a person answers (180, then 200 after ringing), talks,
	// and hangs up after the talk time.
	Answered
	// Busy: 486 Busy Here at once.
	Busy
	// NoAnswer: 180, then 480 Temporarily Unavailable after the
	// no-answer time unless callfloor cancels first.
	NoAnswer
	// Unreachable: 503 Service Unavailable at once (the subscriber's
	// network cannot reach the phone).
	Unreachable
	// Machine: an answering machine answers, plays a greeting and a beep,
	// then records silence until it hangs up.
	Machine
	// NotFound: 404 Not Found at once, for a number with no digit in it.
	NotFound
)

var outcomeNames = [...]string{
	OutcomeUnknown: "unknown",
	Answered:       "answered",
	Busy:           "busy",
	NoAnswer:       "no_answer",
	Unreachable:    "unreachable",
	Machine:        "machine",
	NotFound:       "not_found",
}

// Outcomes lists every known outcome.
var Outcomes = []Outcome{Answered, Busy, NoAnswer, Unreachable, Machine, NotFound}

// String returns the outcome's name, as in logs and Stats.
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// ParseOutcome reads an outcome's name; an unknown name is
// OutcomeUnknown.
func ParseOutcome(s string) Outcome {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, o := range Outcomes {
		if outcomeNames[o] == s {
			return o
		}
	}
	return OutcomeUnknown
}

// byLastDigit is the outcome of each last digit of a dialled number.
var byLastDigit = [10]Outcome{
	Answered, Answered, Answered, Answered, Answered, // 0-4
	Busy,        // 5
	NoAnswer,    // 6
	Unreachable, // 7
	Machine,     // 8
	Answered,    // 9
}

// OutcomeFor decides how a call to number (the Request-URI user) goes:
// by its last digit, whatever comes before it (a "+", a trunk prefix,
// separators), so a trunk's strip and prefix rules never change it:
//
//	last digit     outcome
//	0-4, 9         Answered (a person)
//	5              Busy (486)
//	6              NoAnswer (180, then 480)
//	7              Unreachable (503)
//	8              Machine (an answering machine)
//	no digit       NotFound (404)
func OutcomeFor(number string) Outcome {
	for i := len(number) - 1; i >= 0; i-- {
		if c := number[i]; c >= '0' && c <= '9' {
			return byLastDigit[c-'0']
		}
	}
	return NotFound
}
