package driver

// Unwrapper is implemented by a provider built over another one, such as
// twolevel over its shared store. Capabilities that are not about caching
// (locks, rate limits, search indexes, field entries) are declared by the
// packages that use them, and those packages look for them along the
// unwrap chain with Find, so that a wrapper passes them through without
// implementing each one; it implements one itself only to add something
// (twolevel puts some behind its circuit breaker).
//
// The caching capabilities of this package (Swapper, Versioner, LoadLocker
// and the others) are not looked for along the chain: they act on the
// entries the wrapper serves, so the facade asks the provider itself, and
// a wrapper that lacks one does not offer it.
type Unwrapper interface {
	// Unwrap returns the provider this one is built over. It must not
	// return the provider itself, nor nil.
	Unwrap() Provider
}

// maxUnwrap bounds the unwrap chain, so that a wrapper that returns itself
// (against the contract) cannot loop for ever.
const maxUnwrap = 32

// Find returns the first provider along p's unwrap chain (p, then
// p.Unwrap(), and so on) that implements T, and whether there was one.
// Callers pass an interface type: Find[lock.Backend](p).
func Find[T any](p Provider) (T, bool) {
	for range maxUnwrap {
		if p == nil {
			break
		}
		if t, ok := p.(T); ok {
			return t, true
		}
		u, ok := p.(Unwrapper)
		if !ok {
			break
		}
		p = u.Unwrap()
	}
	var zero T
	return zero, false
}
