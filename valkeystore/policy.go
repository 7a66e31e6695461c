package valkeystore

import (
	"context"
	"log/slog"
)

// checkEvictionPolicy warns when a primary's maxmemory-policy would make a
// full server refuse cache writes (noeviction) instead of evicting. Without a
// maxmemory limit the policy never applies, so there is nothing to warn of. Managed
// services often forbid CONFIG; then there is nothing to check and nothing
// to say beyond a debug line.
func (p *Provider) checkEvictionPolicy(ctx context.Context) {
	ctx, cancel := p.deadline(ctx, p.cfg.OperationTimeout)
	defer cancel()
	nodes, err := p.primaries(ctx)
	if err != nil {
		p.log.Debug("valkeystore: cannot list primaries to check maxmemory-policy", slog.Any("error", err))
		return
	}
	for addr, node := range nodes {
		kv, err := node.Do(ctx, node.B().ConfigGet().Parameter("maxmemory-policy", "maxmemory").Build()).AsStrMap()
		if err != nil {
			p.log.Debug("valkeystore: cannot read maxmemory-policy", slog.String("addr", addr), slog.Any("error", err))
			continue
		}
		if policy := kv["maxmemory-policy"]; policy == "noeviction" && kv["maxmemory"] != "0" {
			p.log.Warn("valkeystore: maxmemory-policy is noeviction: once maxmemory is reached, cache writes fail instead of evicting; prefer allkeys-lru, allkeys-lfu or a volatile-* policy",
				slog.String("addr", addr), slog.String("maxmemory-policy", policy))
		}
	}
}
