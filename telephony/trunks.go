package telephony

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/sip/b2bua"
	"github.com/callfloor/callfloor/sip/trunk"
)

// Trunks routes calls to and from carriers with the store's trunks and
// inbound numbers. It is the B2BUA's TrunkRouter.
type Trunks struct {
	// Directory answers the look-ups: the store, or the server's
	// in-memory view of it (sipview).
	Directory Directory
	// Rand picks among n caller IDs (math/rand when nil).
	Rand func(n int) int
	// LookupIP resolves a trunk's host (net.DefaultResolver when nil).
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Directory is what Trunks looks up, in the account of the context
// (ListTrunks, FindCallerIDPoolByID, FindExtensionByID) or in every
// account (the others); callfloor.Store is one.
type Directory interface {
	ListTrunks(ctx context.Context) ([]*callfloor.Trunk, error)
	FindCallerIDPoolByID(ctx context.Context, id int64) (*callfloor.CallerIDPool, error)
	FindExtensionByID(ctx context.Context, id int64) (*callfloor.Extension, error)
	ListEnabledTrunks(ctx context.Context) ([]*callfloor.Trunk, error)
	FindTrunksBySource(ctx context.Context, src netip.AddrPort) ([]*callfloor.Trunk, error)
	FindInboundNumber(ctx context.Context, number string) (*callfloor.InboundNumber, error)
}

// Outbound sends caller's call to number out through the account's first
// enabled trunk, with a caller ID from the agent's caller-ID pool (at
// random when the Agent tab says randomise), else the trunk's default.
func (t *Trunks) Outbound(ctx context.Context, caller *callfloor.Extension, number string) (*b2bua.OutboundRoute, error) {
	sctx := callfloor.SystemContext(ctx, caller.AccountID)
	trunks, err := t.Directory.ListTrunks(sctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(trunks, func(i, j int) bool { return trunks[i].ID < trunks[j].ID })
	var tr *callfloor.Trunk
	for _, c := range trunks {
		if c.Enabled {
			tr = c
			break
		}
	}
	if tr == nil {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "the account has no enabled trunk")
	}
	var pool *callfloor.CallerIDPool
	if id := caller.Agent.CallerIDPoolID; id != nil {
		if pool, err = t.Directory.FindCallerIDPoolByID(sctx, *id); err != nil && callfloor.ErrorCode(err) != callfloor.ErrNotFound {
			return nil, err
		}
	}
	rnd := t.Rand
	if rnd == nil {
		rnd = rand.IntN
	}
	host, port := tr.Address()
	creds := trunk.CredentialsOf(tr).AnswerOptions()
	return &b2bua.OutboundRoute{
		TrunkID:   tr.ID,
		Target:    sip.Uri{Scheme: "sip", User: tr.Dial(number), Host: host, Port: port},
		Dest:      net.JoinHostPort(host, strconv.Itoa(port)),
		Transport: string(tr.Transport),
		CallerID:  callfloor.PickCallerID(pool, caller.Agent.RandomiseCallerID, tr.DefaultCallerID, rnd),
		Username:  creds.Username,
		Password:  creds.Password,
	}, nil
}

// Inbound recognises a carrier's INVITE: by the trunk its Request-URI
// names (the Contact we registered with) and its host's address, or by an
// ip trunk admitting its source address and port, then by the inbound
// number it is for, which must belong to the trunk's account.
func (t *Trunks) Inbound(ctx context.Context, req *sip.Request, src netip.Addr) (*b2bua.InboundRoute, error) {
	var candidates []*callfloor.Trunk
	named := false
	if id, ok := trunk.TrunkIDFromURI(req.Recipient); ok {
		named = true
		all, err := t.Directory.ListEnabledTrunks(ctx)
		if err != nil {
			return nil, err
		}
		for _, tr := range all {
			if tr.ID == id && t.fromHost(ctx, tr, src) {
				candidates = append(candidates, tr)
			}
		}
	} else {
		var err error
		if candidates, err = t.Directory.FindTrunksBySource(ctx, sourceOf(req, src)); err != nil {
			return nil, err
		}
	}
	if len(candidates) == 0 {
		return nil, nil // an extension's phone, which must authenticate
	}
	did, err := t.Directory.FindInboundNumber(ctx, req.Recipient.User)
	switch {
	case callfloor.ErrorCode(err) == callfloor.ErrNotFound && !named:
		// An address an IP trunk admits may be shared with phones (a
		// PBX's own host, a NAT): a number that is no DID is a phone's
		// call, which must authenticate.
		return nil, nil
	case err != nil:
		return nil, err // not_found: 404 to the carrier
	}
	var tr *callfloor.Trunk
	for _, c := range candidates {
		if c.AccountID == did.AccountID && (did.TrunkID == nil || *did.TrunkID == c.ID) {
			tr = c
		}
	}
	if tr == nil {
		return nil, callfloor.Errorf(callfloor.ErrNotFound, "inbound number %s does not arrive on this trunk", did.Number)
	}
	r := &b2bua.InboundRoute{TrunkID: tr.ID, AccountID: did.AccountID, Number: did.Number}
	if f := req.From(); f != nil {
		r.From = f.Address.User
	}
	switch did.Destination.Kind {
	case callfloor.DestinationExtension:
		ext, err := t.Directory.FindExtensionByID(callfloor.SystemContext(ctx, did.AccountID), did.Destination.ID)
		if err != nil {
			return nil, err
		}
		r.Callee = ext
	case callfloor.DestinationQueue:
		r.QueueID = did.Destination.ID
	}
	return r, nil
}

// fromHost reports whether src is an address of the trunk's host, so a
// request naming a registration trunk comes from its carrier.
func (t *Trunks) fromHost(ctx context.Context, tr *callfloor.Trunk, src netip.Addr) bool {
	host, _ := tr.Address()
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap() == src
	}
	lookup := t.LookupIP
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if ip.Unmap() == src {
			return true
		}
	}
	return false
}

// sourceOf is the address and port req came from; src is its address as
// the B2BUA read it. Without a readable source the port is 0, which only
// sources that name no port admit.
func sourceOf(req *sip.Request, src netip.Addr) netip.AddrPort {
	if ap, err := netip.ParseAddrPort(req.Source()); err == nil && ap.Addr().Unmap() == src.Unmap() {
		return netip.AddrPortFrom(src.Unmap(), ap.Port())
	}
	return netip.AddrPortFrom(src.Unmap(), 0)
}
