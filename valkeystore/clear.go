package valkeystore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

var errShortReply = errors.New("reply has fewer elements than the request")

// scanCount is the COUNT hint of each SCAN step while clearing.
const scanCount = 1000

// Clear implements driver.Provider: SCAN MATCH on every primary for the
// namespace's keys, unlinking each batch as it is found. It never uses KEYS
// (which blocks the server) nor FLUSHDB (which would take other namespaces).
// Entries written while it runs may survive it.
func (p *Provider) Clear(ctx context.Context, namespace string) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.FlushTimeout)
	defer cancel()
	// The namespace's version copies go too, and this connection's own
	// deletions are not pushed back to it under NOLOOP.
	defer p.forgetAll()
	nodes, err := p.primaries(ctx)
	if err != nil {
		return err
	}
	pattern := p.keys.namespacePattern(namespace)
	for addr, node := range nodes {
		if err := p.clearNode(ctx, node, pattern); err != nil {
			return fmt.Errorf("valkeystore: clear namespace %q on %s: %w", namespace, addr, err)
		}
	}
	return nil
}

func (p *Provider) clearNode(ctx context.Context, node valkey.Client, pattern string) error {
	var cursor uint64
	for {
		entry, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(scanCount).Build()).AsScanEntry()
		if err != nil {
			return err
		}
		if len(entry.Elements) > 0 {
			if err := p.unlink(ctx, entry.Elements); err != nil {
				return err
			}
		}
		if cursor = entry.Cursor; cursor == 0 {
			return nil
		}
	}
}

// Flush implements driver.Flusher: FLUSHDB on every primary, only when
// Config.AllowUnsafeFLUSHDB is set. It removes every key of the database,
// other applications' included.
func (p *Provider) Flush(ctx context.Context) error {
	if err := p.gate(); err != nil {
		return err
	}
	if !p.cfg.AllowUnsafeFLUSHDB {
		return driver.ErrFlushNotAllowed
	}
	ctx, cancel := p.deadline(ctx, p.cfg.FlushTimeout)
	defer cancel()
	defer p.forgetAll()
	nodes, err := p.primaries(ctx)
	if err != nil {
		return err
	}
	for addr, node := range nodes {
		if err := node.Do(ctx, node.B().Flushdb().Build()).Error(); err != nil {
			return fmt.Errorf("valkeystore: flushdb on %s: %w", addr, err)
		}
	}
	return nil
}

// primaries returns the nodes that own slots: the single node, or each
// cluster node whose ROLE is master.
func (p *Provider) primaries(ctx context.Context) (map[string]valkey.Client, error) {
	nodes := p.client.Nodes()
	if !p.cluster {
		return nodes, nil
	}
	out := make(map[string]valkey.Client, len(nodes))
	for addr, node := range nodes {
		role, err := node.Do(ctx, node.B().Role().Build()).ToArray()
		if err != nil {
			return nil, wrap("role of "+addr, err)
		}
		if len(role) > 0 {
			if name, _ := role[0].ToString(); strings.EqualFold(name, "master") {
				out[addr] = node
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("valkeystore: no primary among %d cluster nodes", len(nodes))
	}
	return out, nil
}
