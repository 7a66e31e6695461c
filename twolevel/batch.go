package twolevel

import (
	"context"

	"github.com/valcache/valcache/driver"
)

// batch runs a bulk L2 call over n keys (keyAt), split by slot, so that a
// shard that is down fails its own keys and no other. The keys of slots
// whose circuit is open fail at once with ErrCircuitOpen (refused, by
// index), the others go to L2 in one call (send, given their indices, or
// nil for all of them), and each slot's outcome counts for its breaker.
//
// It returns a *driver.BatchError naming, by index, every key that failed,
// or, when every key was refused, the refusal itself, as a call refused on
// a single node always was. A failure of send that is not a BatchError is
// returned as it is.
func (p *Provider) batch(ctx context.Context, n int, keyAt func(int) driver.Key, send func(sent []int) error) (refused map[int]bool, err error) {
	if n == 0 {
		return nil, nil
	}
	if p.l2x.Slots() == 1 {
		err := p.call(ctx, 0, func() error { return send(nil) })
		if isUnavailable(err) {
			refused = make(map[int]bool, n)
			for i := range n {
				refused[i] = true
			}
		}
		return refused, err
	}
	bySlot := map[int][]int{}
	for i := range n {
		s := p.l2x.EntrySlot(keyAt(i))
		bySlot[s] = append(bySlot[s], i)
	}
	type part struct {
		b     *breaker
		probe bool
		idx   []int
	}
	parts := make([]part, 0, len(bySlot))
	failed := map[int]error{}
	var sent []int
	var refusal error
	for s, idx := range bySlot {
		b := p.breakers.of(s)
		probe, rerr := b.allow()
		if rerr != nil {
			refusal = rerr
			if refused == nil {
				refused = map[int]bool{}
			}
			for _, i := range idx {
				failed[i], refused[i] = rerr, true
			}
			continue
		}
		parts = append(parts, part{b: b, probe: probe, idx: idx})
		sent = append(sent, idx...)
	}
	if len(sent) == 0 {
		return refused, refusal
	}
	if len(refused) == 0 {
		sent = nil // in the caller's order, all of them
	}
	serr := send(sent)
	be, partial := asBatchError(serr)
	if serr != nil && !partial {
		for _, pt := range parts {
			pt.b.done(pt.probe, serr, len(parts) == 1 && telling(ctx, serr))
		}
		return refused, serr
	}
	if be != nil {
		for j, e := range be.Failed {
			failed[at(sent, j)] = e
		}
	}
	for _, pt := range parts {
		var bad, other error
		answered := false
		for _, i := range pt.idx {
			e, ok := failed[i]
			switch {
			case !ok:
				answered = true
			case telling(ctx, e):
				bad = e
			default:
				other = e
			}
		}
		switch {
		case bad != nil:
			p.settle(pt.b, pt.probe, bad, true)
		case answered:
			p.settle(pt.b, pt.probe, nil, true)
		default:
			pt.b.done(pt.probe, other, false)
		}
	}
	if len(failed) == 0 {
		return refused, nil
	}
	return refused, &driver.BatchError{Failed: failed}
}

// at maps index j of a sent subset back to the caller's index.
func at(sent []int, j int) int {
	if sent == nil {
		return j
	}
	return sent[j]
}

// asBatchError reports whether err is a partial failure.
func asBatchError(err error) (*driver.BatchError, bool) {
	var be *driver.BatchError
	if err == nil || !errorsAs(err, &be) {
		return nil, false
	}
	return be, true
}

func isPartial(err error) bool {
	_, ok := asBatchError(err)
	return ok
}
