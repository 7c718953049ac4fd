package forward

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/callfloor/callfloor"
)

// HeaderActor carries, on a forwarded request, whom the node that
// received it authenticated it as, so that the owner does not look the
// session or token up again. The owner believes it only on a request
// that came over NATS (Forwarded), for the account of the subject it
// came on: a client that sends the header itself is not believed, and
// the forwarding node overwrites it.
const HeaderActor = "Callfloor-Actor"

// Vouch puts a in r's header for the owner.
func Vouch(r *http.Request, a callfloor.Actor) {
	r.Header.Set(HeaderActor, encodeActor(a))
}

// Vouched is the actor the forwarding node vouched for: only on a
// request forwarded to this node, and only for the account it was
// forwarded for.
func Vouched(r *http.Request) (callfloor.Actor, bool) {
	if !Forwarded(r.Context()) {
		return callfloor.Actor{}, false
	}
	account, ok := Account(r.Context())
	if !ok {
		return callfloor.Actor{}, false
	}
	a, ok := decodeActor(r.Header.Get(HeaderActor))
	if !ok || a.AccountID != account {
		return callfloor.Actor{}, false
	}
	return a, true
}

// encodeActor is "account;user;role;token".
func encodeActor(a callfloor.Actor) string {
	return strconv.FormatInt(a.AccountID, 10) + ";" + strconv.FormatInt(a.UserID, 10) + ";" +
		string(a.Role) + ";" + strconv.FormatInt(a.TokenID, 10)
}

// decodeActor reads encodeActor's form: positive account and user, a
// known role, a token id of 0 or more; anything else is refused.
func decodeActor(s string) (callfloor.Actor, bool) {
	f := strings.Split(s, ";")
	if len(f) != 4 {
		return callfloor.Actor{}, false
	}
	account, err1 := strconv.ParseInt(f[0], 10, 64)
	user, err2 := strconv.ParseInt(f[1], 10, 64)
	token, err3 := strconv.ParseInt(f[3], 10, 64)
	role := callfloor.Role(f[2])
	if err1 != nil || err2 != nil || err3 != nil || account <= 0 || user <= 0 || token < 0 || !role.Valid() {
		return callfloor.Actor{}, false
	}
	return callfloor.Actor{AccountID: account, UserID: user, Role: role, TokenID: token}, true
}
