package valcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/chain"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/transform"
)

// pipeline is a cache's chain of transformers (Options.Transformers),
// applied to payloads after the codec and reverted before it. Entries list
// the ids of the steps they went through, and reading follows that list,
// not the order of the configured chain, so the chain can change without a
// flush. Reading finds each step among the configured ones only, those
// that write and those listed with transform.DecodeOnly, so that the root
// package links no transformer of its own (zstd's decoder among them).
type pipeline struct {
	chain   []transform.Transformer // the steps that write, in order
	readers []transform.Transformer // every configured step, DecodeOnly ones included
	ids     []byte                  // the chain's ids, as entries written now list them
	// sealed: the chain authenticates, so entries that were not sealed by
	// one of its authenticating steps are refused (anyone able to write to
	// the server could have planted them).
	sealed bool
	bufs   *bufferPool
	// maxDecoded bounds what any step of a revert may produce, beyond the
	// size of the stored payload itself (chain.MaxDecodedSize). One
	// bound for the whole chain, so that steps cannot multiply it.
	maxDecoded int
}

var (
	errUnsealed      = errors.New("valcache: entry is not sealed, and this cache accepts only sealed entries")
	errNoTransformer = errors.New("valcache: entry went through a transformer this cache does not list")
)

// ErrTransformersNeedBytes is returned by New for Options.Transformers on a
// provider that keeps Go values (driver.ValueStore, such as memory): its
// entries are never encoded, so no step would run, and a value meant to be
// encrypted would sit in the clear. It wraps ErrInvalidOptions.
var ErrTransformersNeedBytes = fmt.Errorf("%w: Transformers need a provider that stores bytes", ErrInvalidOptions)

func newPipeline(steps []transform.Transformer, bufs *bufferPool) (*pipeline, error) {
	if err := chain.Check(steps); err != nil {
		return nil, fmt.Errorf("%w: Transformers: %w", ErrInvalidOptions, err)
	}
	// The chain is copied: the caller's Options may change after New.
	p := &pipeline{readers: slices.Clone(steps), bufs: bufs, maxDecoded: chain.MaxDecodedSize(steps)}
	for _, t := range steps {
		if chain.IsDecodeOnly(t) {
			continue
		}
		p.chain = append(p.chain, t)
		p.ids = append(p.ids, t.ID())
		p.sealed = p.sealed || chain.Authenticates(t)
	}
	return p, nil
}

// appendAAD writes what a transformer binds its output to: the entry's
// namespace and key, each length-prefixed so that no two pairs write the
// same bytes, then its envelope header (format, flags, codec, stamps,
// times, transformer ids). Sealing thus authenticates the header too: an
// entry whose TTL or stamps were edited, or that was copied under another
// key, fails to open.
func appendAAD(dst []byte, dk driver.Key, header []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(dk.Namespace)))
	dst = append(dst, dk.Namespace...)
	dst = binary.AppendUvarint(dst, uint64(len(dk.ID)))
	dst = append(dst, dk.ID...)
	return append(dst, header...)
}

// appendEntry is appendEnvelopeMeta through the chain: the header lists the
// chain, and the payload is the codec's output transformed step by step.
func (p *pipeline) appendEntry(dst []byte, dk driver.Key, cd codec.Codec, v any, st *Stamp, m meta) ([]byte, error) {
	start := len(dst)
	dst = appendHeader(dst, cd.ID(), st, m, p.ids)
	aad, in, out := p.bufs.get(), p.bufs.get(), p.bufs.get()
	defer func() { p.bufs.put(aad); p.bufs.put(in); p.bufs.put(out) }()
	aad.b = appendAAD(aad.b[:0], dk, dst[start:])
	in.b = in.b[:0]
	if !m.negative {
		var err error
		if in.b, err = cd.Append(in.b, v); err != nil {
			return dst[:start], err
		}
	}
	last := len(p.chain) - 1
	for i, t := range p.chain {
		var err error
		if i == last {
			if dst, err = t.Apply(dst, in.b, aad.b); err != nil {
				return dst[:start], fmt.Errorf("valcache: %s: %w", t.Name(), err)
			}
			break
		}
		if out.b, err = t.Apply(out.b[:0], in.b, aad.b); err != nil {
			return dst[:start], fmt.Errorf("valcache: %s: %w", t.Name(), err)
		}
		in, out = out, in
	}
	return dst, nil
}

// revert undoes env's transformers, last applied first, and returns the
// codec's payload in buf, which the caller puts back in the pool once the
// value is decoded (the payload is not the caller's to give away). No step
// may produce more than maxDecoded bytes, or than the stored payload where
// that is larger (a step that does not expand, such as decryption, is
// never refused).
func (p *pipeline) revert(dk driver.Key, env envelope.Envelope) ([]byte, *buffer, error) {
	if p.sealed && !p.sealedBy(env.Transforms) {
		return nil, nil, errUnsealed
	}
	limit := max(p.maxDecoded, len(env.Payload))
	aad, in, out := p.bufs.get(), p.bufs.get(), p.bufs.get()
	defer func() { p.bufs.put(aad); p.bufs.put(in) }()
	aad.b = appendAAD(aad.b[:0], dk, env.Header)
	src := env.Payload
	for i := len(env.Transforms) - 1; i >= 0; i-- {
		t, err := p.transformer(env.Transforms[i])
		if err != nil {
			p.bufs.put(out)
			return nil, nil, err
		}
		if out.b, err = t.Revert(out.b[:0], src, aad.b); err != nil {
			p.bufs.put(out)
			return nil, nil, fmt.Errorf("valcache: %s: %w", t.Name(), err)
		}
		if len(out.b) > limit {
			p.bufs.put(out)
			return nil, nil, fmt.Errorf("valcache: %s: %w: %d bytes, limit %d for the whole chain", t.Name(), transform.ErrTooLarge, len(out.b), limit)
		}
		if i > 0 {
			in, out = out, in
			src = in.b
		}
	}
	return out.b, out, nil
}

// sealedBy reports whether ids name an authenticating step of the chain.
func (p *pipeline) sealedBy(ids []byte) bool {
	for _, id := range ids {
		for _, t := range p.readers {
			if t.ID() == id && chain.Authenticates(t) {
				return true
			}
		}
	}
	return false
}

// transformer finds the step an entry names among the configured ones.
// None is made here: a step the cache does not list, even one that needs
// no secret such as zstd, makes the entry a miss (see
// transform.DecodeOnly for keeping such entries readable).
func (p *pipeline) transformer(id byte) (transform.Transformer, error) {
	for _, t := range p.readers {
		if t.ID() == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: id %d; list it in Options.Transformers, with transform.DecodeOnly to read without writing through it (a sealed entry needs the keyring it was sealed with)", errNoTransformer, id)
}
