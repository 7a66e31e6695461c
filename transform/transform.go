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
