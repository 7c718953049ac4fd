package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/callfloor/callfloor"
)

// errorStatus maps every code of callfloor.Errors to its HTTP status. It is
// the only place that does; a test checks that it covers the catalogue
// exactly.
var errorStatus = map[string]int{
	callfloor.ErrInternal:           http.StatusInternalServerError,
	callfloor.ErrInvalidJSON:        http.StatusBadRequest,
	callfloor.ErrUnknownField:       http.StatusBadRequest,
	callfloor.ErrInvalidField:       http.StatusUnprocessableEntity,
	callfloor.ErrFieldRequired:      http.StatusUnprocessableEntity,
	callfloor.ErrFieldReadOnly:      http.StatusUnprocessableEntity,
	callfloor.ErrInvalidReference:   http.StatusUnprocessableEntity,
	callfloor.ErrQueuesDisabled:     http.StatusUnprocessableEntity,
	callfloor.ErrNotFound:           http.StatusNotFound,
	callfloor.ErrRouteNotFound:      http.StatusNotFound,
	callfloor.ErrMethodNotAllowed:   http.StatusMethodNotAllowed,
	callfloor.ErrPayloadTooLarge:    http.StatusRequestEntityTooLarge,
	callfloor.ErrUnsupportedMedia:   http.StatusUnsupportedMediaType,
	callfloor.ErrUnauthorized:       http.StatusUnauthorized,
	callfloor.ErrInvalidCredential:  http.StatusUnauthorized,
	callfloor.ErrForbidden:          http.StatusForbidden,
	callfloor.ErrInUse:              http.StatusConflict,
	callfloor.ErrAccountNameTaken:   http.StatusConflict,
	callfloor.ErrUsernameTaken:      http.StatusConflict,
	callfloor.ErrNumberTaken:        http.StatusConflict,
	callfloor.ErrPauseCodeTaken:     http.StatusConflict,
	callfloor.ErrNameTaken:          http.StatusConflict,
	callfloor.ErrInboundNumberTaken: http.StatusConflict,
	callfloor.ErrExtensionBound:     http.StatusConflict,
	callfloor.ErrSystemReason:       http.StatusConflict,
	callfloor.ErrLicenceExhausted:   http.StatusConflict,
	callfloor.ErrAgentNotActivated:  http.StatusConflict,
	callfloor.ErrLastAdmin:          http.StatusConflict,
	callfloor.ErrNotCampaignMember:  http.StatusConflict,
	callfloor.ErrMailFailed:         http.StatusBadGateway,
	callfloor.ErrLimitReached:       http.StatusConflict,
	callfloor.ErrLoginLocked:        http.StatusTooManyRequests,
	callfloor.ErrRateLimited:        http.StatusTooManyRequests,

	// A cluster node's: the account's owner is being replaced, or did
	// not answer in time.
	callfloor.ErrNotOwner:     http.StatusServiceUnavailable,
	callfloor.ErrFenced:       http.StatusServiceUnavailable,
	callfloor.ErrOwnerTimeout: http.StatusGatewayTimeout,

	// The floor engine's refusals: the request is fine, the floor's state
	// does not allow it now.
	callfloor.ErrNotAgent:        http.StatusConflict,
	callfloor.ErrAgentLoggedOff:  http.StatusConflict,
	callfloor.ErrAgentPaused:     http.StatusConflict,
	callfloor.ErrAgentBusy:       http.StatusConflict,
	callfloor.ErrInWrapup:        http.StatusConflict,
	callfloor.ErrNoOutboundQueue: http.StatusConflict,
	callfloor.ErrNotPermitted:    http.StatusForbidden,
	callfloor.ErrAutoAnswerFixed: http.StatusConflict,
	callfloor.ErrNoWrapup:        http.StatusConflict,
	callfloor.ErrInvalidOutcome:  http.StatusUnprocessableEntity,
	callfloor.ErrUnknownCall:     http.StatusConflict,
	callfloor.ErrNotQueueMember:  http.StatusConflict,
	callfloor.ErrNotParticipant:  http.StatusConflict,
	callfloor.ErrSimulationOff:   http.StatusNotFound,
	callfloor.ErrPhoneOffline:    http.StatusConflict,
	callfloor.ErrCallState:       http.StatusConflict,
	callfloor.ErrTelephonyOff:    http.StatusServiceUnavailable,
}

// errorBody is the one shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// retryAfter is implemented by errors that go away with time (see
// auth.RetryError); their wait is sent as Retry-After.
type retryAfter interface {
	RetryAfter() time.Duration
}

// statusError sends a coded error with another status than its code's,
// its message included: /healthz answers 503 when the database is down.
type statusError struct {
	status int
	err    *callfloor.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// writeError sends err in the error shape. Internal errors, and codes that
// are not in the table, are logged with the real error and sent as a bare
// "internal" error: their text never leaves the server.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := callfloor.ErrorCode(err)
	status, known := errorStatus[code]
	body := errorDetail{Code: code, Message: callfloor.ErrorMessage(err), Field: callfloor.ErrorField(err)}
	var se *statusError
	switch {
	case errors.As(err, &se):
		status = se.status
		body = errorDetail{Code: se.err.Code, Message: se.err.Message}
	case !known || code == callfloor.ErrInternal:
		info := infoFrom(r.Context())
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method), slog.String("route", info.route),
			slog.Int64("account", info.actor.AccountID), slog.Int64("user", info.actor.UserID),
			slog.String("error", err.Error()))
		status = http.StatusInternalServerError
		body = errorDetail{Code: callfloor.ErrInternal, Message: "internal error; the details are in the server log"}
	}
	var ra retryAfter
	if errors.As(err, &ra) {
		secs := int64((ra.RetryAfter() + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="callfloor"`)
	}
	writeJSON(w, status, errorBody{Error: body})
}

// errorf is shorthand for a coded error without a field.
func errorf(code, format string, args ...any) error {
	return callfloor.Errorf(code, format, args...)
}
