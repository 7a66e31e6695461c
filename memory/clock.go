package memory

import (
	"time"

	"github.com/maypok86/otter/v2"
)

// now reads the store's clock: the coarse clock when there is one, so that
// a hit costs an atomic load instead of a system clock read.
func (p *Provider) now() int64 {
	if c := p.clock; c != nil {
		return c.NowNano()
	}
	return preciseNow()
}

func preciseNow() int64 { return time.Now().UnixNano() }

// otterClock is the clock otter shares with the store, or nil for otter's
// own precise one.
func (p *Provider) otterClock() otter.Clock {
	if p.clock == nil {
		return nil
	}
	return p.clock
}
