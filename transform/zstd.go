package transform

import (
	"errors"
	"fmt"
	"io"

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
	// ones fail with ErrTooLarge, and no read allocates more than twice it.
	// Frames are sized from their headers before decoding: a frame that
	// declares no size (Apply always declares it) counts for the most its
	// blocks can produce. Zero means DefaultMaxDecodedSize.
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
	// Decoded size is bounded by the frames' declared sizes, checked before
	// any allocation, and while decoding. The decoder writes only into the
	// buffer Revert sizes (it never grows one), so Revert alone decides what
	// a read allocates.
	z.dec, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(z.maxSize)), zstd.WithDecoderLowmem(true),
		zstd.WithDecodeAllCapLimit(true))
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
		return z.decompress(dst, src[1:])
	}
	return dst, fmt.Errorf("%w: zstd: unknown mode %d", ErrCorrupt, src[0])
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
func (z *Zstd) decompress(dst, frames []byte) ([]byte, error) {
	need, overshoot, err := zstdSizes(frames, z.maxSize)
	switch {
	case err != nil:
		return dst, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	case need > z.maxSize:
		return dst, fmt.Errorf("%w: zstd: the frames may decode to more than %d bytes", ErrTooLarge, z.maxSize)
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
		return dst[:start], fmt.Errorf("%w: zstd: more than %d bytes", ErrTooLarge, z.maxSize)
	case err != nil:
		return dst[:start], fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
	case len(out)-start > z.maxSize:
		return dst[:start], fmt.Errorf("%w: zstd: %d bytes, limit %d", ErrTooLarge, len(out)-start, z.maxSize)
	}
	return out, nil
}

var errReservedBlock = errors.New("reserved block type")

// zstdSizes reads the headers of frames (frame headers, block headers,
// skippable frames), without decoding, and returns how much they may
// decode to: the size a frame declares (the decoder fails a frame that
// produces anything else), or, for a frame that declares none, what its
// blocks may produce (raw and RLE blocks their size, a compressed block at
// most a block's maximum). overshoot is how far past its declared size a
// frame may still write before the decoder stops it: one block. It stops
// once need is past limit; its work is bounded by the input, since every
// block header it reads is three bytes of it.
func zstdSizes(frames []byte, limit int) (need, overshoot int, err error) {
	for len(frames) > 0 && need <= limit {
		var h zstd.Header
		rest, err := h.DecodeAndStrip(frames)
		if err != nil {
			return 0, 0, err
		}
		if h.Skippable {
			if uint64(h.SkippableSize) > uint64(len(rest)) {
				return 0, 0, io.ErrUnexpectedEOF
			}
			frames = rest[h.SkippableSize:]
			continue
		}
		if h.HasFCS && h.FrameContentSize > uint64(limit-need) {
			return limit + 1, 0, nil
		}
		window := h.WindowSize
		if h.SingleSegment { // the decoder's window: the content, at least 1 KiB
			window = max(h.FrameContentSize, 1<<10)
		}
		blockMax := int(min(window, zstdBlockMax))
		upTo := 0
		// A frame that declares no size is refused once its blocks may
		// produce more than limit; one that does is read to its end, to
		// find the next frame.
		for last := false; !last && (h.HasFCS || upTo <= limit); {
			if len(rest) < 3 {
				return 0, 0, io.ErrUnexpectedEOF
			}
			bh := uint32(rest[0]) | uint32(rest[1])<<8 | uint32(rest[2])<<16
			rest = rest[3:]
			last = bh&1 != 0
			size, stored := int(bh>>3), int(bh>>3)
			switch (bh >> 1) & 3 {
			case 0: // raw: stored as it is
				upTo += size
			case 1: // RLE: one byte, size times
				upTo += size
				stored = 1
			case 2: // compressed
				upTo += blockMax
			default:
				return 0, 0, errReservedBlock
			}
			if stored > len(rest) {
				return 0, 0, io.ErrUnexpectedEOF
			}
			rest = rest[stored:]
		}
		if !h.HasFCS {
			need += upTo
			if upTo > limit {
				break // refused: the rest need not be read
			}
		} else {
			fcs := int(h.FrameContentSize)
			need += fcs
			overshoot = max(overshoot, min(upTo-fcs, blockMax))
		}
		if h.HasCheckSum {
			if len(rest) < 4 {
				return 0, 0, io.ErrUnexpectedEOF
			}
			rest = rest[4:]
		}
		frames = rest
	}
	return need, overshoot, nil
}

// MaxDecodedSize returns the bound on what Revert produces.
func (z *Zstd) MaxDecodedSize() int { return z.maxSize }

// Close releases the encoder's and decoder's buffers. Calls after Close
// fail.
func (z *Zstd) Close() error {
	z.dec.Close()
	return z.enc.Close()
}
