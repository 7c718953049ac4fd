package callfloor

import (
	"errors"
	"strconv"
	"strings"
)

// ChangeKind is the kind of object a Change is about.
type ChangeKind int

// Change kinds: the objects the SIP plane looks up on every call.
const (
	ChangeUnknown ChangeKind = iota
	// ChangeAccount: the account itself (its agent activation decides
	// its extensions' AgentStatus).
	ChangeAccount
	ChangeExtension
	// ChangeTrunk: a trunk, its sources or its password.
	ChangeTrunk
	ChangeInboundNumber
	// ChangeCallerIDPool: a caller-ID pool or its numbers (an outside
	// call's caller ID).
	ChangeCallerIDPool
)

var changeKindNames = [...]string{
	ChangeUnknown:       "unknown",
	ChangeAccount:       "account",
	ChangeExtension:     "extension",
	ChangeTrunk:         "trunk",
	ChangeInboundNumber: "inbound_number",
	ChangeCallerIDPool:  "caller_id_pool",
}

func (k ChangeKind) String() string {
	if k < 0 || int(k) >= len(changeKindNames) {
		return changeKindNames[ChangeUnknown]
	}
	return changeKindNames[k]
}

// ParseChangeKind reads a kind's String; anything else is ChangeUnknown.
func ParseChangeKind(s string) ChangeKind {
	for k, name := range changeKindNames {
		if name == s {
			return ChangeKind(k)
		}
	}
	return ChangeUnknown
}

// Change says that one object the SIP plane looks up was created,
// changed or deleted, in a transaction that has committed. It carries no
// data: whoever keeps a copy of the object loads it again (and finds it
// gone after a delete).
type Change struct {
	Kind      ChangeKind
	AccountID int64
	// ID is the object's id; an account's is the account's.
	ID int64
}

// String is the change as "kind account id", the form ParseChange reads
// (and the payload of PostgreSQL's notifications).
func (c Change) String() string {
	return c.Kind.String() + " " + strconv.FormatInt(c.AccountID, 10) + " " + strconv.FormatInt(c.ID, 10)
}

// errBadChange is every malformed change: the text comes from another
// server of the same database, so there is nothing more to tell.
var errBadChange = errors.New("callfloor: malformed change")

// ParseChange reads what Change.String writes: a known kind and two
// positive decimal ids, separated by single spaces.
func ParseChange(s string) (Change, error) {
	kind, rest, ok := strings.Cut(s, " ")
	if !ok {
		return Change{}, errBadChange
	}
	account, id, ok := strings.Cut(rest, " ")
	if !ok {
		return Change{}, errBadChange
	}
	c := Change{Kind: ParseChangeKind(kind)}
	var err1, err2 error
	c.AccountID, err1 = parseID(account)
	c.ID, err2 = parseID(id)
	if c.Kind == ChangeUnknown || err1 != nil || err2 != nil {
		return Change{}, errBadChange
	}
	return c, nil
}

// parseID reads a positive decimal id without sign or leading zeros.
func parseID(s string) (int64, error) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, errBadChange
	}
	return strconv.ParseInt(s, 10, 64)
}
