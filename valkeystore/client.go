package valkeystore

import (
	"context"
	"errors"
	"time"

	"github.com/valkey-io/valkey-go"
)

// guardedClient is the valkey-go client as the provider uses it. valkey-go
// dials its connections lazily, from within whichever call first finds one
// missing (on first use of each pipelining connection, and after a
// connection was lost). The dial runs on that call's context, and every
// call that needs the same connection meanwhile shares its outcome. A
// caller that gives up during the dial (a cancelled request, a lock holder
// releasing) fails all of them with its context.Canceled, or its short
// deadline, although their own contexts are alive. Such a failure sent
// nothing to the server (the calls never had a connection; a waiter on
// another call's client-side cache fill only asked for a read), so
// guardedClient sends those calls again, up to foreignRetries times.
type guardedClient struct {
	valkey.Client
}

// foreignRetries bounds how many times a call is sent again after failing
// on another call's context; each try normally dials afresh on the call's
// own context, so a second failure of the kind is already rare.
const foreignRetries = 3

func guard(c valkey.Client) guardedClient {
	return guardedClient{Client: c}
}

// foreignContextError reports whether err is a context's error that cannot
// be ctx's own: ctx is neither cancelled nor past its deadline. valkey-go
// reports a call's own end as ctx.Err(), so an error that matches one
// while ctx is alive came from the context of another call.
func foreignContextError(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// A read that timed out on ctx's own deadline can return a moment
		// before ctx reports it; that call may have run, so it is not
		// sent again.
		dl, ok := ctx.Deadline()
		return !ok || time.Now().Before(dl)
	}
	return false
}

func (c guardedClient) Do(ctx context.Context, cmd valkey.Completed) (resp valkey.ValkeyResult) {
	resp = c.Client.Do(ctx, cmd)
	for range foreignRetries {
		if !foreignContextError(ctx, resp.Error()) {
			break
		}
		resp = c.Client.Do(ctx, cmd)
	}
	return resp
}

func (c guardedClient) DoCache(ctx context.Context, cmd valkey.Cacheable, ttl time.Duration) (resp valkey.ValkeyResult) {
	resp = c.Client.DoCache(ctx, cmd, ttl)
	for range foreignRetries {
		if !foreignContextError(ctx, resp.Error()) {
			break
		}
		resp = c.Client.DoCache(ctx, cmd, ttl)
	}
	return resp
}

// DoMulti sends again only the commands that failed on another call's
// context: on a cluster the others may have run on their nodes.
func (c guardedClient) DoMulti(ctx context.Context, multi ...valkey.Completed) []valkey.ValkeyResult {
	resps := c.Client.DoMulti(ctx, multi...)
	for range foreignRetries {
		var again []int
		for i, r := range resps {
			if foreignContextError(ctx, r.Error()) {
				again = append(again, i)
			}
		}
		if len(again) == 0 {
			break
		}
		cmds := make([]valkey.Completed, len(again))
		for j, i := range again {
			cmds[j] = multi[i]
		}
		for j, r := range c.Client.DoMulti(ctx, cmds...) {
			resps[again[j]] = r
		}
	}
	return resps
}

func (c guardedClient) DoMultiCache(ctx context.Context, multi ...valkey.CacheableTTL) []valkey.ValkeyResult {
	resps := c.Client.DoMultiCache(ctx, multi...)
	for range foreignRetries {
		var again []int
		for i, r := range resps {
			if foreignContextError(ctx, r.Error()) {
				again = append(again, i)
			}
		}
		if len(again) == 0 {
			break
		}
		cmds := make([]valkey.CacheableTTL, len(again))
		for j, i := range again {
			cmds[j] = multi[i]
		}
		for j, r := range c.Client.DoMultiCache(ctx, cmds...) {
			resps[again[j]] = r
		}
	}
	return resps
}

// Nodes returns the nodes' clients guarded the same way, for the calls
// made on one node (pings, scans).
func (c guardedClient) Nodes() map[string]valkey.Client {
	nodes := c.Client.Nodes()
	for addr, n := range nodes {
		nodes[addr] = guardedClient{Client: n}
	}
	return nodes
}
