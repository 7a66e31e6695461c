package memory

import (
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache/driver"
)

// forever stands for "no expiry" in otter, which wants a duration; a century
// is far beyond any process's life and far from overflowing otter's clock.
const forever = 100 * 365 * 24 * time.Hour

// perEntryTTL gives each entry the TTL it was written with: every write
// restarts its lifetime and reads never extend it. It is built with otter's
// ExpiryWritingFunc rather than as a calculator of our own because otter
// recognises that kind and then does no expiry work at all on a read, which
// is most of the cost of a hit otherwise.
func perEntryTTL() otter.ExpiryCalculator[driver.Key, *item] {
	return otter.ExpiryWritingFunc(func(e otter.Entry[driver.Key, *item]) time.Duration {
		return lifetime(e.Value.ttl)
	})
}

func lifetime(ttl time.Duration) time.Duration {
	if ttl == driver.NoExpiry {
		return forever
	}
	return ttl
}
