package valcache

import (
	"encoding/binary"
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
	// flagTagStamps: a stamps section follows the header, holding the
	// versions of the namespace and of the entry's tags as they were when
	// its value was produced; a read compares them with the current ones.
	//
	//	uvarint count, then count × (uvarint len(tag), tag, 8-byte big-endian version)
	//
	// The namespace's own version comes first, under the empty tag.
	flagTagStamps byte = 1 << 0

	knownFlags = flagTagStamps
)

var errCorruptEnvelope = errors.New("valcache: corrupt envelope")

// appendEnvelope writes the header, the stamps when there are any, and v's
// encoding to dst.
func appendEnvelope(dst []byte, c codec.Codec, v any, st *Stamp) ([]byte, error) {
	if st == nil || len(st.tags) == 0 {
		dst = append(dst, envelopeV1, 0, c.ID())
		return c.Append(dst, v)
	}
	dst = append(dst, envelopeV1, flagTagStamps, c.ID())
	dst = binary.AppendUvarint(dst, uint64(len(st.tags)))
	for i, tag := range st.tags {
		dst = binary.AppendUvarint(dst, uint64(len(tag)))
		dst = append(dst, tag...)
		dst = binary.BigEndian.AppendUint64(dst, st.versions[i])
	}
	return c.Append(dst, v)
}

// envelope is a parsed header; payload aliases the input.
type envelope struct {
	codecID byte
	stamped bool
	stamps  []stampEntry
	payload []byte
}

// stampEntry is one version an entry was stamped with.
type stampEntry struct {
	tag     string
	version uint64
}

func parseEnvelope(b []byte) (envelope, error) {
	if len(b) < envelopeHeaderLen {
		return envelope{}, fmt.Errorf("%w: %d bytes is shorter than the header", errCorruptEnvelope, len(b))
	}
	if b[0] != envelopeV1 {
		return envelope{}, fmt.Errorf("%w: unknown format %d", errCorruptEnvelope, b[0])
	}
	flags := b[1]
	if flags&^knownFlags != 0 {
		return envelope{}, fmt.Errorf("%w: unknown flags %#x", errCorruptEnvelope, flags&^knownFlags)
	}
	env := envelope{codecID: b[2], payload: b[envelopeHeaderLen:]}
	if flags&flagTagStamps != 0 {
		var err error
		if env.stamps, env.payload, err = parseStamps(env.payload); err != nil {
			return envelope{}, err
		}
		env.stamped = true
	}
	return env, nil
}

// maxStamps bounds the stamps section so that a corrupt count cannot make
// the reader allocate more than the entry's own size suggests.
const maxStamps = 1 << 16

func parseStamps(b []byte) ([]stampEntry, []byte, error) {
	n, read := binary.Uvarint(b)
	if read <= 0 || n > maxStamps || n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: bad stamp count", errCorruptEnvelope)
	}
	b = b[read:]
	stamps := make([]stampEntry, 0, n)
	for range n {
		l, read := binary.Uvarint(b)
		if read <= 0 || l > uint64(len(b)-read) || uint64(len(b)-read)-l < 8 {
			return nil, nil, fmt.Errorf("%w: truncated stamp", errCorruptEnvelope)
		}
		b = b[read:]
		tag := string(b[:l])
		b = b[l:]
		stamps = append(stamps, stampEntry{tag: tag, version: binary.BigEndian.Uint64(b)})
		b = b[8:]
	}
	return stamps, b, nil
}
