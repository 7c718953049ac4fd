package api

import (
	"net/http"
	"reflect"

	"github.com/callfloor/callfloor"
)

func init() {
	enums[reflect.TypeFor[callfloor.TrunkTransport]()] = strs(callfloor.TrunkTransports)
	enums[reflect.TypeFor[callfloor.TrunkAuth]()] = strs(callfloor.TrunkAuths)
	enums[reflect.TypeFor[callfloor.DestinationKind]()] = strs(callfloor.DestinationKinds)
	enums[reflect.TypeFor[callfloor.TrunkState]()] = strs(callfloor.TrunkStates)
}

// trunkRoutes are the SIP trunks and inbound numbers: admins configure
// them, supervisors read them. A trunk's password is write-only: it is
// taken by create and update, and answers only say has_password.
func trunkRoutes() []route {
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		none    = http.StatusNoContent
	)
	return []route{
		{"GET", "/api/v1/trunks", sup, ok, "listTrunks", "trunks", "List the account's SIP trunks (without their passwords)", read((*Server).listTrunks)},
		{"POST", "/api/v1/trunks", admin, created, "createTrunk", "trunks", "Create a SIP trunk to a carrier; its password is write-only", write((*Server).createTrunk)},
		{"GET", "/api/v1/trunks/{id}", sup, ok, "getTrunk", "trunks", "Get a SIP trunk (without its password)", read((*Server).getTrunk)},
		{"PATCH", "/api/v1/trunks/{id}", admin, ok, "updateTrunk", "trunks", "Change a SIP trunk; an omitted or null password keeps the stored one", write((*Server).updateTrunk)},
		{"DELETE", "/api/v1/trunks/{id}", admin, none, "deleteTrunk", "trunks", "Delete a SIP trunk that no inbound number arrives on", read((*Server).deleteTrunk)},
		{"GET", "/api/v1/trunks/status", sup, ok, "trunkStatus", "trunks", "Where each registration trunk's registration with its carrier stands now", read((*Server).trunkStatus)},

		{"GET", "/api/v1/inbound-numbers", sup, ok, "listInboundNumbers", "inbound-numbers", "List the account's inbound numbers (DIDs)", read((*Server).listInboundNumbers)},
		{"POST", "/api/v1/inbound-numbers", admin, created, "createInboundNumber", "inbound-numbers", "Route an inbound number to an extension or a queue; a number belongs to one account only", write((*Server).createInboundNumber)},
		{"GET", "/api/v1/inbound-numbers/{id}", sup, ok, "getInboundNumber", "inbound-numbers", "Get an inbound number", read((*Server).getInboundNumber)},
		{"PATCH", "/api/v1/inbound-numbers/{id}", admin, ok, "updateInboundNumber", "inbound-numbers", "Change an inbound number", write((*Server).updateInboundNumber)},
		{"DELETE", "/api/v1/inbound-numbers/{id}", admin, none, "deleteInboundNumber", "inbound-numbers", "Delete an inbound number", read((*Server).deleteInboundNumber)},
	}
}

// trunkInput is the writable part of a trunk. Password is write-only:
// nil (omitted or null) keeps the stored one, "" clears it (only an ip
// trunk may be without one).
type trunkInput struct {
	Name            string                   `json:"name" api:"required"`
	Host            string                   `json:"host" api:"required"`
	Transport       callfloor.TrunkTransport `json:"transport"`
	Auth            callfloor.TrunkAuth      `json:"auth" api:"required"`
	Username        string                   `json:"username"`
	AuthUsername    string                   `json:"auth_username"`
	Password        *string                  `json:"password"`
	Realm           string                   `json:"realm"`
	Domain          string                   `json:"domain"`
	ExpirySeconds   int                      `json:"expiry_seconds"`
	AllowedSources  []string                 `json:"allowed_sources"`
	DefaultCallerID string                   `json:"default_caller_id"`
	StripDigits     int                      `json:"strip_digits"`
	Prefix          string                   `json:"prefix"`
	Enabled         bool                     `json:"enabled"`
}

func (trunkInput) resource() any { return callfloor.Trunk{} }

func (in *trunkInput) from(t *callfloor.Trunk) {
	*in = trunkInput{Name: t.Name, Host: t.Host, Transport: t.Transport, Auth: t.Auth, Username: t.Username,
		AuthUsername: t.AuthUsername, Realm: t.Realm, Domain: t.Domain, ExpirySeconds: t.ExpirySeconds,
		AllowedSources: t.AllowedSources, DefaultCallerID: t.DefaultCallerID, StripDigits: t.StripDigits,
		Prefix: t.Prefix, Enabled: t.Enabled}
}

func (in *trunkInput) to(t *callfloor.Trunk) {
	t.Name, t.Host, t.Transport, t.Auth, t.Username = in.Name, in.Host, in.Transport, in.Auth, in.Username
	t.AuthUsername, t.Realm, t.Domain, t.ExpirySeconds = in.AuthUsername, in.Realm, in.Domain, in.ExpirySeconds
	t.AllowedSources, t.DefaultCallerID, t.StripDigits = in.AllowedSources, in.DefaultCallerID, in.StripDigits
	t.Prefix, t.Enabled = in.Prefix, in.Enabled
	if in.Password != nil {
		t.Password = *in.Password
	}
}

func (s *Server) listTrunks(_ http.ResponseWriter, r *http.Request) (list[*callfloor.Trunk], error) {
	return listOf(s.store.ListTrunks(r.Context()))
}

// TrunkRegistrations reports the registrations of the trunks that
// register with their carrier (the SIP trunk client).
type TrunkRegistrations interface {
	Registrations(accountID int64) []callfloor.TrunkStatus
}

func (s *Server) trunkStatus(_ http.ResponseWriter, r *http.Request) (list[callfloor.TrunkStatus], error) {
	if s.trunks == nil {
		return list[callfloor.TrunkStatus]{}, errorf(callfloor.ErrTelephonyOff, "the server runs without its telephony plane, so no trunk registers")
	}
	return listOf(s.trunks.Registrations(actorOf(r).AccountID), nil)
}

func (s *Server) getTrunk(_ http.ResponseWriter, r *http.Request) (*callfloor.Trunk, error) {
	id, err := pathID(r, "trunk")
	if err != nil {
		return nil, err
	}
	return s.store.FindTrunkByID(r.Context(), id)
}

func (s *Server) createTrunk(_ http.ResponseWriter, r *http.Request, dec decoder[trunkInput]) (*callfloor.Trunk, error) {
	t := callfloor.NewTrunk("", "")
	t.Auth = ""
	var in trunkInput
	in.from(t)
	if err := dec(&in); err != nil {
		return nil, err
	}
	in.to(t)
	if err := s.store.CreateTrunk(r.Context(), t); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Server) updateTrunk(_ http.ResponseWriter, r *http.Request, dec decoder[trunkInput]) (*callfloor.Trunk, error) {
	id, err := pathID(r, "trunk")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateTrunk(r.Context(), id, func(t *callfloor.Trunk) error {
		var in trunkInput
		in.from(t)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(t)
		return nil
	})
}

func (s *Server) deleteTrunk(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "trunk")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteTrunk(r.Context(), id)
}

// inboundNumberInput is the writable part of an inbound number.
type inboundNumberInput struct {
	Number      string                `json:"number" api:"required"`
	Name        string                `json:"name"`
	TrunkID     *int64                `json:"trunk_id"`
	Destination callfloor.Destination `json:"destination" api:"required"`
	Enabled     bool                  `json:"enabled"`
}

func (inboundNumberInput) resource() any { return callfloor.InboundNumber{} }

func (in *inboundNumberInput) from(n *callfloor.InboundNumber) {
	*in = inboundNumberInput{Number: n.Number, Name: n.Name, TrunkID: n.TrunkID, Destination: n.Destination, Enabled: n.Enabled}
}

func (in *inboundNumberInput) to(n *callfloor.InboundNumber) {
	n.Number, n.Name, n.TrunkID, n.Destination, n.Enabled = in.Number, in.Name, in.TrunkID, in.Destination, in.Enabled
}

func (s *Server) listInboundNumbers(_ http.ResponseWriter, r *http.Request) (list[*callfloor.InboundNumber], error) {
	return listOf(s.store.ListInboundNumbers(r.Context()))
}

func (s *Server) getInboundNumber(_ http.ResponseWriter, r *http.Request) (*callfloor.InboundNumber, error) {
	id, err := pathID(r, "inbound number")
	if err != nil {
		return nil, err
	}
	return s.store.FindInboundNumberByID(r.Context(), id)
}

func (s *Server) createInboundNumber(_ http.ResponseWriter, r *http.Request, dec decoder[inboundNumberInput]) (*callfloor.InboundNumber, error) {
	n := &callfloor.InboundNumber{Enabled: true}
	var in inboundNumberInput
	in.from(n)
	if err := dec(&in); err != nil {
		return nil, err
	}
	in.to(n)
	if err := s.store.CreateInboundNumber(r.Context(), n); err != nil {
		return nil, err
	}
	return n, nil
}

func (s *Server) updateInboundNumber(_ http.ResponseWriter, r *http.Request, dec decoder[inboundNumberInput]) (*callfloor.InboundNumber, error) {
	id, err := pathID(r, "inbound number")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateInboundNumber(r.Context(), id, func(n *callfloor.InboundNumber) error {
		var in inboundNumberInput
		in.from(n)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(n)
		return nil
	})
}

func (s *Server) deleteInboundNumber(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "inbound number")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteInboundNumber(r.Context(), id)
}
