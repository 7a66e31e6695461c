package zstd

import (
	"errors"
	"io"

	"github.com/klauspost/compress/zstd"
)

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
