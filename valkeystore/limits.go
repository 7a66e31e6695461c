package valkeystore

import (
	"context"
	"log/slog"
	"strconv"
)

// capValueSize lowers Config.MaxValueBytes to the smallest
// proto-max-bulk-len of the primaries. A value over that limit is not
// refused as a reply: the server reads it as a protocol error and drops the
// connection, failing every call pipelined on it. Refused here, it fails
// alone with driver.ErrValueTooLarge, before anything is sent. Best effort:
// where CONFIG is forbidden (managed services, ACL users without it) the
// configured limit stays, and that is said once (naming the grant that
// would enable the check when an ACL refused it).
func (p *Provider) capValueSize(ctx context.Context) {
	ctx, cancel := p.deadline(ctx, p.cfg.OperationTimeout)
	defer cancel()
	const unchecked = "MaxValueBytes is not checked against it"
	nodes, err := p.primaries(ctx)
	if err != nil {
		if !p.deniedCheck("proto-max-bulk-len", unchecked, "", err) {
			p.log.Info("valkeystore: cannot read proto-max-bulk-len; "+unchecked, slog.Any("error", err))
		}
		return
	}
	for addr, node := range nodes {
		kv, err := node.Do(ctx, node.B().ConfigGet().Parameter("proto-max-bulk-len").Build()).AsStrMap()
		if err != nil {
			if !p.deniedCheck("proto-max-bulk-len", unchecked, addr, err) {
				p.log.Info("valkeystore: cannot read proto-max-bulk-len; "+unchecked,
					slog.String("addr", addr), slog.Any("error", err))
			}
			return
		}
		limit, err := strconv.ParseInt(kv["proto-max-bulk-len"], 10, 64)
		if err != nil || limit <= 0 || limit >= int64(p.cfg.MaxValueBytes) {
			continue
		}
		p.log.Debug("valkeystore: MaxValueBytes lowered to the server's proto-max-bulk-len",
			slog.String("addr", addr), slog.Int("from", p.cfg.MaxValueBytes), slog.Int64("to", limit))
		p.cfg.MaxValueBytes = int(limit)
	}
}
