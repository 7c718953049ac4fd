package callfloor

import (
	"context"
	"strings"
	"time"
)

// User is a login of an account. An agent user is bound to one extension.
type User struct {
	ID          int64  `json:"id"`
	AccountID   int64  `json:"account_id"`
	Username    string `json:"username"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Role        Role   `json:"role"`
	ExtensionID *int64 `json:"extension_id"`
	Disabled    bool   `json:"disabled"`
	// PasswordHash is a PHC-format argon2id hash; it never leaves the server.
	PasswordHash string     `json:"-"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Validate checks the user's own fields; cross-object rules (extension in
// the same account, not bound twice) are the store's.
func (u *User) Validate() error {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.Name = strings.TrimSpace(u.Name)
	u.Email = strings.TrimSpace(u.Email)
	if u.Username == "" {
		return FieldError(ErrFieldRequired, "username", "username is required")
	}
	if !usernameRe.MatchString(u.Username) {
		return FieldError(ErrInvalidField, "username", "username must be 1 to 64 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
	}
	if u.Name == "" {
		u.Name = u.Username
	}
	if err := checkName("name", u.Name, 100); err != nil {
		return err
	}
	if err := checkOptionalText("email", u.Email, 254); err != nil {
		return err
	}
	if u.Email != "" && !strings.Contains(u.Email, "@") {
		return FieldError(ErrInvalidField, "email", "email must be an address like name@example.com")
	}
	if !u.Role.Valid() {
		return FieldError(ErrInvalidField, "role", "role must be one of agent, supervisor, admin")
	}
	if u.Role == RoleAgent && u.ExtensionID == nil {
		return FieldError(ErrFieldRequired, "extension_id", "an agent user must be bound to an extension")
	}
	if u.PasswordHash == "" {
		return FieldError(ErrFieldRequired, "password", "password is required")
	}
	return nil
}

// Password rules, checked before hashing.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// CheckPassword validates a new password in plain text.
func CheckPassword(field, pw string) error {
	if len(pw) < MinPasswordLength {
		return FieldError(ErrInvalidField, field, "password must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > MaxPasswordLength {
		return FieldError(ErrInvalidField, field, "password must be at most %d characters", MaxPasswordLength)
	}
	return nil
}

// UserService manages the users of the caller's account.
type UserService interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByID(ctx context.Context, id int64) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser loads, lets fn change and stores the user in one
	// transaction, enforcing the same rules as CreateUser.
	UpdateUser(ctx context.Context, id int64, fn func(*User) error) (*User, error)
	DeleteUser(ctx context.Context, id int64) error
}
