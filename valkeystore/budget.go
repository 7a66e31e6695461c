package valkeystore

import (
	"time"

	"github.com/valcache/valcache/driver"
)

var _ driver.OperationTimeouter = (*Provider)(nil)

// OperationTimeout implements driver.OperationTimeouter: the bound of a
// single-key call whose context has no deadline, which is also how long a
// compute over the provider keeps retrying lost races.
func (p *Provider) OperationTimeout() time.Duration { return p.cfg.OperationTimeout }
