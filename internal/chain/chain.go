// Package chain holds what a cache asks of its transformer chain when it
// is built and when it reads: whether the chain is valid, what it may
// decode to, which steps authenticate and which only decode. The facade
// alone needs these; in package transform they would be public API that
// no transformer or user calls.
package chain

import (
	"fmt"
	"reflect"

	"github.com/valcache/valcache/internal/chain/decodeonly"
	"github.com/valcache/valcache/transform"
)

// MaxDecodedSize returns the bound a cache applies to every step of chain's
// reads: the largest a step declares (transform.Bounded), else
// transform.DefaultMaxDecodedSize.
func MaxDecodedSize(chain []transform.Transformer) int {
	bound := 0
	for _, t := range chain {
		if b, ok := t.(transform.Bounded); ok {
			bound = max(bound, b.MaxDecodedSize())
		}
	}
	if bound <= 0 {
		return transform.DefaultMaxDecodedSize
	}
	return bound
}

// Check reports why chain cannot be a cache's transformer chain: a nil
// transformer, id zero, an id used twice (a DecodeOnly step included), an
// id reserved for this module held by another type, or more than
// transform.MaxChain steps. Its errors start "transform: ", as they did
// when it was transform.CheckChain.
func Check(chain []transform.Transformer) error {
	if len(chain) > transform.MaxChain {
		return fmt.Errorf("transform: a chain of %d transformers is longer than %d", len(chain), transform.MaxChain)
	}
	seen := map[byte]bool{}
	for i, t := range chain {
		if t == nil {
			return fmt.Errorf("transform: transformer %d of the chain is nil", i)
		}
		id := t.ID()
		switch {
		case id == 0:
			return fmt.Errorf("transform: %s has id 0, which is never assigned", t.Name())
		case seen[id]:
			return fmt.Errorf("transform: id %d appears twice in the chain", id)
		case id < transform.FirstCustomID && !builtin(t):
			return fmt.Errorf("transform: %s (%T) has id %d, reserved for this module; use %d or above", t.Name(), t, id, transform.FirstCustomID)
		}
		seen[id] = true
	}
	return nil
}

// reservedBy names the type that holds each reserved id. The zstd type is
// named, not referred to, so that a cache does not link zstd.
var reservedBy = map[byte]string{
	transform.IDZstd:   "github.com/valcache/valcache/transform/zstd.Transformer",
	transform.IDAESGCM: "github.com/valcache/valcache/transform.AESGCM",
}

// builtin reports whether t (or the step a DecodeOnly wraps) is the
// module's transformer that holds t's id.
func builtin(t transform.Transformer) bool {
	if inner, ok := decodeonly.Inner(t); ok {
		t = inner.(transform.Transformer)
	}
	typ := reflect.TypeOf(t)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return reservedBy[t.ID()] == typ.PkgPath()+"."+typ.Name()
}

// Authenticates reports whether t authenticates (see
// transform.Authenticator).
func Authenticates(t transform.Transformer) bool {
	a, ok := t.(transform.Authenticator)
	return ok && a.Authenticates()
}

// IsDecodeOnly reports whether t was returned by transform.DecodeOnly.
func IsDecodeOnly(t transform.Transformer) bool {
	_, ok := decodeonly.Inner(t)
	return ok
}
