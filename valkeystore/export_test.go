package valkeystore

import "github.com/valcache/valcache/driver"

// LockKeyName exposes the name of a lock's key, so that tests can remove it
// behind its holder's back.
func (p *Provider) LockKeyName(k driver.Key) string {
	lock, _ := p.keys.lockKeys(k)
	return lock
}

// FenceKeyName exposes the name of a lock's fencing counter, so that tests
// can remove it as eviction or a flush would.
func (p *Provider) FenceKeyName(k driver.Key) string {
	_, fence := p.keys.lockKeys(k)
	return fence
}

// RateKeyName exposes the name of a rate-limit key, so that tests can find
// its slot.
func (p *Provider) RateKeyName(k driver.Key) string { return p.keys.coordKey(rateKind, k) }

// EntryKeyName exposes the name of an entry's key, so that tests can find
// its slot.
func (p *Provider) EntryKeyName(k driver.Key) string { return p.keys.entryKey(k) }
