package memory

import (
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/sibling"
)

// siblingView carries the methods that twolevel uses beyond the driver
// contract (see package internal/sibling), so that they are not part of
// Provider's exported API.
type siblingView struct{ *Provider }

var _ sibling.Memory = siblingView{}

func init() {
	sibling.RegisterMemory(func(p driver.Provider) (sibling.Memory, bool) {
		mp, ok := p.(*Provider)
		if !ok || mp == nil {
			return nil, false
		}
		return siblingView{mp}, true
	})
}
