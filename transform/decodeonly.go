package transform

import (
	"fmt"

	"github.com/valcache/valcache/internal/chain/decodeonly"
)

// init lets the cache tell decode-only steps from others, and see what
// they wrap, without an exported function here to do it.
func init() {
	decodeonly.Inner = func(t any) (any, bool) {
		d, ok := t.(decodeOnly)
		if !ok {
			return nil, false
		}
		return d.Transformer, true
	}
}

// DecodeOnly returns t as a step that a cache uses to read entries that went
// through t, and never to write: writes skip it, and the entries written
// list it no more. It is how a cache keeps reading what an earlier chain
// wrote, for as long as such entries may live, once t leaves the chain: a
// reader meets each step an entry names only among the steps its own chain
// lists, and an entry that names one it does not list is a miss, counted in
// the cache's Stats().DecodeErrors. For example, after compression is
// switched off:
//
//	Transformers: []transform.Transformer{transform.DecodeOnly(z)}
//
// A DecodeOnly step that authenticates opens the entries it sealed, but
// does not make the cache refuse unsealed ones (see Authenticator): only
// steps that write do.
func DecodeOnly(t Transformer) Transformer {
	if _, ok := t.(decodeOnly); t == nil || ok {
		return t // a cache refuses a nil step
	}
	return decodeOnly{t}
}

type decodeOnly struct{ Transformer }

// Apply refuses: a cache never applies a decode-only step.
func (d decodeOnly) Apply(dst, _, _ []byte) ([]byte, error) {
	return dst, fmt.Errorf("transform: %s is decode-only", d.Name())
}

// Authenticates is the wrapped step's: it opens only what that step sealed.
func (d decodeOnly) Authenticates() bool {
	a, ok := d.Transformer.(Authenticator)
	return ok && a.Authenticates()
}

// MaxDecodedSize is the wrapped step's bound, if it declares one.
func (d decodeOnly) MaxDecodedSize() int {
	if b, ok := d.Transformer.(Bounded); ok {
		return b.MaxDecodedSize()
	}
	return 0
}
