// Package zstd is the zstd compression step of a cache's transformer chain
// (see package transform). It lives apart from package transform so that
// only programs that compress link a zstd implementation.
//
// Compressed entries name the step by its id (transform.IDZstd), not by
// this package: a cache that stops compressing keeps reading them only if
// it still lists a Transformer, as transform.DecodeOnly(z); otherwise they
// are misses, counted in Stats().DecodeErrors (see docs/transformers.md).
package zstd

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"github.com/valcache/valcache/transform"
)

// DefaultMinSize is Options.MinSize's default: below about half a
// kilobyte, zstd's frame overhead and the time spent rarely pay for the
// few bytes saved.
const DefaultMinSize = 512

// Options configure a Transformer. The zero value is usable.
type Options struct {
	// MinSize: inputs shorter than this are stored as they are. Zero means
	// DefaultMinSize; 1 compresses everything but empty values.
	MinSize int
	// Level is a zstd level from 1 (fastest) to 22 (smallest), mapped onto
	// the four speeds of the implementation. Zero means 3, zstd's default.
	Level int
	// MaxDecodedSize bounds the size an entry may decompress to; larger
	// ones fail with transform.ErrTooLarge, and no read allocates more than twice it.
	// Frames are sized from their headers before decoding: a frame that
	// declares no size (Apply always declares it) counts for the most its
	// blocks can produce. Zero means transform.DefaultMaxDecodedSize.
	MaxDecodedSize int
}

// Transformer compresses values with zstd. Values below the size threshold, and
// values that compression would not shrink, are stored as they are, behind
// a one-byte mode that says which:
//
//	0x00 value       stored
//	0x01 zstd frame  compressed
//
// One encoder and one decoder serve every call, concurrently: a call
// borrows one of their internal states instead of allocating its own.
type Transformer struct {
	minSize int
	maxSize int
	enc     *zstd.Encoder
	dec     *zstd.Decoder
}

var (
	_ transform.Transformer = (*Transformer)(nil)
	_ transform.Bounded     = (*Transformer)(nil)
)

const (
	zstdStored     byte = 0
	zstdCompressed byte = 1
)

// New returns a zstd Transformer. It starts no goroutine; Close releases
// its buffers once no cache uses it.
func New(o Options) (*Transformer, error) {
	if o.MinSize < 0 || o.Level < 0 || o.Level > 22 || o.MaxDecodedSize < 0 {
		return nil, fmt.Errorf("%w: zstd: MinSize %d, Level %d, MaxDecodedSize %d: none may be negative, and Level is at most 22",
			transform.ErrInvalidOptions, o.MinSize, o.Level, o.MaxDecodedSize)
	}
	z := &Transformer{minSize: o.MinSize, maxSize: o.MaxDecodedSize}
	if z.minSize == 0 {
		z.minSize = DefaultMinSize
	}
	if z.maxSize == 0 {
		z.maxSize = transform.DefaultMaxDecodedSize
	}
	level := zstd.SpeedDefault
	if o.Level > 0 {
		level = zstd.EncoderLevelFromZstd(o.Level)
	}
	var err error
	if z.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(level)); err != nil {
		return nil, fmt.Errorf("zstd: encoder: %w", err)
	}
	// Decoded size is bounded by the frames' declared sizes, checked before
	// any allocation, and while decoding. The decoder writes only into the
	// buffer Revert sizes (it never grows one), so Revert alone decides what
	// a read allocates.
	z.dec, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(z.maxSize)), zstd.WithDecoderLowmem(true),
		zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		_ = z.enc.Close()
		return nil, fmt.Errorf("zstd: decoder: %w", err)
	}
	return z, nil
}

// ID implements transform.Transformer.
func (z *Transformer) ID() byte { return transform.IDZstd }

// Name implements transform.Transformer.
func (z *Transformer) Name() string { return "zstd" }

// Apply implements transform.Transformer: src compressed, or as it is when it is
// below the threshold or does not shrink.
func (z *Transformer) Apply(dst, src, _ []byte) ([]byte, error) {
	start := len(dst)
	if len(src) >= z.minSize {
		dst = z.enc.EncodeAll(src, append(dst, zstdCompressed))
		if len(dst)-start <= len(src) {
			return dst, nil
		}
		dst = dst[:start]
	}
	return append(append(dst, zstdStored), src...), nil
}

// Revert implements transform.Transformer.
func (z *Transformer) Revert(dst, src, _ []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst, fmt.Errorf("%w: zstd: empty input", transform.ErrCorrupt)
	}
	switch src[0] {
	case zstdStored:
		return append(dst, src[1:]...), nil
	case zstdCompressed:
		return z.decompress(dst, src[1:])
	}
	return dst, fmt.Errorf("%w: zstd: unknown mode %d", transform.ErrCorrupt, src[0])
}

// zstdBlockMax is the most one zstd block decodes to (the format's
// Block_Maximum_Size, or the frame's window when smaller); zstdOverAlloc
// is the slack the decoder wants past its output for its wide copies.
const (
	zstdBlockMax  = 128 << 10
	zstdOverAlloc = 64
)

// zstdGrowth bounds what the decoder allocates when a block runs past the
// buffer it was given: it grows the buffer once (by a quarter, plus the
// block) and then stops.
func zstdGrowth(room int) int { return room + room/4 + 2*zstdBlockMax + 16<<10 }

// decompress appends the frames' content to dst. Left to itself, the
// decoder grows its output as it goes, and frames that declare no size, or
// many frames, each within the bound, made it allocate several times the
// bound before the bound stopped it. So the frames' headers are read first,
// without decoding: frames that cannot be shown to fit in the bound are
// refused, and the output is allocated once, at the size the headers give.
// A frame that lies about its size is stopped by the decoder at the first
// block past it; room for that block is added when growing the buffer for
// it could take the read past twice the bound.
func (z *Transformer) decompress(dst, frames []byte) ([]byte, error) {
	need, overshoot, err := zstdSizes(frames, z.maxSize)
	switch {
	case err != nil:
		return dst, fmt.Errorf("%w: zstd: %v", transform.ErrCorrupt, err)
	case need > z.maxSize:
		return dst, fmt.Errorf("%w: zstd: the frames may decode to more than %d bytes", transform.ErrTooLarge, z.maxSize)
	}
	room := need + zstdOverAlloc
	if room+zstdGrowth(room) > 2*z.maxSize {
		room += overshoot
	}
	start, buf := len(dst), dst
	if cap(dst)-start < room {
		buf = make([]byte, start, start+room)
		copy(buf, dst)
	}
	out, err := z.dec.DecodeAll(frames, buf)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded):
		return dst[:start], fmt.Errorf("%w: zstd: more than %d bytes", transform.ErrTooLarge, z.maxSize)
	case err != nil:
		return dst[:start], fmt.Errorf("%w: zstd: %v", transform.ErrCorrupt, err)
	case len(out)-start > z.maxSize:
		return dst[:start], fmt.Errorf("%w: zstd: %d bytes, limit %d", transform.ErrTooLarge, len(out)-start, z.maxSize)
	}
	return out, nil
}

// MaxDecodedSize implements transform.Bounded: the bound on what Revert
// produces, which a cache applies to every step of its chain.
func (z *Transformer) MaxDecodedSize() int { return z.maxSize }

// Close releases the encoder's and decoder's buffers. Calls after Close
// fail.
func (z *Transformer) Close() error {
	z.dec.Close()
	return z.enc.Close()
}
