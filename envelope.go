package valcache

import (
	"errors"
	"fmt"

	"github.com/valcache/valcache/codec"
)

// The envelope is the header in front of every encoded value:
//
//	[0] format   layout version of everything that follows (envelopeV1)
//	[1] flags    which optional sections follow the header
//	[2] codec    codec.ID of the payload
//	[3…]         optional sections, in flag-bit order, then the payload
//
// A reader that meets a format or flag it does not know treats the entry as
// a miss rather than guessing, so a new layout can be rolled out without a
// flush: old readers miss and reload, new readers still parse old entries.
const (
	envelopeV1        byte = 1
	envelopeHeaderLen      = 3
)

// Flag bits of the envelope. Bits are assigned once and never reused.
const (
	// flagTagStamps is reserved for the versions of the entry's tags, captured
	// when its value was produced; tag invalidation compares them on read.
	flagTagStamps byte = 1 << 0

	knownFlags byte = 0
)

var errCorruptEnvelope = errors.New("valcache: corrupt envelope")

// appendEnvelope writes the header and v's encoding to dst.
func appendEnvelope(dst []byte, c codec.Codec, v any) ([]byte, error) {
	dst = append(dst, envelopeV1, 0, c.ID())
	return c.Append(dst, v)
}

// envelope is a parsed header; payload aliases the input.
type envelope struct {
	codecID byte
	payload []byte
}

func parseEnvelope(b []byte) (envelope, error) {
	if len(b) < envelopeHeaderLen {
		return envelope{}, fmt.Errorf("%w: %d bytes is shorter than the header", errCorruptEnvelope, len(b))
	}
	if b[0] != envelopeV1 {
		return envelope{}, fmt.Errorf("%w: unknown format %d", errCorruptEnvelope, b[0])
	}
	if flags := b[1]; flags&^knownFlags != 0 {
		return envelope{}, fmt.Errorf("%w: unknown flags %#x", errCorruptEnvelope, flags&^knownFlags)
	}
	return envelope{codecID: b[2], payload: b[envelopeHeaderLen:]}, nil
}
