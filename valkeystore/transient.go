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

// Bounds of the wait for a slot that no node serves (see slotHoles).
const (
	// holeGrace is how long after a slot was first found without a node
	// its commands are still waited for, within their deadlines: about as
	// long as a failover leaves a slot unserved. Past it, the slot is taken
	// for one whose shard is gone (a cluster that keeps serving the slots
	// it can), and its commands fail at once.
	holeGrace = 2 * time.Second
	// holeProbeEvery is how often a command of such a slot is still sent,
	// so that the slot is found served again.
	holeProbeEvery = 250 * time.Millisecond
)

// splitWorkers bounds the goroutines that send the parts of a split
// pipeline.
const splitWorkers = 16

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
//
// It also keeps one shard that is gone from failing or holding up the
// commands of the others; see slotHoles and sendMulti.
type transientRetry struct {
	valkey.Client
	holes *slotHoles
}

func newTransientRetry(c valkey.Client) transientRetry {
	return transientRetry{Client: c, holes: &slotHoles{}}
}

// slotHoles remembers the slots for which the client knew no node, from
// the first command refused so (valkey.ErrNoSlot) until one of the slot's
// commands gets an answer. It is what makes a shard that is down, on a
// cluster that keeps serving the other slots, cost its own keys only:
//
//   - valkey-go sends a pipeline only when it knows a node for every
//     command, and otherwise first waits for a refresh of its map of the
//     cluster (up to a second, while one is pending). Commands of known
//     holes are sent apart, so the others are neither failed nor held up.
//   - A hole older than holeGrace is not waited for: its commands fail at
//     once, but for one every holeProbeEvery, which is sent and heals the
//     hole when the slot is served again.
type slotHoles struct {
	since [slotCount]atomic.Int64 // Unix nanoseconds when found without a node; 0: not a hole
	probe [slotCount]atomic.Int64 // Unix nanoseconds of the last probe
	count atomic.Int32            // slots with since != 0
}

// admit says whether a command of slot is sent now, and whether a refusal
// for want of a node may be tried again.
func (h *slotHoles) admit(slot uint16, now int64) (send, retry bool) {
	if slot >= slotCount || h.count.Load() == 0 {
		return true, true
	}
	since := h.since[slot].Load()
	if since == 0 || now-since < int64(holeGrace) {
		return true, true
	}
	last := h.probe[slot].Load()
	if now-last >= int64(holeProbeEvery) && h.probe[slot].CompareAndSwap(last, now) {
		return true, false
	}
	return false, false
}

// young reports whether slot is not a hole older than holeGrace, so that
// its refusals for want of a node are still tried again.
func (h *slotHoles) young(slot uint16, now int64) bool {
	if slot >= slotCount || h.count.Load() == 0 {
		return true
	}
	since := h.since[slot].Load()
	return since == 0 || now-since < int64(holeGrace)
}

// known reports whether slot is a hole.
func (h *slotHoles) known(slot uint16) bool {
	return slot < slotCount && h.count.Load() != 0 && h.since[slot].Load() != 0
}

// record learns from the outcome of a command of slot: no node known makes
// the slot a hole; an answer, of any kind, heals it. Errors that say
// neither (the caller's deadline, a lost connection) leave it as it is.
func (h *slotHoles) record(slot uint16, err error, now int64) {
	if slot >= slotCount {
		return
	}
	switch {
	case errors.Is(err, valkey.ErrNoSlot):
		if h.since[slot].CompareAndSwap(0, now) {
			h.count.Add(1)
		}
	case h.count.Load() == 0:
	case err == nil || isReply(err):
		if old := h.since[slot].Load(); old != 0 && h.since[slot].CompareAndSwap(old, 0) {
			h.count.Add(-1)
		}
	}
}

// isReply reports whether err is the server's reply.
func isReply(err error) bool {
	var ve *valkey.ValkeyError
	return errors.As(err, &ve)
}

// errNoNode is the reply of a command not sent because no node has served
// its slot for longer than holeGrace.
var errNoNode = valkey.NewErrorResult(valkey.ErrNoSlot)

// transientReply reports whether err is a refusal worth trying again: a
// CLUSTERDOWN or TRYAGAIN reply, or no node known for the slot (valkey-go's
// map of the cluster after such a reply), which never sent the command.
func transientReply(err error) bool {
	return err != nil && transientError(err)
}

// transientError is transientReply for an error; apart, so that a call
// that succeeded costs no allocation for errors.As's target.
func transientError(err error) bool {
	var ve *valkey.ValkeyError
	if !errors.As(err, &ve) {
		return errors.Is(err, valkey.ErrNoSlot)
	}
	msg := ve.Error()
	return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN")
}

// again reports whether a command of slot that got err is sent again.
func (c transientRetry) again(slot uint16, err error) bool {
	if !transientReply(err) {
		return false
	}
	return !errors.Is(err, valkey.ErrNoSlot) || c.holes.young(slot, time.Now().UnixNano())
}

func (c transientRetry) Do(ctx context.Context, cmd valkey.Completed) valkey.ValkeyResult {
	slot := cmd.Slot()
	resp := c.do1(ctx, slot, func() valkey.ValkeyResult { return c.Client.Do(ctx, cmd) })
	for attempt := 0; c.again(slot, resp.Error()) && waitTransient(ctx, attempt); attempt++ {
		resp = c.do1(ctx, slot, func() valkey.ValkeyResult { return c.Client.Do(ctx, cmd) })
	}
	return resp
}

func (c transientRetry) DoCache(ctx context.Context, cmd valkey.Cacheable, ttl time.Duration) valkey.ValkeyResult {
	slot := cmd.Slot()
	resp := c.do1(ctx, slot, func() valkey.ValkeyResult { return c.Client.DoCache(ctx, cmd, ttl) })
	for attempt := 0; c.again(slot, resp.Error()) && waitTransient(ctx, attempt); attempt++ {
		resp = c.do1(ctx, slot, func() valkey.ValkeyResult { return c.Client.DoCache(ctx, cmd, ttl) })
	}
	return resp
}

// do1 sends one command of slot, unless the slot is a hole not to be
// waited for, and learns from its outcome.
func (c transientRetry) do1(ctx context.Context, slot uint16, send func() valkey.ValkeyResult) valkey.ValkeyResult {
	if ok, _ := c.holes.admit(slot, time.Now().UnixNano()); !ok {
		return errNoNode
	}
	resp := send()
	c.holes.record(slot, resp.Error(), time.Now().UnixNano())
	return resp
}

func (c transientRetry) DoMulti(ctx context.Context, multi ...valkey.Completed) []valkey.ValkeyResult {
	resps := c.sendMulti(ctx, multi)
	var again []int
	for attempt := 0; ; attempt++ {
		again = again[:0]
		for i, r := range resps {
			if c.again(multi[i].Slot(), r.Error()) {
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
		for j, r := range c.sendMulti(ctx, cmds) {
			resps[again[j]] = r
		}
	}
}

// sendMulti sends a pipeline once, so that the commands of slots without a
// node (see slotHoles) fail alone and hold up no other:
//
//   - commands of holes not to be waited for are answered ErrNoSlot
//     without being sent;
//   - commands of other known holes go apart, one pipeline per slot;
//   - a pipeline that the client fails as a whole for want of a node
//     (valkey-go then fills every reply with ErrNoSlot) is sent again slot
//     by slot, so only the commands of the slots without a node fail.
//
// The parts are sent at once, by at most splitWorkers goroutines that all
// end before it returns, so the healthy ones cost about one round trip per
// node, as the pipeline would. A pipeline with a command of no key (MULTI,
// EXEC, INFO) is sent as it is: such commands may need to stay with the
// commands around them.
func (c transientRetry) sendMulti(ctx context.Context, multi []valkey.Completed) []valkey.ValkeyResult {
	if c.holes.count.Load() == 0 || len(multi) == 0 || hasKeyless(multi) {
		resps := c.Client.DoMulti(ctx, multi...)
		if len(multi) > 1 && allNoSlot(resps) && !hasKeyless(multi) {
			c.sendParts(ctx, multi, resps, bySlot(multi, nil))
		}
		c.recordMulti(multi, resps)
		return resps
	}
	now := time.Now().UnixNano()
	resps := make([]valkey.ValkeyResult, len(multi))
	var rest []int
	holes := map[uint16][]int{}
	for i, cmd := range multi {
		s := cmd.Slot()
		switch send, _ := c.holes.admit(s, now); {
		case !send:
			resps[i] = errNoNode
		case c.holes.known(s):
			holes[s] = append(holes[s], i)
		default:
			rest = append(rest, i)
		}
	}
	parts := make([][]int, 0, 1+len(holes))
	if len(rest) > 0 {
		parts = append(parts, rest)
	}
	for _, idx := range holes {
		parts = append(parts, idx)
	}
	c.sendParts(ctx, multi, resps, parts)
	if len(rest) > 1 && allNoSlotAt(resps, rest) {
		// A hole not known yet among the rest: slot by slot.
		c.sendParts(ctx, multi, resps, bySlot(multi, rest))
	}
	c.recordMulti(multi, resps)
	return resps
}

// sendParts sends each part (indices into multi) as a pipeline of its
// own, all at once, and puts the replies in resps.
func (c transientRetry) sendParts(ctx context.Context, multi []valkey.Completed, resps []valkey.ValkeyResult, parts [][]int) {
	send := func(idx []int) {
		sub := make([]valkey.Completed, len(idx))
		for j, i := range idx {
			sub[j] = multi[i]
		}
		// Each part writes only the replies of its own commands.
		for j, r := range c.Client.DoMulti(ctx, sub...) {
			resps[idx[j]] = r
		}
	}
	if len(parts) == 1 {
		send(parts[0])
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(parts), splitWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := next.Add(1) - 1; p < int64(len(parts)); p = next.Add(1) - 1 {
				send(parts[p])
			}
		}()
	}
	wg.Wait()
}

func (c transientRetry) recordMulti(multi []valkey.Completed, resps []valkey.ValkeyResult) {
	now := time.Now().UnixNano()
	for i, r := range resps {
		if err := r.Error(); err != nil || c.holes.count.Load() != 0 {
			c.holes.record(multi[i].Slot(), err, now)
		}
	}
}

// bySlot groups the indices of multi (or of the subset idx) by slot, in
// first-seen order.
func bySlot(multi []valkey.Completed, idx []int) [][]int {
	var groups [][]int
	at := map[uint16]int{}
	add := func(i int) {
		s := multi[i].Slot()
		g, ok := at[s]
		if !ok {
			g = len(groups)
			at[s] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	if idx == nil {
		for i := range multi {
			add(i)
		}
	} else {
		for _, i := range idx {
			add(i)
		}
	}
	return groups
}

// hasKeyless reports whether a command of multi has no key: valkey-go
// gives such commands a slot past the last.
func hasKeyless(multi []valkey.Completed) bool {
	for _, cmd := range multi {
		if cmd.Slot() >= slotCount {
			return true
		}
	}
	return false
}

func allNoSlot(resps []valkey.ValkeyResult) bool {
	for _, r := range resps {
		if !errors.Is(r.Error(), valkey.ErrNoSlot) {
			return false
		}
	}
	return true
}

func allNoSlotAt(resps []valkey.ValkeyResult, idx []int) bool {
	for _, i := range idx {
		if !errors.Is(resps[i].Error(), valkey.ErrNoSlot) {
			return false
		}
	}
	return true
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
