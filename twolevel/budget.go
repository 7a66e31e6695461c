package twolevel

import "github.com/valcache/valcache/driver"

var _ driver.Budgeter = (*Provider)(nil)

// Budgets implements driver.Budgeter with L2's: the time a cache call may
// spend is the time it may spend on the shared store (L1 costs none).
func (p *Provider) Budgets() driver.Budgets { return p.l2.Budgets() }
