package callfloor

import (
	"context"
	"fmt"
	"strings"
)

// CallerIDPool is a set of outbound numbers; an agent's outbound caller ID
// is taken from its pool, at random when the agent's randomise is on.
type CallerIDPool struct {
	ID        int64    `json:"id"`
	AccountID int64    `json:"account_id"`
	Name      string   `json:"name"`
	Numbers   []string `json:"numbers"`
}

// Validate checks the pool's own fields.
func (p *CallerIDPool) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	if err := checkName("name", p.Name, 100); err != nil {
		return err
	}
	if len(p.Numbers) == 0 {
		return FieldError(ErrFieldRequired, "numbers", "a caller-ID pool needs at least one number")
	}
	if len(p.Numbers) > 1000 {
		return FieldError(ErrInvalidField, "numbers", "a caller-ID pool holds at most 1000 numbers")
	}
	seen := map[string]bool{}
	for i, n := range p.Numbers {
		f := fmt.Sprintf("numbers[%d]", i)
		if err := checkPhoneNumber(f, n); err != nil {
			return err
		}
		if seen[n] {
			return FieldError(ErrInvalidField, f, "number %s appears twice", n)
		}
		seen[n] = true
	}
	return nil
}

// CallerIDPoolService manages the caller-ID pools of the caller's account.
type CallerIDPoolService interface {
	CreateCallerIDPool(ctx context.Context, p *CallerIDPool) error
	FindCallerIDPoolByID(ctx context.Context, id int64) (*CallerIDPool, error)
	ListCallerIDPools(ctx context.Context) ([]*CallerIDPool, error)
	UpdateCallerIDPool(ctx context.Context, id int64, fn func(*CallerIDPool) error) (*CallerIDPool, error)
	DeleteCallerIDPool(ctx context.Context, id int64) error
}
