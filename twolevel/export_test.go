package twolevel

import "github.com/valcache/valcache/driver"

// CircuitStateOf reports, in CircuitState's terms, the state of the circuit
// breaker that key's entry is called through. It exists for the tests
// only: key is an encoded driver key, which only the facade builds, so no
// user of a cache could name the key whose circuit they want.
func (p *Provider) CircuitStateOf(key driver.Key) string {
	if b := p.breakers.peek(p.l2x.EntrySlot(key)); b != nil {
		return state(b.state.Load()).String()
	}
	return driver.CircuitClosed // never called yet
}
