package valkeystore

import (
	"context"
	"time"

	"github.com/valkey-io/valkey-go"
)

// pinningClient keeps valkey-go from recycling the commands it sends to a
// cluster. valkey-go v1.0.79 returns a command to its pool when a call
// completes, even when the call completed by a retry on a new connection
// after the first one was killed, while that first connection's writer may
// still be reading the command: the race detector reports it. A pinned
// command is left to the garbage collector instead, at the cost of two
// allocations per command. On a cluster every command is pinned; on a
// single node pipelines are (the race was seen there with a pipeline
// retried after CLIENT KILL), and single commands, the hits, are not.
type pinningClient struct {
	valkey.Client
}

// pinningPipelines pins the commands of pipelines only.
type pinningPipelines struct {
	valkey.Client
}

func (c pinningPipelines) DoMulti(ctx context.Context, multi ...valkey.Completed) []valkey.ValkeyResult {
	for i := range multi {
		multi[i] = multi[i].Pin()
	}
	return c.Client.DoMulti(ctx, multi...)
}

func (c pinningClient) Do(ctx context.Context, cmd valkey.Completed) valkey.ValkeyResult {
	return c.Client.Do(ctx, cmd.Pin())
}

func (c pinningClient) DoMulti(ctx context.Context, multi ...valkey.Completed) []valkey.ValkeyResult {
	for i := range multi {
		multi[i] = multi[i].Pin()
	}
	return c.Client.DoMulti(ctx, multi...)
}

func (c pinningClient) DoCache(ctx context.Context, cmd valkey.Cacheable, ttl time.Duration) valkey.ValkeyResult {
	return c.Client.DoCache(ctx, cmd.Pin(), ttl)
}
