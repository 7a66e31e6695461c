package valkeystore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Bounds of the waits between tries of a command refused by a cluster in
// transition (see transientRetry).
const (
	transientFirstWait = 10 * time.Millisecond
	transientMaxWait   = 250 * time.Millisecond
)

// transientRetry sends a cluster's commands again, within their context's
// deadline, when the cluster refused them as CLUSTERDOWN (a failover is in
// progress, or a slot is not served) or TRYAGAIN (a slot is being moved),
// or when no node is known for their slot. valkey-go retries the replies
// only for commands it knows to be read-only, and no command when its map
// of the cluster has a hole, so without this a lock, a rate-limit check or
// a write failed at once during a failover that a read rode out, and a read
// failed at once when the map was read during it. These refusals mean the
// command was not run, so sending it again is safe whatever it does;
// errors that leave this open (a connection lost after the command was
// written) are not retried. Commands must be pinned (pinningClient), since
// one may be sent twice.
type transientRetry struct {
	valkey.Client
}

// transientReply reports whether err is a refusal worth trying again: a
// CLUSTERDOWN or TRYAGAIN reply, or no node known for the slot (valkey-go's
// map of the cluster after such a reply), which never sent the command.
func transientReply(err error) bool {
	var ve *valkey.ValkeyError
	if !errors.As(err, &ve) {
		return errors.Is(err, valkey.ErrNoSlot)
	}
	msg := ve.Error()
	return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN")
}

func (c transientRetry) Do(ctx context.Context, cmd valkey.Completed) valkey.ValkeyResult {
	resp := c.Client.Do(ctx, cmd)
	for attempt := 0; transientReply(resp.Error()) && waitTransient(ctx, attempt); attempt++ {
		resp = c.Client.Do(ctx, cmd)
	}
	return resp
}

func (c transientRetry) DoCache(ctx context.Context, cmd valkey.Cacheable, ttl time.Duration) valkey.ValkeyResult {
	resp := c.Client.DoCache(ctx, cmd, ttl)
	for attempt := 0; transientReply(resp.Error()) && waitTransient(ctx, attempt); attempt++ {
		resp = c.Client.DoCache(ctx, cmd, ttl)
	}
	return resp
}

func (c transientRetry) DoMulti(ctx context.Context, multi ...valkey.Completed) []valkey.ValkeyResult {
	resps := c.doMulti(ctx, multi)
	var again []int
	for attempt := 0; ; attempt++ {
		again = again[:0]
		for i, r := range resps {
			if transientReply(r.Error()) {
				again = append(again, i)
			}
		}
		if len(again) == 0 || !waitTransient(ctx, attempt) {
			return resps
		}
		cmds := make([]valkey.Completed, len(again))
		for j, i := range again {
			cmds[j] = multi[i]
		}
		for j, r := range c.doMulti(ctx, cmds) {
			resps[again[j]] = r
		}
	}
}

// splitWorkers bounds the goroutines that send a split pipeline's slots.
const splitWorkers = 16

// doMulti is the client's DoMulti, except that a pipeline failed as a
// whole because no node is known for one of its slots is sent again slot
// by slot. valkey-go routes a pipeline only when it knows a node for every
// command, and otherwise fills every reply with ErrNoSlot: with one shard
// of a cluster gone, a bulk call would fail for the keys of the healthy
// shards too. Sent apart, only the commands of the slots without a node
// fail. The slots are sent at once (by at most splitWorkers goroutines,
// all ended before it returns), so the healthy ones cost about one round
// trip per node, as the pipeline would have. A pipeline with a command of
// no key (MULTI, EXEC, INFO) is never split: such commands may need to
// stay with the commands around them.
func (c transientRetry) doMulti(ctx context.Context, multi []valkey.Completed) []valkey.ValkeyResult {
	resps := c.Client.DoMulti(ctx, multi...)
	if len(multi) < 2 {
		return resps
	}
	for _, r := range resps {
		if !errors.Is(r.Error(), valkey.ErrNoSlot) {
			return resps
		}
	}
	var groups [][]int
	at := map[uint16]int{}
	for i, cmd := range multi {
		s := cmd.Slot()
		if s >= slotCount { // valkey-go's slot of a command without a key
			return resps
		}
		g, ok := at[s]
		if !ok {
			g = len(groups)
			at[s] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	if len(groups) < 2 {
		return resps
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(groups), splitWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := next.Add(1) - 1; g < int64(len(groups)); g = next.Add(1) - 1 {
				idx := groups[g]
				sub := make([]valkey.Completed, len(idx))
				for j, i := range idx {
					sub[j] = multi[i]
				}
				// Each goroutine writes only the replies of its own slot.
				for j, r := range c.Client.DoMulti(ctx, sub...) {
					resps[idx[j]] = r
				}
			}
		}()
	}
	wg.Wait()
	return resps
}

// waitTransient waits before try attempt+2, growing from transientFirstWait
// to transientMaxWait, and reports whether the context leaves time for it.
// A context without a deadline is never retried: the wait would be unbounded.
func waitTransient(ctx context.Context, attempt int) bool {
	wait := min(transientFirstWait<<min(attempt, 10), transientMaxWait)
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) <= wait {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
