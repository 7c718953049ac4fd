package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// extensionInput is the writable part of an extension. The SIP username
// is generated and the secret has its own endpoint.
type extensionInput struct {
	Number        string                  `json:"number" api:"required"`
	Name          string                  `json:"name"`
	QueuesFeature bool                    `json:"queues_feature"`
	Agent         callfloor.AgentSettings `json:"agent"`
}

func (extensionInput) resource() any { return callfloor.Extension{} }

func (in *extensionInput) from(e *callfloor.Extension) {
	*in = extensionInput{Number: e.Number, Name: e.Name, QueuesFeature: e.QueuesFeature, Agent: e.Agent}
}

func (in *extensionInput) to(e *callfloor.Extension) {
	e.Number, e.Name, e.QueuesFeature, e.Agent = in.Number, in.Name, in.QueuesFeature, in.Agent
}

type newExtensionInput struct {
	extensionInput
	// SIPSecret is the secret to set; a random one when omitted.
	SIPSecret *string `json:"sip_secret"`
}

type sipSecretInput struct {
	// Secret is the secret to set; a random one when omitted.
	Secret *string `json:"secret"`
}

type sipCredentials struct {
	SIPUsername string `json:"sip_username"`
	SIPSecret   string `json:"sip_secret"`
}

func (s *Server) listExtensions(_ http.ResponseWriter, r *http.Request) (list[*callfloor.Extension], error) {
	return listOf(s.store.ListExtensions(r.Context()))
}

func (s *Server) getExtension(_ http.ResponseWriter, r *http.Request) (*callfloor.Extension, error) {
	id, err := pathID(r, "extension")
	if err != nil {
		return nil, err
	}
	return s.store.FindExtensionByID(r.Context(), id)
}

func (s *Server) createExtension(_ http.ResponseWriter, r *http.Request, dec decoder[newExtensionInput]) (*callfloor.Extension, error) {
	e := &callfloor.Extension{Agent: callfloor.DefaultAgentSettings()}
	var in newExtensionInput
	in.from(e)
	if err := dec(&in); err != nil {
		return nil, err
	}
	in.to(e)
	if err := e.Validate(); err != nil {
		return nil, err
	}
	secret, err := sipSecret(in.SIPSecret, "sip_secret")
	if err != nil {
		return nil, err
	}
	// SIP usernames are random and unique across the platform; on the
	// unlikely clash, draw again.
	for try := 0; ; try++ {
		e.SIPUsername = callfloor.NewSIPUsername(e.Number)
		e.SetSIPSecret(s.realm, secret)
		err = s.store.CreateExtension(r.Context(), e)
		if err == nil || try == 2 || callfloor.ErrorField(err) != "sip_username" {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	e.SIPSecret = secret
	return e, nil
}

// sipSecret returns the secret given in field, checked, or a new one.
func sipSecret(given *string, field string) (string, error) {
	if given == nil {
		return callfloor.NewSIPSecret(), nil
	}
	if err := callfloor.CheckSIPSecret(field, *given); err != nil {
		return "", err
	}
	return *given, nil
}

func (s *Server) updateExtension(_ http.ResponseWriter, r *http.Request, dec decoder[extensionInput]) (*callfloor.Extension, error) {
	id, err := pathID(r, "extension")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateExtension(r.Context(), id, func(e *callfloor.Extension) error {
		var in extensionInput
		in.from(e)
		if err := dec(&in); err != nil {
			return err
		}
		in.to(e)
		return nil
	})
}

// putExtensionAgent replaces the Agent tab: the body is decoded onto the
// default settings, so what it omits takes its default.
func (s *Server) putExtensionAgent(_ http.ResponseWriter, r *http.Request, dec decoder[callfloor.AgentSettings]) (*callfloor.Extension, error) {
	id, err := pathID(r, "extension")
	if err != nil {
		return nil, err
	}
	return s.store.UpdateExtension(r.Context(), id, func(e *callfloor.Extension) error {
		agent := callfloor.DefaultAgentSettings()
		if err := dec(&agent); err != nil {
			return err
		}
		e.Agent = agent
		return nil
	})
}

func (s *Server) resetSIPSecret(_ http.ResponseWriter, r *http.Request, dec decoder[sipSecretInput]) (*sipCredentials, error) {
	id, err := pathID(r, "extension")
	if err != nil {
		return nil, err
	}
	var secret string
	e, err := s.store.UpdateExtension(r.Context(), id, func(e *callfloor.Extension) error {
		var in sipSecretInput
		if err := dec(&in); err != nil {
			return err
		}
		if secret, err = sipSecret(in.Secret, "secret"); err != nil {
			return err
		}
		e.SetSIPSecret(s.realm, secret)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sipCredentials{SIPUsername: e.SIPUsername, SIPSecret: secret}, nil
}

func (s *Server) deleteExtension(_ http.ResponseWriter, r *http.Request) (noContent, error) {
	id, err := pathID(r, "extension")
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.store.DeleteExtension(r.Context(), id)
}
