package registrar

import (
	"crypto/tls"
	"errors"
	"net"
)

// ServeTLS serves SIP over TLS on ln, a plain TCP listener, with the
// certificate of conf, until the registrar or ln is closed. A binding
// made over it records transport TLS and its connection's address, so
// requests to the phone go back over that connection.
func (r *Registrar) ServeTLS(ln net.Listener, conf *tls.Config) error {
	if err := checkTLS(conf); err != nil {
		return err
	}
	return r.srv.ServeTLS(tls.NewListener(ln, conf))
}

// ServeWS serves SIP over WebSocket (RFC 7118) on ln, for browsers in
// development, until the registrar or ln is closed.
func (r *Registrar) ServeWS(ln net.Listener) error {
	return r.srv.ServeWS(newUpgradeListener(ln, nil))
}

// ServeWSS serves SIP over secure WebSocket (RFC 7118) on ln, a plain TCP
// listener, with the certificate of conf, until the registrar or ln is
// closed. Bindings made over it record transport WSS.
func (r *Registrar) ServeWSS(ln net.Listener, conf *tls.Config) error {
	if err := checkTLS(conf); err != nil {
		return err
	}
	return r.srv.ServeWSS(newUpgradeListener(ln, conf))
}

func checkTLS(conf *tls.Config) error {
	if conf == nil || (len(conf.Certificates) == 0 && conf.GetCertificate == nil && conf.GetConfigForClient == nil) {
		return errors.New("registrar: a TLS listener needs a tls.Config with a certificate")
	}
	return nil
}
