package valkeystore

import "github.com/valcache/valcache/driver"

// The slots of the provider's keys, for callers that keep state per part
// of the store: a circuit breaker kept per slot fails fast only the keys of
// a shard that is down, and leaves the other shards' keys alone. On a
// single node every key is in slot 0, so such state is kept once.

// Slots is how many slots the numbers below range over: the cluster's
// 16384, or 1 on a single node.
func (p siblingView) Slots() int {
	if p.cluster {
		return slotCount
	}
	return 1
}

// EntrySlot is the slot of k's entry, which is also that of the copies of
// the versions that guard it, of its load placeholder and of its refresh
// election.
func (p siblingView) EntrySlot(k driver.Key) int {
	if !p.cluster {
		return 0
	}
	return int(p.keys.groups.of(k.Namespace).slots[groupOf(k.ID)])
}

// VersionSlot is the slot of a version's copy.
func (p siblingView) VersionSlot(k driver.VersionKey) int {
	if !p.cluster {
		return 0
	}
	return int(p.keys.groups.of(k.Namespace).slots[clampGroup(k.Group)])
}

// LockSlot is the slot of lock k and its fencing counter.
func (p siblingView) LockSlot(k driver.Key) int {
	if !p.cluster {
		return 0
	}
	return int(slot(p.keys.coordKey(lockKind, k)))
}

// RateLimitSlot is the slot of rate-limit state k.
func (p siblingView) RateLimitSlot(k driver.Key) int {
	if !p.cluster {
		return 0
	}
	return int(slot(p.keys.coordKey(rateKind, k)))
}
