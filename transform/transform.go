// Package transform holds the steps a cache can chain after its codec:
// authenticated encryption (AESGCM) here, compression in package
// transform/zstd, which only programs that compress link.
//
// The cache encodes a value with its codec, then passes the bytes through
// each transformer of its chain in order, and records their ids in the
// entry's envelope; reading undoes them in reverse order, choosing each
// step by the id recorded rather than by the cache's configuration. A
// chain can therefore change without a flush: entries written under the
// old chain still read, or are a clean miss when they need a step the
// reader does not list (DecodeOnly lists one for reading alone) or a
// secret it does not hold.
//
// Like codec payloads, a transformer's input on the way back is untrusted:
// Revert must never panic, must bound what it allocates, and must not keep
// its input.
package transform

import (
	"fmt"
	"reflect"
)

// Transformer is one reversible step applied to encoded values.
type Transformer interface {
	// ID is the stable id recorded in every entry the transformer applied
	// to; it is never reused for another transformation.
	ID() byte
	// Name is for logs and errors: "zstd", "aes-gcm".
	Name() string
	// Apply appends the transformed form of src to dst and returns the
	// extended slice. aad describes where the result will be stored (the
	// entry's namespace, key and envelope header); a transformer that
	// authenticates binds its output to it, others ignore it. src, dst's
	// spare capacity and aad never overlap.
	Apply(dst, src, aad []byte) ([]byte, error)
	// Revert appends what Apply was given to dst, from src as Apply
	// produced it and the same aad. It must never panic on any input and
	// must not retain src or aad after it returns.
	Revert(dst, src, aad []byte) ([]byte, error)
}

// Authenticator is implemented by transformers whose Revert fails on any
// input that Apply did not produce, for the same aad, with a secret the
// reader holds. A cache whose chain has one refuses entries that did not go
// through it, so that whoever can write to the server cannot plant values.
//
// Fallback: a transformer without it is taken not to authenticate.
type Authenticator interface {
	Authenticates() bool
}

// Bounded is implemented by transformers whose Revert may produce more
// than it was given (decompression). A cache bounds what every step of a
// read may produce by the largest MaxDecodedSize of its chain, or by
// DefaultMaxDecodedSize when no step declares one, so that steps cannot
// multiply the bound. Zero declares none.
type Bounded interface {
	MaxDecodedSize() int
}

// DefaultMaxDecodedSize bounds what one entry may decode to through a chain
// none of whose steps declares a bound, so that a small crafted entry cannot
// make a reader allocate gigabytes.
const DefaultMaxDecodedSize = 64 << 20

// MaxDecodedSize returns the bound a cache applies to every step of chain's
// reads: the largest a step declares (Bounded), else DefaultMaxDecodedSize.
func MaxDecodedSize(chain []Transformer) int {
	bound := 0
	for _, t := range chain {
		if b, ok := t.(Bounded); ok {
			bound = max(bound, b.MaxDecodedSize())
		}
	}
	if bound <= 0 {
		return DefaultMaxDecodedSize
	}
	return bound
}

// Ids of the module's transformers (AESGCM here, zstd in transform/zstd).
// Like codec ids they are persisted in entries, so each keeps its meaning
// forever; zero is never assigned. Ids below FirstCustomID are reserved for
// this module; a transformer of your own takes an id from FirstCustomID up.
const (
	IDZstd   byte = 1
	IDAESGCM byte = 2

	FirstCustomID byte = 128
)

// MaxChain bounds the length of a chain, and so the transformer section of
// an envelope.
const MaxChain = 8

// CheckChain reports why chain cannot be a cache's transformer chain:
// a nil transformer, id zero, an id used twice (a DecodeOnly step
// included), an id reserved for this module held by another type, or more
// than MaxChain steps.
func CheckChain(chain []Transformer) error {
	if len(chain) > MaxChain {
		return fmt.Errorf("transform: a chain of %d transformers is longer than %d", len(chain), MaxChain)
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
		case id < FirstCustomID && !builtin(t):
			return fmt.Errorf("transform: %s (%T) has id %d, reserved for this module; use %d or above", t.Name(), t, id, FirstCustomID)
		}
		seen[id] = true
	}
	return nil
}

// reservedBy names the type that holds each reserved id. The zstd type is
// named, not referred to, so that this package does not link zstd.
var reservedBy = map[byte]string{
	IDZstd:   "github.com/valcache/valcache/transform/zstd.Transformer",
	IDAESGCM: "github.com/valcache/valcache/transform.AESGCM",
}

// builtin reports whether t (or the step a DecodeOnly wraps) is the
// module's transformer that holds t's id.
func builtin(t Transformer) bool {
	if d, ok := t.(decodeOnly); ok {
		t = d.Transformer
	}
	typ := reflect.TypeOf(t)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return reservedBy[t.ID()] == typ.PkgPath()+"."+typ.Name()
}

// Authenticates reports whether t authenticates (see Authenticator).
func Authenticates(t Transformer) bool {
	a, ok := t.(Authenticator)
	return ok && a.Authenticates()
}
