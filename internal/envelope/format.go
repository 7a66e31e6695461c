// Package envelope is the format of an entry as a cache stores it in a
// provider that keeps bytes: a header (format, flags, codec, tag stamps,
// times, transformer ids) in front of the codec's payload. The root package
// writes and reads it; the valcache command and valkeystore's inspection
// read it, through Describe, without a cache's types or secrets. It is
// internal so that the format can evolve without an exported API to keep.
//
// The layout:
//
//	[0] format   layout version of everything that follows (V1)
//	[1] flags    which optional sections follow the header
//	[2] codec    codec.ID of the payload
//	[3…]         optional sections, in flag-bit order, then the payload
//
// A reader that meets a format or flag it does not know treats the entry as
// a miss rather than guessing, so a new layout can be rolled out without a
// flush: old readers miss and reload, new readers still parse old entries.
package envelope

import (
	"encoding/binary"
	"errors"
	"time"
)

// V1 is the only format so far; HeaderLen is the size of the fixed header.
const (
	V1        byte = 1
	HeaderLen      = 3
)

// Flag bits. Bits are assigned once and never reused.
const (
	// FlagTagStamps: a stamps section follows the header, holding the
	// versions of the namespace and of the entry's tags as they were when
	// its value was produced; a read compares them with the current ones.
	//
	//	uvarint count, then count × (uvarint len(tag), tag, 8-byte big-endian version)
	//
	// The namespace's own version comes first, under the empty tag.
	FlagTagStamps byte = 1 << 0

	// FlagTimes: a times section follows the stamps, for caches that serve
	// stale values or refresh ahead:
	//
	//	uvarint written (Unix milliseconds), uvarint fresh for (milliseconds)
	FlagTimes byte = 1 << 1

	// FlagNegative: the entry records that the source has no value for the
	// key (negative caching); there is no payload.
	FlagNegative byte = 1 << 2

	// FlagTransformed: a transformers section follows the times, listing
	// the ids (package transform) of the steps applied after the codec, in
	// the order they were applied; the payload is their output:
	//
	//	1-byte count (1 to transform.MaxChain), then count × 1-byte id,
	//	each non-zero and listed once
	//
	// A negative entry may carry it too: its empty payload is then
	// transformed like any other, so that sealing authenticates its header.
	FlagTransformed byte = 1 << 3

	KnownFlags = FlagTagStamps | FlagTimes | FlagNegative | FlagTransformed
)

// ErrCorrupt is wrapped by every error for bytes that are not an entry
// (truncated, of an unknown format, with unknown flags or bad sections).
var ErrCorrupt = errors.New("envelope: corrupt entry")

// Meta is what an entry knows about itself beyond its value: when it was
// written and how long it is fresh (zero Written: no times kept), and
// whether it records an absence.
type Meta struct {
	Written  time.Time
	FreshFor time.Duration
	Negative bool
}

// AppendHeader writes everything of an envelope but the payload: the stamps
// section when tags is not empty (versions[i] is tags[i]'s, tags[0] the
// namespace's empty tag), the times when m.Written is set, and chain, the
// ids of the transformers the payload will go through.
func AppendHeader(dst []byte, codecID byte, tags []string, versions []uint64, m Meta, chain []byte) []byte {
	var flags byte
	if len(tags) > 0 {
		flags |= FlagTagStamps
	}
	if !m.Written.IsZero() {
		flags |= FlagTimes
	}
	if m.Negative {
		flags |= FlagNegative
	}
	if len(chain) > 0 {
		flags |= FlagTransformed
	}
	dst = append(dst, V1, flags, codecID)
	if len(tags) > 0 {
		dst = binary.AppendUvarint(dst, uint64(len(tags)))
		for i, tag := range tags {
			dst = binary.AppendUvarint(dst, uint64(len(tag)))
			dst = append(dst, tag...)
			dst = binary.BigEndian.AppendUint64(dst, versions[i])
		}
	}
	if flags&FlagTimes != 0 {
		dst = binary.AppendUvarint(dst, uint64(max(m.Written.UnixMilli(), 0)))
		dst = binary.AppendUvarint(dst, uint64(max(m.FreshFor.Milliseconds(), 0)))
	}
	if len(chain) > 0 {
		dst = append(append(dst, byte(len(chain))), chain...)
	}
	return dst
}
