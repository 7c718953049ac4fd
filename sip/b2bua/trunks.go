package b2bua

import (
	"context"
	"net/netip"

	"github.com/callfloor/callfloor"
	"github.com/emiago/sipgo/sip"
)

// TrunkRouter connects the B2BUA to carriers: it routes extensions' calls
// to outside numbers out through a trunk, and recognises calls a carrier
// sends in for an inbound number (DID).
type TrunkRouter interface {
	// Outbound is how caller reaches number, which is no extension of
	// its account. An error with code callfloor.ErrNotFound means no
	// trunk can take it.
	Outbound(ctx context.Context, caller *callfloor.Extension, number string) (*OutboundRoute, error)
	// Inbound recognises a new INVITE from a carrier, by the trunk its
	// Request-URI names or its source address, and the inbound number it
	// is for. nil, nil: not a carrier's call (an extension's phone).
	Inbound(ctx context.Context, req *sip.Request, source netip.Addr) (*InboundRoute, error)
}

// OutboundRoute is where and how to send a call out.
type OutboundRoute struct {
	TrunkID int64
	// Target is the Request-URI (the number as the carrier wants it at
	// its host); Dest and Transport reach the carrier.
	Target    sip.Uri
	Dest      string
	Transport string
	// CallerID is the number the callee sees (From).
	CallerID string
	// Username and Password answer the carrier's digest challenge.
	Username, Password string
}

// InboundRoute is a carrier's call for an inbound number.
type InboundRoute struct {
	TrunkID   int64
	AccountID int64
	// Number is the inbound number dialled; From the caller's number.
	Number, From string
	// Callee is the extension the number rings; nil with QueueID set
	// for a number routed to a queue.
	Callee  *callfloor.Extension
	QueueID int64
}
