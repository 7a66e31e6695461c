package memory

import (
	"time"

	"github.com/maypok86/otter/v2"
)

// forever stands for "no expiry" in otter, which wants a duration; a century
// is far beyond any process's life and far from overflowing otter's clock.
const forever = 100 * 365 * 24 * time.Hour

// bucketLifetime makes otter drop a bucket once its last item has expired;
// items that expire earlier are hidden by find and dropped at the bucket's
// next write. It is built with otter's ExpiryWritingFunc rather than as a
// calculator of our own because otter recognises that kind and then does no
// expiry work at all on a read.
func (p *Provider) bucketLifetime() otter.ExpiryCalculator[string, *bucket] {
	return otter.ExpiryWritingFunc(func(e otter.Entry[string, *bucket]) time.Duration {
		latest := e.Value.latestExpiry()
		if latest == never {
			return forever
		}
		return max(time.Duration(latest-p.now()), 1)
	})
}
