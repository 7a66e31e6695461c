package valkeystore

import (
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/sibling"
)

// siblingView carries the methods that twolevel and the valcache command
// use beyond the driver contract (see package internal/sibling), so that
// they are not part of Provider's exported API.
type siblingView struct{ *Provider }

var _ sibling.Valkey = siblingView{}

func init() {
	sibling.RegisterValkey(func(p driver.Provider) (sibling.Valkey, bool) {
		vp, ok := p.(*Provider)
		if !ok || vp == nil {
			return nil, false
		}
		return siblingView{vp}, true
	})
}
