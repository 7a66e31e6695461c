package valcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/transform"
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

	// flagTimes: a times section follows the stamps, for caches that serve
	// stale values or refresh ahead:
	//
	//	uvarint written (Unix milliseconds), uvarint fresh for (milliseconds)
	flagTimes byte = 1 << 1

	// flagNegative: the entry records that the source has no value for the
	// key (negative caching); there is no payload.
	flagNegative byte = 1 << 2

	// flagTransformed: a transformers section follows the times, listing
	// the ids (transform package) of the steps applied after the codec, in
	// the order they were applied; the payload is their output:
	//
	//	1-byte count (1 to transform.MaxChain), then count × 1-byte id,
	//	each non-zero and listed once
	//
	// A negative entry may carry it too: its empty payload is then
	// transformed like any other, so that sealing authenticates its header.
	flagTransformed byte = 1 << 3

	knownFlags = flagTagStamps | flagTimes | flagNegative | flagTransformed
)

// meta is what an entry knows about itself beyond its value: when it was
// written and how long it is fresh (zero: no times kept), and whether it
// records an absence.
type meta struct {
	written  time.Time
	freshFor time.Duration
	negative bool
}

var errCorruptEnvelope = errors.New("valcache: corrupt envelope")

// appendEntry encodes an entry of this cache for dk: the envelope as
// appendEnvelopeMeta writes it, through the cache's transformers if it has
// any.
func (c *Cache[K, V]) appendEntry(dst []byte, dk driver.Key, v any, st *Stamp, m meta) ([]byte, error) {
	if st != nil && (st.byGroup != nil || st.group != c.groupOf(dk)) {
		// A stamp of several groups is written with the versions of dk's.
		view := *st
		view.versions = st.versionsFor(c.groupOf(dk))
		if view.versions == nil {
			return dst, fmt.Errorf("valcache: the stamp holds no versions of the group of key %q", dk.ID)
		}
		view.byGroup, view.group = nil, c.groupOf(dk)
		st = &view
	}
	if len(c.pipe.chain) == 0 {
		return appendEnvelopeMeta(dst, c.codec, v, st, m)
	}
	return c.pipe.appendEntry(dst, dk, c.codec, v, st, m)
}

// appendEnvelope writes the header, the stamps when there are any, and v's
// encoding to dst.
func appendEnvelope(dst []byte, c codec.Codec, v any, st *Stamp) ([]byte, error) {
	return appendEnvelopeMeta(dst, c, v, st, meta{})
}

// appendEnvelopeMeta is appendEnvelope with the optional times and the
// negative mark.
func appendEnvelopeMeta(dst []byte, c codec.Codec, v any, st *Stamp, m meta) ([]byte, error) {
	dst = appendHeader(dst, c.ID(), st, m, nil)
	if m.negative {
		return dst, nil
	}
	return c.Append(dst, v)
}

// appendHeader writes everything of an envelope but the payload; chain
// lists the ids of the transformers the payload will go through.
func appendHeader(dst []byte, codecID byte, st *Stamp, m meta, chain []byte) []byte {
	var flags byte
	stamped := st != nil && len(st.tags) > 0
	if stamped {
		flags |= flagTagStamps
	}
	if !m.written.IsZero() {
		flags |= flagTimes
	}
	if m.negative {
		flags |= flagNegative
	}
	if len(chain) > 0 {
		flags |= flagTransformed
	}
	dst = append(dst, envelopeV1, flags, codecID)
	if stamped {
		dst = binary.AppendUvarint(dst, uint64(len(st.tags)))
		for i, tag := range st.tags {
			dst = binary.AppendUvarint(dst, uint64(len(tag)))
			dst = append(dst, tag...)
			dst = binary.BigEndian.AppendUint64(dst, st.versions[i])
		}
	}
	if flags&flagTimes != 0 {
		dst = binary.AppendUvarint(dst, uint64(max(m.written.UnixMilli(), 0)))
		dst = binary.AppendUvarint(dst, uint64(max(m.freshFor.Milliseconds(), 0)))
	}
	if len(chain) > 0 {
		dst = append(append(dst, byte(len(chain))), chain...)
	}
	return dst
}

// envelope is a parsed header; transforms and payload alias the input.
type envelope struct {
	codecID byte
	stamps
	meta meta
	// transforms lists the transformer ids the payload went through, in
	// the order they were applied; header is everything before the payload.
	transforms []byte
	header     []byte
	payload    []byte
}

// stampEntry is one version an entry was stamped with.
type stampEntry struct {
	tag     string
	version uint64
}

// stamps are an envelope's stamps section: the first kept apart, so that an
// untagged entry (stamped with its namespace's version alone, the common
// case) is read without an allocation; see stampAt.
type stamps struct {
	stamped    bool
	nStamps    int
	stamp0     stampEntry
	moreStamps []stampEntry
}

func (e *stamps) stampCount() int { return e.nStamps }

// stampAt returns stamp i, for i < stampCount().
func (e *stamps) stampAt(i int) stampEntry {
	if i == 0 {
		return e.stamp0
	}
	return e.moreStamps[i-1]
}

// stampList returns the stamps as one slice, for paths that are not hits.
func (e *stamps) stampList() []stampEntry {
	if e.nStamps == 0 {
		return nil
	}
	return append([]stampEntry{e.stamp0}, e.moreStamps...)
}

func parseEnvelope(b []byte) (envelope, error) {
	var env envelope
	if err := parseEnvelopeInto(&env, b); err != nil {
		return envelope{}, err
	}
	return env, nil
}

// parseEnvelopeInto is parseEnvelope writing into env, for loops over many
// entries: an envelope is large enough that returning it by value shows.
func parseEnvelopeInto(env *envelope, b []byte) error {
	*env = envelope{}
	if len(b) < envelopeHeaderLen {
		return fmt.Errorf("%w: %d bytes is shorter than the header", errCorruptEnvelope, len(b))
	}
	if b[0] != envelopeV1 {
		return fmt.Errorf("%w: unknown format %d", errCorruptEnvelope, b[0])
	}
	flags := b[1]
	if flags&^knownFlags != 0 {
		return fmt.Errorf("%w: unknown flags %#x", errCorruptEnvelope, flags&^knownFlags)
	}
	env.codecID, env.payload = b[2], b[envelopeHeaderLen:]
	if flags&flagTagStamps != 0 {
		var err error
		if env.nStamps, env.stamp0, env.moreStamps, env.payload, err = parseStamps(env.payload); err != nil {
			return err
		}
		env.stamped = true
	}
	if flags&flagTimes != 0 {
		written, n1 := binary.Uvarint(env.payload)
		if n1 <= 0 {
			return fmt.Errorf("%w: truncated times", errCorruptEnvelope)
		}
		fresh, n2 := binary.Uvarint(env.payload[n1:])
		if n2 <= 0 || written > math.MaxInt64/2 || fresh > math.MaxInt64/int64ToUint(time.Millisecond) {
			return fmt.Errorf("%w: bad times", errCorruptEnvelope)
		}
		env.meta.written = time.UnixMilli(int64(written))
		env.meta.freshFor = time.Duration(fresh) * time.Millisecond
		env.payload = env.payload[n1+n2:]
	}
	if flags&flagTransformed != 0 {
		p := env.payload
		if len(p) == 0 || p[0] == 0 || int(p[0]) > transform.MaxChain || len(p) < 1+int(p[0]) {
			return fmt.Errorf("%w: bad transformers section", errCorruptEnvelope)
		}
		env.transforms = p[1 : 1+p[0]]
		// No chain names a step twice (transform.CheckChain), and a list
		// that did could multiply what one entry decompresses to.
		for i, id := range env.transforms {
			if id == 0 || bytes.IndexByte(env.transforms[:i], id) >= 0 {
				return fmt.Errorf("%w: transformer id %d listed twice or zero", errCorruptEnvelope, id)
			}
		}
		env.payload = p[1+p[0]:]
	}
	env.header = b[:len(b)-len(env.payload)]
	if flags&flagNegative != 0 {
		// A transformed payload is checked once reverted.
		if len(env.payload) != 0 && len(env.transforms) == 0 {
			return fmt.Errorf("%w: a negative entry with a payload", errCorruptEnvelope)
		}
		env.meta.negative = true
	}
	return nil
}

func int64ToUint(d time.Duration) uint64 { return uint64(d) }

// maxStamps bounds the stamps section so that a corrupt count cannot make
// the reader allocate more than the entry's own size suggests.
const maxStamps = 1 << 16

// parseStamps reads the stamps section: how many, the first, the others,
// and what follows. An empty tag (the namespace's) costs no allocation.
func parseStamps(b []byte) (int, stampEntry, []stampEntry, []byte, error) {
	var first stampEntry
	n, read := binary.Uvarint(b)
	if read <= 0 || n > maxStamps || n > uint64(len(b)) {
		return 0, first, nil, nil, fmt.Errorf("%w: bad stamp count", errCorruptEnvelope)
	}
	b = b[read:]
	var more []stampEntry
	if n > 1 {
		more = make([]stampEntry, 0, n-1)
	}
	for i := range n {
		l, read := binary.Uvarint(b)
		if read <= 0 || l > uint64(len(b)-read) || uint64(len(b)-read)-l < 8 {
			return 0, first, nil, nil, fmt.Errorf("%w: truncated stamp", errCorruptEnvelope)
		}
		b = b[read:]
		var tag string
		if l > 0 {
			tag = string(b[:l])
		}
		b = b[l:]
		s := stampEntry{tag: tag, version: binary.BigEndian.Uint64(b)}
		if i == 0 {
			first = s
		} else {
			more = append(more, s)
		}
		b = b[8:]
	}
	return int(n), first, more, b, nil
}
