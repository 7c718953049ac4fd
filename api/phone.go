package api

import (
	"net/http"

	"github.com/callfloor/callfloor"
)

// BrowserPhone is where browser phones register and what they are given
// to reach the server's media: set by the server's wiring.
type BrowserPhone struct {
	// WebSocketURL is the SIP over WebSocket URL browsers register at
	// (ws:// in development, wss:// in production); empty: none served.
	WebSocketURL string
	// ICEServers are the STUN and TURN servers handed to the browser.
	ICEServers []ICEServer
}

// ICEServer is a STUN or TURN server, as RTCPeerConnection takes it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// PhoneSettings is what the Agent Workspace needs to be the agent's
// phone. An agent on the external engine gets only Engine: their calls
// ring a softphone, and the page is no phone.
type PhoneSettings struct {
	Engine callfloor.PhoneEngine `json:"engine"`
	// WebSocketURL, URI, Username, Realm and HA1 register the page: the
	// digest HA1 of the extension's SIP secret for Realm stands in for
	// the secret, which is never stored.
	WebSocketURL string      `json:"websocket_url,omitempty"`
	URI          string      `json:"uri,omitempty"`
	Username     string      `json:"username,omitempty"`
	Realm        string      `json:"realm,omitempty"`
	HA1          string      `json:"ha1,omitempty"`
	DisplayName  string      `json:"display_name,omitempty"`
	ICEServers   []ICEServer `json:"ice_servers,omitempty"`
}

// getMyPhone answers the page's SIP credentials, for the caller's own
// extension only: never in the bundle, never another user's.
func (s *Server) getMyPhone(_ http.ResponseWriter, r *http.Request) (*PhoneSettings, error) {
	ctx := r.Context()
	id, err := s.myExtension(ctx)
	if err != nil {
		return nil, err
	}
	ext, err := s.store.FindExtensionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	engine := ext.Agent.PhoneEngine
	if engine == "" {
		engine = callfloor.PhoneExternal
	}
	out := &PhoneSettings{Engine: engine}
	if engine != callfloor.PhoneWebRTC {
		return out, nil
	}
	var bp BrowserPhone
	if s.browserPhone != nil {
		bp = s.browserPhone()
	}
	if bp.WebSocketURL == "" {
		return nil, errorf(callfloor.ErrTelephonyOff,
			"this server serves no SIP over WebSocket (start it with --sip-ws or --sip-wss): the page cannot be the phone")
	}
	if ext.SIPHA1 == "" {
		return nil, errorf(callfloor.ErrInvalidField, "the extension has no SIP secret yet: an administrator sets one")
	}
	out.WebSocketURL, out.Username, out.Realm, out.HA1 = bp.WebSocketURL, ext.SIPUsername, s.realm, ext.SIPHA1
	out.URI = "sip:" + ext.SIPUsername + "@" + s.realm
	out.DisplayName = ext.Number
	out.ICEServers = append([]ICEServer{}, bp.ICEServers...)
	return out, nil
}
