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

// EntryKeyName exposes the name an entry is stored under, so that tests can
// read it behind the provider's back or find its slot.
func (p *Provider) EntryKeyName(k driver.Key) string { return p.keys.entryKey(k) }

// VersionKeyName exposes the name of a version copy.
func (p *Provider) VersionKeyName(k driver.VersionKey) string { return p.keys.versionKey(k) }

// IsVersionKeyName exposes the test for a version copy's name.
func IsVersionKeyName(name string) bool { return isVersionKey(name) }

// RateKeyName exposes the name of a rate-limit key, so that tests can find
// its slot.
func (p *Provider) RateKeyName(k driver.Key) string { return p.keys.coordKey(rateKind, k) }
