package api

import (
	"net"
	"net/http"
	"time"

	"github.com/callfloor/callfloor"
)

type loginInput struct {
	Account  string `json:"account" api:"required"`
	Username string `json:"username" api:"required"`
	Password string `json:"password" api:"required"`
}

type loginResponse struct {
	// Token is the session token, for clients that send it as a bearer
	// token rather than rely on the cookie.
	Token     string         `json:"token"`
	ExpiresAt time.Time      `json:"expires_at"`
	User      callfloor.User `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, dec decoder[loginInput]) (*loginResponse, error) {
	var in loginInput
	if err := dec(&in); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"account", in.Account}, {"username", in.Username}, {"password", in.Password}} {
		if f.v == "" {
			return nil, callfloor.FieldError(callfloor.ErrFieldRequired, f.name, "%s is required", f.name)
		}
	}
	token, sess, u, err := s.auth.Login(r.Context(), in.Account, in.Username, in.Password, remoteIP(r))
	if err != nil {
		return nil, err
	}
	info := infoFrom(r.Context())
	info.actor = callfloor.Actor{AccountID: u.AccountID, UserID: u.ID, Role: u.Role}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(sess.ExpiresAt.Sub(sess.CreatedAt) / time.Second),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return &loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: *u}, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) (noContent, error) {
	token := tokenFrom(r.Context())
	if err := s.auth.Logout(r.Context(), token); err != nil {
		return noContent{}, err
	}
	s.streams.revoke(func(st *streamConn) bool { return st.token == token }, CloseSessionEnded, "You signed out.")
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return noContent{}, nil
}

type meResponse struct {
	User    callfloor.User    `json:"user"`
	Account callfloor.Account `json:"account"`
	// Extension is the user's extension, null when the user has none.
	Extension *callfloor.Extension `json:"extension"`
}

func (s *Server) me(_ http.ResponseWriter, r *http.Request) (*meResponse, error) {
	ctx, a := r.Context(), actorOf(r)
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	acc, err := s.store.FindAccountByID(ctx, a.AccountID)
	if err != nil {
		return nil, err
	}
	me := &meResponse{User: *u, Account: *acc}
	if u.ExtensionID != nil {
		if me.Extension, err = s.store.FindExtensionByID(ctx, *u.ExtensionID); err != nil {
			return nil, err
		}
	}
	return me, nil
}

type passwordChangeInput struct {
	CurrentPassword string `json:"current_password" api:"required"`
	NewPassword     string `json:"new_password" api:"required"`
}

func (s *Server) changePassword(_ http.ResponseWriter, r *http.Request, dec decoder[passwordChangeInput]) (noContent, error) {
	var in passwordChangeInput
	if err := dec(&in); err != nil {
		return noContent{}, err
	}
	ctx := r.Context()
	token := tokenFrom(ctx)
	if err := s.auth.ChangePassword(ctx, token, in.CurrentPassword, in.NewPassword, remoteIP(r)); err != nil {
		return noContent{}, err
	}
	// The other sessions ended with the change: so do their streams.
	user := actorOf(r).UserID
	s.streams.revoke(func(st *streamConn) bool { return st.user == user && st.token != token },
		CloseSessionEnded, "Your password was changed: sign in again.")
	return noContent{}, nil
}

// remoteIP is the address the request came from. Forwarding headers are
// not trusted: a proxy in front must be the one that limits logins.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
