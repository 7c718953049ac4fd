package api

import (
	"fmt"
	"net/http"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/password"
)

// userInput is the writable part of a user. The password is set on
// creation and through the password endpoints only.
type userInput struct {
	Username    string         `json:"username" api:"required"`
	Name        string         `json:"name"`
	Email       string         `json:"email"`
	Role        callfloor.Role `json:"role" api:"required"`
	ExtensionID *int64         `json:"extension_id"`
	Disabled    bool           `json:"disabled"`
}

func (userInput) resource() any { return callfloor.User{} }

func (in *userInput) from(u *callfloor.User) {
	*in = userInput{Username: u.Username, Name: u.Name, Email: u.Email, Role: u.Role, ExtensionID: u.ExtensionID, Disabled: u.Disabled}
}

func (in *userInput) to(u *callfloor.User) {
	u.Username, u.Name, u.Email, u.Role, u.ExtensionID, u.Disabled = in.Username, in.Name, in.Email, in.Role, in.ExtensionID, in.Disabled
}

type newUserInput struct {
	userInput
	Password string `json:"password" api:"required"`
}

type passwordInput struct {
	Password string `json:"password" api:"required"`
}

func (s *Server) listUsers(_ http.ResponseWriter, r *http.Request) (list[*callfloor.User], error) {
	return listOf(s.store.ListUsers(r.Context()))
}

func (s *Server) getUser(_ http.ResponseWriter, r *http.Request) (*callfloor.User, error) {
	id, err := pathID(r, "user")
	if err != nil {
		return nil, err
	}
	return s.store.FindUserByID(r.Context(), id)
}

func (s *Server) createUser(_ http.ResponseWriter, r *http.Request, dec decoder[newUserInput]) (*callfloor.User, error) {
	var in newUserInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	if in.Role == "" {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "role", "role is required: agent, supervisor or admin")
	}
	u := &callfloor.User{PasswordHash: "unset"}
	in.to(u)
	// Check the user's own fields before paying for the password hash.
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if in.Password == "" {
		return nil, callfloor.FieldError(callfloor.ErrFieldRequired, "password", "password is required")
	}
	if err := password.Check("password", in.Password, u.Username, u.Name, u.Email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u.PasswordHash = hash
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Server) updateUser(_ http.ResponseWriter, r *http.Request, dec decoder[userInput]) (*callfloor.User, error) {
	id, err := pathID(r, "user")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	var was callfloor.Role
	u, err := s.store.UpdateUser(ctx, id, func(u *callfloor.User) error {
		was = u.Role
		var in userInput
		in.from(u)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, err
		}
		s.revokeUser(u.ID, CloseAccessChanged, "Your user was disabled by an administrator.")
	} else if u.Role != was {
		s.revokeUser(u.ID, CloseAccessChanged, "Your role changed: sign in again.")
	}
	return u, nil
}

func (s *Server) deleteUser(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "user")
	if err != nil {
		return noContent{}, err
	}
	if err := s.store.DeleteUser(r.Context(), id); err != nil {
		return noContent{}, err
	}
	s.revokeUser(id, CloseAccessChanged, "Your user was deleted by an administrator.")
	return noContent{}, nil
}

func (s *Server) resetUserPassword(_ http.ResponseWriter, r *http.Request, dec decoder[passwordInput]) (noContent, error) {
	id, err := pathID(r, "user")
	if err != nil {
		return noContent{}, err
	}
	var in passwordInput
	if err := dec(&in); err != nil {
		return noContent{}, err
	}
	if err := s.auth.ResetPassword(r.Context(), id, in.Password); err != nil {
		return noContent{}, err
	}
	s.revokeUser(id, CloseSessionEnded, "An administrator set a new password for you: sign in again.")
	return noContent{}, nil
}
