package b2bua

// Where a call an extension places from a call goes (a transfer, a
// consultation, a new line, click to dial): one of the account's
// extensions, or an outside number through a trunk.

import (
	"context"
	"errors"

	"github.com/callfloor/callfloor"
)

// target is where a transfer, consultation or new line goes: an
// extension's phones, or an outside number through a trunk (route).
type target struct {
	ext   *callfloor.Extension
	route *OutboundRoute
	adm   Admitted
}

// extID is the target extension's ID, 0 for an outside number.
func (tg target) extID() int64 {
	if tg.ext == nil {
		return 0
	}
	return tg.ext.ID
}

// dialTarget finds where a call by extension by to number goes (a
// transfer, a consultation, a new line, click to dial) and asks Admit:
// an extension of the account, else an outside number through the
// account's trunks (by's caller-ID pool, and for an agent their outbound
// queue, apply).
func (b *B2BUA) dialTarget(kind AdmissionKind, callID string, account int64, by *callfloor.Extension, number string) (target, error) {
	callee, f := b.findCallee(account, number)
	switch {
	case f == nil:
		return b.extensionTarget(kind, callID, account, by, callee)
	case f.reason != ReasonNotFound || b.cfg.Trunks == nil || by == nil:
		return target{}, callfloor.FieldError(callfloor.ErrNotFound, "number", "no extension %s", number)
	}
	// The leg may know its extension only by ID and number (a queue
	// member's): the route needs its Agent tab (the caller-ID pool).
	if full, f := b.findCallee(account, by.Number); f == nil && full.ID == by.ID {
		by = full
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	route, err := b.cfg.Trunks.Outbound(ctx, by, number)
	switch {
	case callfloor.ErrorCode(err) == callfloor.ErrNotFound:
		return target{}, callfloor.FieldError(callfloor.ErrNotFound, "number", "no extension %s, and no trunk reaches it", number)
	case err != nil:
		return target{}, err
	}
	adm, f := b.admit(Admission{Kind: kind, CallID: callID, AccountID: account, Caller: by, Number: number})
	if f != nil {
		return target{}, refusedTarget(f, number)
	}
	return target{route: route, adm: adm}, nil
}

// extensionTarget asks Admit for a call to callee's registered phones.
func (b *B2BUA) extensionTarget(kind AdmissionKind, callID string, account int64, by, callee *callfloor.Extension) (target, error) {
	if len(b.cfg.Registrar.Contacts(account, callee.ID)) == 0 {
		return target{}, callfloor.FieldError(callfloor.ErrPhoneOffline, "number", "extension %s has no registered phone", callee.Number)
	}
	adm, f := b.admit(Admission{Kind: kind, CallID: callID, AccountID: account, Caller: by, Callee: callee, Number: callee.Number})
	if f != nil {
		return target{}, refusedTarget(f, "extension "+callee.Number)
	}
	return target{ext: callee, adm: adm}, nil
}

// refusedTarget is the API error of a target Admit refused.
func refusedTarget(f *failure, number string) error {
	var r *Refusal
	if errors.As(f.err, &r) && r.Code != "" {
		return callfloor.FieldError(r.Code, "number", "%s", r.Text)
	}
	return callfloor.FieldError(callfloor.ErrCallState, "number", "%s cannot take the call now", number)
}
