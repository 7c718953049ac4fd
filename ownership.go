package callfloor

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Error codes of account ownership between the nodes of a cluster.
// lease_held and lease_lost are not in Errors: the nodes answer each other
// with them, and no endpoint sends them. A cluster node's API may answer
// not_owner, owner_timeout and fenced (see the init below).
const (
	// ErrFenced is the journal's refusal of an append whose ownership
	// epoch is not the account's current one: another node has taken
	// the account since, and the append wrote nothing.
	ErrFenced = "fenced"
	// ErrLeaseHeld answers a node that asks for a lease another holds.
	ErrLeaseHeld = "lease_held"
	// ErrLeaseLost tells a holder that its lease is gone: a renewal
	// failed, came too late, or found another's revision.
	ErrLeaseLost = "lease_lost"
	// ErrNotOwner answers a command for an account whose floor this node
	// does not run: it never owned the account, or gave it up, or lost
	// it (its lease, or a fenced append).
	ErrNotOwner = "not_owner"
	// ErrOwnerTimeout answers a request forwarded to an account's owner
	// that received it but did not answer in time: it may have been
	// carried out, so it is not sent again.
	ErrOwnerTimeout = "owner_timeout"
)

func init() {
	Errors = append(Errors,
		ErrorInfo{ErrNotOwner, "No node of the cluster owns the account at the moment (one was lost, and another is taking the account over, within seconds): nothing was done; try again."},
		ErrorInfo{ErrOwnerTimeout, "The node that owns the account received the request but did not answer in time: it may have been carried out, so check before trying again."},
		ErrorInfo{ErrFenced, "The account moved to another node of the cluster while the request was decided: nothing was done; try again."},
	)
}

// Ownership tells which node of a cluster owns an account's live state
// (its floor engine, waiting lists, dialler, calls) and since when. Epoch
// rises by one each time a node takes the account; it is the fencing
// token of that node's journal appends (AccountEvents.Epoch), so a node
// that was overtaken cannot write to the account's journal any more. A
// single server never takes ownership: its appends carry epoch 0.
type Ownership struct {
	AccountID int64
	// Node names the owner; empty with Epoch 0 when no node ever took
	// the account.
	Node  string
	Epoch int64
	Since time.Time
}

// ClusterNode is one node of a cluster as the others, and the SIP front
// door (deploy/kamailio), find it. A node rewrites its row while it runs
// (PutClusterNode); Kamailio sends an account's SIP to the SIPURI of the
// node that owns the account (Ownership.Node) while that node's SeenAt is
// recent.
type ClusterNode struct {
	// Name is the node's name, as in Ownership.Node: a letter or digit,
	// then letters, digits, ".", "_" or "-", at most 63 in all.
	Name string `json:"name"`
	// SIPURI is where the front door sends the node's SIP: a sip: or
	// sips: URI with a host, an optional port and an optional transport
	// parameter, and no user part (sip:10.0.0.11:5060;transport=tcp).
	SIPURI string `json:"sip_uri"`
	// HTTPURL is the base URL of the node's HTTP API (http or https).
	HTTPURL string `json:"http_url"`
	// SeenAt is when the node last said it was alive: the store's clock
	// at its last PutClusterNode.
	SeenAt time.Time `json:"seen_at"`
}

var (
	clusterNodeNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	// A host name or IPv4 address, or an IPv6 address in brackets; a
	// port; one transport parameter. Nothing else, so that the proxy
	// can use the URI as it is.
	clusterSIPURIRe = regexp.MustCompile(`^sips?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?(;transport=(udp|tcp|tls|sctp|ws|wss))?$`)
)

// Validate checks the node's fields (not SeenAt, which the store sets).
func (n *ClusterNode) Validate() error {
	if n.Name == "" {
		return FieldError(ErrFieldRequired, "name", "a cluster node needs a name")
	}
	if !clusterNodeNameRe.MatchString(n.Name) {
		return FieldError(ErrInvalidField, "name", "a node's name is a letter or digit, then letters, digits, '.', '_' or '-', at most 63 in all")
	}
	if n.SIPURI == "" {
		return FieldError(ErrFieldRequired, "sip_uri", "a cluster node needs the SIP URI the front door sends to")
	}
	m := clusterSIPURIRe.FindStringSubmatch(n.SIPURI)
	if m == nil {
		return FieldError(ErrInvalidField, "sip_uri", "sip_uri is a sip: or sips: URI of a host, with an optional port and transport and nothing else (sip:10.0.0.11:5060)")
	}
	if m[3] != "" {
		if p, err := strconv.Atoi(m[3][1:]); err != nil || p < 1 || p > 65535 {
			return FieldError(ErrInvalidField, "sip_uri", "sip_uri's port is not between 1 and 65535")
		}
	}
	if n.HTTPURL == "" {
		return FieldError(ErrFieldRequired, "http_url", "a cluster node needs the URL of its HTTP API")
	}
	u, err := url.Parse(n.HTTPURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || !printable(n.HTTPURL) || strings.ContainsAny(n.HTTPURL, " ") {
		return FieldError(ErrInvalidField, "http_url", "http_url is an http or https URL with a host, and no credentials, query or fragment")
	}
	return nil
}

// ClusterNodeService keeps the nodes of a cluster: each node's row says
// where to reach it and when it last said it was alive. Like the
// ownership methods it is not scoped to an account: the nodes share it.
type ClusterNodeService interface {
	// PutClusterNode creates or replaces the node's row by its name,
	// with SeenAt the store's clock now, and returns the row as stored.
	// A node calls it at start and then regularly, as its heartbeat.
	PutClusterNode(ctx context.Context, n ClusterNode) (ClusterNode, error)
	// ClusterNodes lists every node, by name.
	ClusterNodes(ctx context.Context) ([]ClusterNode, error)
	// DeleteClusterNode removes the node's row (not_found when there is
	// none). The accounts it owned keep their owner rows until another
	// node takes them.
	DeleteClusterNode(ctx context.Context, name string) error
}
