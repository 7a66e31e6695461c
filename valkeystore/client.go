package valkeystore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valkey-io/valkey-go"
)

// guardedClient is the valkey-go client as the provider uses it. It covers
// two ways in which valkey-go lets one call affect others, both rooted in
// its connections being dialed lazily, from within whichever call first
// finds one missing (on first use of each pipelining connection, and after
// a connection was lost):
//
//   - The dial runs on that call's context, and every call that needs the
//     same connection meanwhile shares its outcome. A caller that gives up
//     during the dial (a cancelled request, a lock holder releasing) fails
//     all of them with its context.Canceled, or its short deadline, although
//     their own contexts are alive. Such a failure sent nothing to the server
//     (the calls never had a connection; a waiter on another call's
//     client-side cache fill only asked for a read), so guardedClient sends
//     those calls again, up to foreignRetries times.
//   - A call that is dialing when the client is closed stores its new
//     connection afterwards, and nothing ever closes it (nor its two
//     goroutines). So Close stops admitting calls, closes the client (which
//     ends the calls waiting on a connection with valkey.ErrClosing), waits
//     for the calls in flight, then closes the client once more, which closes
//     any connection those calls dialed.
//
// Dedicated and Dedicate are the embedded client's: their connections come
// from a pool that closing the client shuts.
type guardedClient struct {
	valkey.Client
	calls *callGate
}

// foreignRetries bounds how many times a call is sent again after failing
// on another call's context; each try normally dials afresh on the call's
// own context, so a second failure of the kind is already rare.
const foreignRetries = 3

func guard(c valkey.Client) guardedClient {
	return guardedClient{Client: c, calls: newCallGate()}
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

func closingResults(n int) []valkey.ValkeyResult {
	out := make([]valkey.ValkeyResult, n)
	for i := range out {
		out[i] = valkey.NewErrorResult(valkey.ErrClosing)
	}
	return out
}

func (c guardedClient) Do(ctx context.Context, cmd valkey.Completed) (resp valkey.ValkeyResult) {
	if !c.calls.enter() {
		return valkey.NewErrorResult(valkey.ErrClosing)
	}
	defer c.calls.leave()
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
	if !c.calls.enter() {
		return valkey.NewErrorResult(valkey.ErrClosing)
	}
	defer c.calls.leave()
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
	if !c.calls.enter() {
		return closingResults(len(multi))
	}
	defer c.calls.leave()
	resps := c.Client.DoMulti(ctx, multi...)
	if !anyForeign(ctx, resps) {
		return resps
	}
	return resendForeign(ctx, multi, resps, func(cmds []valkey.Completed) []valkey.ValkeyResult {
		return c.Client.DoMulti(ctx, cmds...)
	})
}

func (c guardedClient) DoMultiCache(ctx context.Context, multi ...valkey.CacheableTTL) []valkey.ValkeyResult {
	if !c.calls.enter() {
		return closingResults(len(multi))
	}
	defer c.calls.leave()
	resps := c.Client.DoMultiCache(ctx, multi...)
	if !anyForeign(ctx, resps) {
		return resps
	}
	return resendForeign(ctx, multi, resps, func(cmds []valkey.CacheableTTL) []valkey.ValkeyResult {
		return c.Client.DoMultiCache(ctx, cmds...)
	})
}

// anyForeign reports whether a reply is another call's context error.
func anyForeign(ctx context.Context, resps []valkey.ValkeyResult) bool {
	for _, r := range resps {
		if foreignContextError(ctx, r.Error()) {
			return true
		}
	}
	return false
}

// resendForeign sends again with do, at most foreignRetries times, the
// commands of multi whose replies in resps are another call's context
// error while ctx is alive.
func resendForeign[C any](ctx context.Context, multi []C, resps []valkey.ValkeyResult, do func([]C) []valkey.ValkeyResult) []valkey.ValkeyResult {
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
		cmds := make([]C, len(again))
		for j, i := range again {
			cmds[j] = multi[i]
		}
		for j, r := range do(cmds) {
			resps[again[j]] = r
		}
	}
	return resps
}

func (c guardedClient) DoStream(ctx context.Context, cmd valkey.Completed) valkey.ValkeyResultStream {
	if !c.calls.enter() {
		return valkey.NewErrorResultStream(valkey.ErrClosing)
	}
	defer c.calls.leave()
	return c.Client.DoStream(ctx, cmd)
}

func (c guardedClient) DoMultiStream(ctx context.Context, multi ...valkey.Completed) valkey.MultiValkeyResultStream {
	if !c.calls.enter() {
		return valkey.NewErrorResultStream(valkey.ErrClosing)
	}
	defer c.calls.leave()
	return c.Client.DoMultiStream(ctx, multi...)
}

func (c guardedClient) Receive(ctx context.Context, subscribe valkey.Completed, fn func(msg valkey.PubSubMessage)) error {
	if !c.calls.enter() {
		return valkey.ErrClosing
	}
	defer c.calls.leave()
	return c.Client.Receive(ctx, subscribe, fn)
}

// Nodes returns the nodes' clients guarded by the same gate, so that calls
// made on one node (pings, scans) are waited for by Close too.
func (c guardedClient) Nodes() map[string]valkey.Client {
	nodes := c.Client.Nodes()
	for addr, n := range nodes {
		nodes[addr] = guardedClient{Client: n, calls: c.calls}
	}
	return nodes
}

// Close closes the client so that no connection and no goroutine of it is
// left, even with calls in flight; see guardedClient. It returns once
// every call admitted before it has returned: calls waiting on the server
// end at once with valkey.ErrClosing, and a call dialing a connection
// within the dial's timeout.
func (c guardedClient) Close() {
	if !c.calls.shut() {
		return
	}
	c.Client.Close()
	c.calls.wait()
	c.Client.Close()
}

// callGate counts the calls in flight and, once shut, admits no more.
type callGate struct {
	// state is the number of calls in flight, plus shutBit once shut.
	state   atomic.Int64
	drained chan struct{}
	once    sync.Once
}

const shutBit = 1 << 62

func newCallGate() *callGate { return &callGate{drained: make(chan struct{})} }

// enter admits a call, which must then leave, unless the gate is shut.
func (g *callGate) enter() bool {
	if g.state.Add(1)&shutBit != 0 {
		g.leave()
		return false
	}
	return true
}

func (g *callGate) leave() {
	if g.state.Add(-1) == shutBit {
		g.once.Do(func() { close(g.drained) })
	}
}

// shut stops admitting calls; it reports false if the gate was shut before.
func (g *callGate) shut() bool {
	old := g.state.Or(shutBit)
	if old&shutBit != 0 {
		return false
	}
	if old == 0 {
		g.once.Do(func() { close(g.drained) })
	}
	return true
}

// wait returns once the gate is shut and every admitted call has left.
func (g *callGate) wait() { <-g.drained }
