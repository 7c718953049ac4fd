package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/callfloor/callfloor"
	"github.com/callfloor/callfloor/cluster/placement"
)

// The cluster's admin commands: drain, undrain and cluster-status. They
// reach the cluster's buckets through NATS (the same --nats, --cluster
// and --cluster-ttl as the nodes) and read the owners from the store.

// registry connects to the cluster's NATS and opens its registry of
// nodes; close ends the connection.
func (c *adminCmd) registry() (_ *placement.Registry, closeFn func(), err error) {
	if c.cfg.NATS == "" {
		return nil, nil, errNoCluster
	}
	nc, err := nats.Connect(c.cfg.NATS, nats.Name("callfloor admin"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("nats %s: %w", c.cfg.NATS, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	r, err := placement.OpenRegistry(c.ctx, js, placement.RegistryConfig{Nodes: c.cfg.Cluster + "_nodes", Drain: c.cfg.Cluster + "_drain", TTL: c.cfg.ClusterTTL})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("the cluster's registry (give the nodes' --cluster-ttl): %w", err)
	}
	return r, nc.Close, nil
}

func (c *adminCmd) needNode(sub string) error {
	if c.node == "" {
		return callfloor.FieldError(callfloor.ErrFieldRequired, "NODE", "name the node: callfloor admin %s NODE", sub)
	}
	if !validNodeName(c.node) {
		return callfloor.FieldError(callfloor.ErrInvalidField, "NODE", "a node name is 1 to 64 letters, digits, - or _")
	}
	return nil
}

// drain marks the node draining: the nodes' placers move its accounts to
// the others, each once it has no call. With --wait it returns once the
// node owns no account.
func (c *adminCmd) drain() error {
	if err := c.needNode("drain"); err != nil {
		return err
	}
	r, done, err := c.registry()
	if err != nil {
		return err
	}
	defer done()
	if err := r.Drain(c.ctx, c.node); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "node %s drains: its accounts move to the other nodes, each once it has no call\n", c.node)
	if c.wait <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.wait)
	defer cancel()
	for {
		owned, err := c.owners(ctx)
		if err != nil {
			return err
		}
		n := owned[c.node]
		if n == 0 {
			fmt.Fprintf(c.stdout, "node %s owns no account\n", c.node)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s still owns %d accounts after %s (accounts with calls move when the calls end)", c.node, n, c.wait)
		case <-time.After(time.Second):
		}
	}
}

func (c *adminCmd) undrain() error {
	if err := c.needNode("undrain"); err != nil {
		return err
	}
	r, done, err := c.registry()
	if err != nil {
		return err
	}
	defer done()
	if err := r.Undrain(c.ctx, c.node); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "node %s takes its share of accounts again, each once it has no call\n", c.node)
	return nil
}

// owners counts the accounts each node owns, as the journal's owner rows
// say.
func (c *adminCmd) owners(ctx context.Context) (map[string]int, error) {
	accs, err := c.store.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, a := range accs {
		o, err := c.store.AccountOwnership(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		out[o.Node]++
	}
	return out, nil
}

// clusterStatus lists the live nodes with their addresses, whether each
// drains and how many accounts each owns, then the accounts no live node
// owns.
func (c *adminCmd) clusterStatus() error {
	r, done, err := c.registry()
	if err != nil {
		return err
	}
	defer done()
	nodes, err := r.Nodes(c.ctx)
	if err != nil {
		return err
	}
	draining, err := r.Draining(c.ctx)
	if err != nil {
		return err
	}
	owned, err := c.owners(c.ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tHTTP\tSIP\tSTARTED\tDRAINING\tACCOUNTS")
	for _, n := range nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%d\n", n.Name, n.HTTPURL, n.SIPURI, n.Started.UTC().Format(time.RFC3339),
			slices.Contains(draining, n.Name), owned[n.Name])
		delete(owned, n.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var gone []string
	for name, n := range owned {
		if name == "" {
			name = "(never owned)"
		}
		gone = append(gone, fmt.Sprintf("%s: %d", name, n))
	}
	slices.Sort(gone)
	if len(gone) > 0 {
		fmt.Fprintf(c.stdout, "accounts last owned by nodes not alive now (taken over within seconds): %s\n", strings.Join(gone, ", "))
	}
	return nil
}
