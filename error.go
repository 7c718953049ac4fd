package callfloor

import (
	"errors"
	"fmt"
)

// Error codes. Each one is stable and documented in Errors; the API maps
// each code to one HTTP status in a single table.
const (
	ErrInternal          = "internal"
	ErrInvalidJSON       = "invalid_json"
	ErrInvalidField      = "invalid_field"
	ErrFieldRequired     = "field_required"
	ErrFieldReadOnly     = "field_read_only"
	ErrUnknownField      = "unknown_field"
	ErrNotFound          = "not_found"
	ErrRouteNotFound     = "route_not_found"
	ErrMethodNotAllowed  = "method_not_allowed"
	ErrUnsupportedMedia  = "unsupported_media_type"
	ErrPayloadTooLarge   = "payload_too_large"
	ErrUnauthorized      = "unauthorized"
	ErrForbidden         = "forbidden"
	ErrInvalidCredential = "invalid_credentials"
	ErrLoginLocked       = "login_locked"
	ErrRateLimited       = "rate_limited"
	ErrInvalidReference  = "invalid_reference"
	ErrInUse             = "in_use"
	ErrAccountNameTaken  = "account_name_taken"
	ErrUsernameTaken     = "username_taken"
	ErrNumberTaken       = "number_taken"
	ErrPauseCodeTaken    = "pause_code_taken"
	ErrNameTaken         = "name_taken"
	ErrExtensionBound    = "extension_bound"
	ErrSystemReason      = "system_pause_reason"
	ErrAgentNotActivated = "agent_not_activated"
	ErrLicenceExhausted  = "licence_exhausted"
	ErrQueuesDisabled    = "queues_feature_disabled"
	ErrLastAdmin         = "last_admin"
	// ErrLeadTaken is the store's answer to a reservation of a lead
	// another took first; the dialler handles it, no endpoint sends it.
	ErrLeadTaken         = "lead_taken"
	ErrNotCampaignMember = "not_campaign_member"
	ErrMailFailed        = "mail_failed"
	ErrLimitReached      = "limit_reached"
)

// ErrorInfo describes one error code for the catalogue.
type ErrorInfo struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// Errors is the catalogue of every error code the platform returns. The API
// test suite checks that each code has an HTTP status and that nothing else
// is ever sent.
var Errors = []ErrorInfo{
	{ErrInternal, "Something failed on the server. Nothing was changed; the details are in the server log."},
	{ErrInvalidJSON, "The request body is not valid JSON for this endpoint."},
	{ErrInvalidField, "A field has a value outside what it accepts; field names it."},
	{ErrFieldRequired, "A required field is missing or empty; field names it."},
	{ErrFieldReadOnly, "The request tried to set a field that cannot be changed through this endpoint."},
	{ErrUnknownField, "The request body has a field this endpoint does not know; field names it."},
	{ErrNotFound, "The object does not exist in the caller's account."},
	{ErrRouteNotFound, "No endpoint has this path."},
	{ErrMethodNotAllowed, "The endpoint exists but not with this HTTP method."},
	{ErrUnsupportedMedia, "Request bodies must be JSON (Content-Type: application/json)."},
	{ErrPayloadTooLarge, "The request body is larger than the endpoint accepts."},
	{ErrUnauthorized, "The request has no valid session or API token."},
	{ErrForbidden, "The caller's role does not allow this operation."},
	{ErrInvalidCredential, "The account, username or password is wrong."},
	{ErrLoginLocked, "Too many failed logins for this user; try again after the lockout."},
	{ErrRateLimited, "Too many requests from this address; slow down and retry later."},
	{ErrInvalidReference, "A field refers to an object that does not exist in the caller's account."},
	{ErrInUse, "The object is still referenced by another object and cannot be removed or changed that way."},
	{ErrAccountNameTaken, "Another account already has this name."},
	{ErrUsernameTaken, "Another user in the account already has this username."},
	{ErrNumberTaken, "Another extension or queue in the account already has this number."},
	{ErrPauseCodeTaken, "Another pause reason in the account already has this code."},
	{ErrNameTaken, "Another object of this kind in the account already has this name."},
	{ErrExtensionBound, "The extension is already bound to another user."},
	{ErrSystemReason, "The system pause reason (Wrapup) cannot be edited or deleted."},
	{ErrAgentNotActivated, "The account has no agent activation (Agent Extensions or Queue Agent Analytics), so the agent feature cannot be enabled."},
	{ErrLicenceExhausted, "Every agent licence of the account is in use by another agent extension."},
	{ErrQueuesDisabled, "The extension does not have the queues feature, so it cannot be a queue member."},
	{ErrLastAdmin, "The account must keep at least one enabled admin user."},
	{ErrNotCampaignMember, "The extension is not an agent member of the campaign."},
	{ErrLimitReached, "The account already has as many items of this kind as it may; the message gives the limit. Delete one first."},
	{ErrMailFailed, "The account's mail server could not be reached or refused the message; the message says which step failed and what the server answered."},
}

// Error is the error type of the domain. Code is one of the catalogue codes,
// Message is safe to show to a user, Field names the offending input field
// (dotted path) when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("callfloor: %s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("callfloor: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an *Error that names the offending field.
func FieldError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, "" for nil and ErrInternal for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// ErrorMessage returns the user-safe message of err. Errors that are not
// *Error never leak their text: they read as a generic internal error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field an *Error names, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
