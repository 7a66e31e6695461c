package transform

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// Defaults of ZstdOptions.
const (
	// DefaultMinSize: below about half a kilobyte, zstd's frame overhead
	// and the time spent rarely pay for the few bytes saved.
	DefaultMinSize = 512
	// DefaultMaxDecodedSize bounds what one entry may decompress to, so that
	// a small crafted entry cannot make a reader allocate gigabytes.
	DefaultMaxDecodedSize = 64 << 20
)

// ZstdOptions configure a Zstd transformer. The zero value is usable.
type ZstdOptions struct {
	// MinSize: inputs shorter than this are stored as they are. Zero means
	// DefaultMinSize; 1 compresses everything but empty values.
	MinSize int
	// Level is a zstd level from 1 (fastest) to 22 (smallest), mapped onto
	// the four speeds of the implementation. Zero means 3, zstd's default.
	Level int
	// MaxDecodedSize bounds the size an entry may decompress to; larger
	// ones fail with ErrTooLarge. Zero means DefaultMaxDecodedSize.
	MaxDecodedSize int
}

// Zstd compresses values with zstd. Values below the size threshold, and
// values that compression would not shrink, are stored as they are, behind
// a one-byte mode that says which:
//
//	0x00 value       stored
//	0x01 zstd frame  compressed
//
// One encoder and one decoder serve every call, concurrently: a call
// borrows one of their internal states instead of allocating its own.
type Zstd struct {
	minSize int
	maxSize int
	enc     *zstd.Encoder
	dec     *zstd.Decoder
}

var _ Transformer = (*Zstd)(nil)

const (
	zstdStored     byte = 0
	zstdCompressed byte = 1
)

// NewZstd returns a Zstd transformer. It starts no goroutine; Close
// releases its buffers once no cache uses it.
func NewZstd(o ZstdOptions) (*Zstd, error) {
	if o.MinSize < 0 || o.Level < 0 || o.Level > 22 || o.MaxDecodedSize < 0 {
		return nil, fmt.Errorf("%w: zstd: MinSize %d, Level %d, MaxDecodedSize %d: none may be negative, and Level is at most 22",
			ErrInvalidOptions, o.MinSize, o.Level, o.MaxDecodedSize)
	}
	z := &Zstd{minSize: o.MinSize, maxSize: o.MaxDecodedSize}
	if z.minSize == 0 {
		z.minSize = DefaultMinSize
	}
	if z.maxSize == 0 {
		z.maxSize = DefaultMaxDecodedSize
	}
	level := zstd.SpeedDefault
	if o.Level > 0 {
		level = zstd.EncoderLevelFromZstd(o.Level)
	}
	var err error
	if z.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(level)); err != nil {
		return nil, fmt.Errorf("transform: zstd encoder: %w", err)
	}
	// Decoded size is bounded both by the frame's declared size, checked
	// before any allocation, and while decoding frames that declare none.
	z.dec, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(z.maxSize)), zstd.WithDecoderLowmem(true))
	if err != nil {
		_ = z.enc.Close()
		return nil, fmt.Errorf("transform: zstd decoder: %w", err)
	}
	return z, nil
}

// ID implements Transformer.
func (z *Zstd) ID() byte { return IDZstd }

// Name implements Transformer.
func (z *Zstd) Name() string { return "zstd" }

// Apply implements Transformer: src compressed, or as it is when it is
// below the threshold or does not shrink.
func (z *Zstd) Apply(dst, src, _ []byte) ([]byte, error) {
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

// Revert implements Transformer.
func (z *Zstd) Revert(dst, src, _ []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst, fmt.Errorf("%w: zstd: empty input", ErrCorrupt)
	}
	switch src[0] {
	case zstdStored:
		return append(dst, src[1:]...), nil
	case zstdCompressed:
		start := len(dst)
		out, err := z.dec.DecodeAll(src[1:], dst)
		switch {
		case errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded):
			return dst[:start], fmt.Errorf("%w: zstd: more than %d bytes", ErrTooLarge, z.maxSize)
		case err != nil:
			return dst[:start], fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		case len(out)-start > z.maxSize:
			return dst[:start], fmt.Errorf("%w: zstd: %d bytes, limit %d", ErrTooLarge, len(out)-start, z.maxSize)
		}
		return out, nil
	}
	return dst, fmt.Errorf("%w: zstd: unknown mode %d", ErrCorrupt, src[0])
}

// MaxDecodedSize returns the bound on what Revert produces.
func (z *Zstd) MaxDecodedSize() int { return z.maxSize }

// Close releases the encoder's and decoder's buffers. Calls after Close
// fail.
func (z *Zstd) Close() error {
	z.dec.Close()
	return z.enc.Close()
}
