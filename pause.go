package callfloor

import (
	"context"
	"strings"
)

// WrapupReasonName is the name of the system pause reason that every
// account has and nobody can edit or delete.
const WrapupReasonName = "Wrapup"

// PauseReason is why an agent pauses. The code is usable as a feature code
// from a phone; the threshold turns the realtime board red.
type PauseReason struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	// Code is unique in the account; the system reason has code 0.
	Code int `json:"code"`
	// ThresholdSeconds: 0 means no threshold.
	ThresholdSeconds int  `json:"threshold_seconds"`
	Productive       bool `json:"productive"`
	// System marks Wrapup.
	System bool `json:"system"`
}

// Validate checks the reason's own fields.
func (p *PauseReason) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	if err := checkName("name", p.Name, 64); err != nil {
		return err
	}
	if p.System {
		return nil
	}
	if strings.EqualFold(p.Name, WrapupReasonName) {
		return FieldError(ErrNameTaken, "name", "%q is the system reason's name", WrapupReasonName)
	}
	if err := checkRange("code", p.Code, 1, 9999); err != nil {
		return err
	}
	return checkRange("threshold_seconds", p.ThresholdSeconds, 0, 24*3600)
}

// PauseReasonService manages the pause reasons of the caller's account.
type PauseReasonService interface {
	CreatePauseReason(ctx context.Context, p *PauseReason) error
	FindPauseReasonByID(ctx context.Context, id int64) (*PauseReason, error)
	ListPauseReasons(ctx context.Context) ([]*PauseReason, error)
	UpdatePauseReason(ctx context.Context, id int64, fn func(*PauseReason) error) (*PauseReason, error)
	DeletePauseReason(ctx context.Context, id int64) error
}
