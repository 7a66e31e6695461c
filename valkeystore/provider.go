package valkeystore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// replicaRefreshInterval is how often a cluster's topology is re-read when
// reads go to replicas.
const replicaRefreshInterval = 10 * time.Second

// Provider stores entries in Valkey. Create it with New; it is safe for
// concurrent use, and every cache over it shares its connections.
type Provider struct {
	client  valkey.Client
	cluster bool
	keys    layout
	cfg     Config
	log     *slog.Logger
	closed  atomic.Bool
	// opDeadline bounds single-key calls; see sharedDeadline and opDeadlines.
	opDeadline *opDeadlines
	// waiters are woken by the server's invalidation pushes; tracking says
	// whether the client asked for them (client-side caching is on).
	waiters  *waiters
	tracking bool
	// listeners are told of invalidation pushes, parsed (see Listen).
	listeners *listeners
	// follow keeps the version copies this process read, until the server
	// reports a change (see follower); nil when versions are read with
	// every entry instead. optOut says the connections track every read
	// (TrackAllReads), so no read asks for tracking on its own.
	follow *follower
	optOut bool
	// maxTracked bounds a pipeline that asks for tracking; see
	// maxTrackedPipeline.
	maxTracked int
}

// Capability checks: the facade discovers these by type assertion.
var (
	_ driver.Provider     = (*Provider)(nil)
	_ driver.BatchGetter  = (*Provider)(nil)
	_ driver.BatchSetter  = (*Provider)(nil)
	_ driver.BatchDeleter = (*Provider)(nil)
	_ driver.DefaultTTLer = (*Provider)(nil)
	_ driver.Pinger       = (*Provider)(nil)
	_ driver.Flusher      = (*Provider)(nil)
	_ driver.Budgeter     = (*Provider)(nil)
)

// New connects, pings, and fails fast with an error naming the addresses
// and the cause when the server cannot be reached or refuses the
// credentials.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opt := valkey.ClientOption{
		InitAddress: cfg.Addrs,
		Username:    cfg.Username,
		Password:    cfg.Password,
		SelectDB:    cfg.DB,
		ClientName:  cfg.ClientName,
		TLSConfig:   cfg.TLS,
	}
	opt.Dialer.Timeout = cfg.DialTimeout
	useSentinel(&opt, cfg)
	wait := &waiters{}
	keys := newLayout(cfg.KeyPrefix, cfg.IndexPrefix)
	listeners := &listeners{keys: keys}
	follow := newFollower()
	// Following versions needs every command to a node on one connection
	// (see follower): valkey-go otherwise spreads a single node's commands
	// over several.
	if !cfg.ReadVersionsEachTime && !cfg.ReplicaReads {
		opt.PipelineMultiplex = -1
	}
	if cfg.ReplicaReads {
		opt.SendToReplicas = readFromReplica
		// Replicas that are not yet reported online (Valkey 8 reports a replica
		// that has replicated nothing as "loading") are left out of read
		// routing until the topology is read again, so read it periodically.
		opt.ClusterOption.ShardsRefreshInterval = replicaRefreshInterval
	}
	if cfg.ClientOption != nil {
		cfg.ClientOption(&opt)
	}
	// Set after the hook, which may add a callback of its own but not
	// take the provider's pushes away.
	follows := !cfg.ReadVersionsEachTime && !cfg.ReplicaReads && !opt.DisableCache &&
		!opt.DisableAutoPipelining && opt.PipelineMultiplex < 0
	// The transport probes look at the options as configured, before the
	// provider's own dialer is put in.
	asConfigured := opt
	if !follows {
		follow = nil
	} else {
		watchConnections(&opt, follow)
	}
	own := opt.OnInvalidations
	opt.OnInvalidations = func(msgs []valkey.ValkeyMessage) {
		if follow != nil {
			follow.onInvalidations(keys, msgs)
		}
		wait.onInvalidations(msgs)
		listeners.notify(msgs)
		if own != nil {
			own(msgs)
		}
	}
	if cfg.TrackAllReads {
		// Pushes are read as they arrive only by a connection with a reader
		// goroutine of its own: one that auto-pipelines, with caching on.
		if opt.DisableCache || opt.DisableAutoPipelining {
			return nil, fmt.Errorf("%w: TrackAllReads needs client-side caching and auto-pipelining (ClientOption turned one off)", ErrInvalidConfig)
		}
		opt.ClientTrackingOptions = []string{"OPTOUT", "NOLOOP"}
	}
	if err := checkPlaintextPorts(ctx, &asConfigured, cfg.DialTimeout); err != nil {
		return nil, err
	}
	client, err := valkey.NewClient(opt)
	if err != nil {
		if cfg.DB != 0 && strings.Contains(err.Error(), "SELECT is not allowed in cluster mode") {
			return nil, fmt.Errorf("%w: DB %d: a cluster has only database 0", ErrInvalidConfig, cfg.DB)
		}
		err = explainConnectError(ctx, &asConfigured, cfg.DialTimeout, err)
		return nil, fmt.Errorf("valkeystore: connect to %v: %w", cfg.Addrs, err)
	}
	p := &Provider{
		client:    client,
		cluster:   client.Mode() == valkey.ClientModeCluster,
		keys:      keys,
		cfg:       cfg,
		log:       cfg.Logger,
		waiters:   wait,
		tracking:  !opt.DisableCache,
		listeners: listeners,
		follow:    follow,
		maxTracked: func() int {
			if opt.BlockingPipeline > 0 {
				return min(maxTrackedPipeline, opt.BlockingPipeline)
			}
			return maxTrackedPipeline
		}(),
		optOut: cfg.TrackAllReads,
	}
	if p.cluster {
		p.client = newTransientRetry(pinningClient{client})
	} else {
		p.client = pinningPipelines{client}
	}
	p.client = guard(p.client) // see guardedClient
	if p.cluster && cfg.DB != 0 {
		client.Close()
		return nil, fmt.Errorf("%w: DB %d: a cluster has only database 0", ErrInvalidConfig, cfg.DB)
	}
	if err := p.Ping(ctx); err != nil {
		client.Close()
		return nil, fmt.Errorf("valkeystore: connect to %v: %w", cfg.Addrs, err)
	}
	if !cfg.SkipPolicyCheck {
		p.checkEvictionPolicy(ctx)
	}
	p.capValueSize(ctx)
	p.opDeadline = newOpDeadlines(newSharedDeadline(cfg.OperationTimeout))
	return p, nil
}

// Client returns the underlying valkey-go client, so that streams, queues or
// pub/sub can use the same connections. Closing the provider closes it.
func (p *Provider) Client() valkey.Client { return p.client }

// Cluster reports whether the server is a Valkey Cluster.
func (p *Provider) Cluster() bool { return p.cluster }

// DefaultTTL implements driver.DefaultTTLer.
func (p *Provider) DefaultTTL() time.Duration { return p.cfg.DefaultTTL }

// Budgets implements driver.Budgeter: a cache call about one key has
// OperationTimeout for all its steps (so a get-or-load against a store that
// does not answer waits for it once, not once per step), a bulk call
// BulkTimeout, and a call about a whole namespace FlushTimeout.
func (p *Provider) Budgets() driver.Budgets {
	return driver.Budgets{Single: p.cfg.OperationTimeout, Bulk: p.cfg.BulkTimeout, Flush: p.cfg.FlushTimeout}
}

// Ping implements driver.Pinger: every known node must answer.
func (p *Provider) Ping(ctx context.Context) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.OperationTimeout)
	defer cancel()
	for addr, node := range p.client.Nodes() {
		if err := node.Do(ctx, node.B().Ping().Build()).Error(); err != nil {
			return fmt.Errorf("valkeystore: ping %s: %w", addr, err)
		}
	}
	return nil
}

// Close closes every connection and stops the provider's goroutine. Calls
// still waiting on the server end with driver.ErrClosed, and Close returns
// once every call in flight has returned, so none can leave a connection
// behind: a connection that such a call dialed is closed too. It is safe to
// call more than once. On a cluster, valkey-go closes connections it
// replaced during a topology refresh five seconds after the refresh, in a
// goroutine of its own that Close cannot stop; it ends by itself.
func (p *Provider) Close() error {
	if !p.closed.Swap(true) {
		p.client.Close()
		p.opDeadline.close()
	}
	return nil
}

// deadline bounds a call by timeout unless its context already ends sooner,
// in which case no timer is made. A deadline it sets is marked as the
// provider's own (ownDeadline), so that running out of it reports the
// store unavailable rather than the caller's deadline.
func (p *Provider) deadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= timeout {
		return ctx, noCancel
	}
	c, cancel := context.WithTimeout(ctx, timeout)
	return ownDeadline{c}, cancel
}

// gate fails calls on a closed provider before they reach the client.
func (p *Provider) gate() error {
	if p.closed.Load() {
		return driver.ErrClosed
	}
	return nil
}

// wrap names the operation in an error, maps the client's closing error to
// driver.ErrClosed, and marks what says the store could not serve (see
// outage) with driver.ErrUnavailable, or with driver.ErrUnreachable (which
// matches it too) when no connection could be made, keeping the client's
// error in the chain for errors.As.
func wrap(op string, err error) error {
	switch {
	case errors.Is(err, valkey.ErrClosing):
		return fmt.Errorf("valkeystore: %s: %w: %w", op, driver.ErrClosed, err)
	case notConnected(err) && !errors.Is(err, driver.ErrUnavailable):
		return fmt.Errorf("valkeystore: %s: %w: %w", op, driver.ErrUnreachable, err)
	case outage(err) && !errors.Is(err, driver.ErrUnavailable):
		return fmt.Errorf("valkeystore: %s: %w: %w", op, driver.ErrUnavailable, err)
	}
	return fmt.Errorf("valkeystore: %s: %w", op, err)
}

// notConnected reports a call that failed because no connection to the
// server could be made (refused, no route, an unknown host, no answer to
// the dial): it never reached the server.
func notConnected(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// readFromReplica routes reads of entries to replicas, and everything else,
// version keys included, to primaries: a replica that has not yet received
// an invalidation would let a stale entry pass its check, and a lock read
// from one could look free or lost when it is neither. Field entries
// (HGETALL) are read from primaries too: they hold sessions, whose next
// request must see what the one before wrote (a login, say).
func readFromReplica(cmd valkey.Completed) bool {
	if !cmd.IsReadOnly() {
		return false
	}
	args := cmd.Commands()
	if len(args) > 0 && args[0] == "HGETALL" {
		return false
	}
	return len(args) < 2 || !(isVersionKey(args[1]) || isCoordKey(args[1]))
}
