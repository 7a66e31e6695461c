package valkeystore

import (
	"context"
	"log/slog"
)

// checkEvictionPolicy warns when a primary's maxmemory-policy would make a
// full server refuse cache writes (noeviction) instead of evicting. Without a
// maxmemory limit the policy never applies, so there is nothing to warn of. Managed
// services often forbid CONFIG; then there is nothing to check and nothing
// to say beyond a debug line, except where an ACL refused it to this user:
// that is said once, at Info, with the grant that would enable the check.
func (p *Provider) checkEvictionPolicy(ctx context.Context) {
	ctx, cancel := p.deadline(ctx, p.cfg.OperationTimeout)
	defer cancel()
	const unchecked = "a noeviction policy would not be warned of"
	nodes, err := p.primaries(ctx)
	if err != nil {
		if !p.deniedCheck("maxmemory-policy", unchecked, "", err) {
			p.log.Debug("valkeystore: cannot list primaries to check maxmemory-policy", slog.Any("error", err))
		}
		return
	}
	for addr, node := range nodes {
		kv, err := node.Do(ctx, node.B().ConfigGet().Parameter("maxmemory-policy", "maxmemory").Build()).AsStrMap()
		if err != nil {
			if p.deniedCheck("maxmemory-policy", unchecked, addr, err) {
				return
			}
			p.log.Debug("valkeystore: cannot read maxmemory-policy", slog.String("addr", addr), slog.Any("error", err))
			continue
		}
		if policy := kv["maxmemory-policy"]; policy == "noeviction" && kv["maxmemory"] != "0" {
			p.log.Warn("valkeystore: maxmemory-policy is noeviction: once maxmemory is reached, cache writes fail instead of evicting; prefer allkeys-lru, allkeys-lfu or a volatile-* policy",
				slog.String("addr", addr), slog.String("maxmemory-policy", policy))
		}
	}
}
