package envelope

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/valcache/valcache/transform"
)

// Envelope is a parsed entry; Transforms, Header and Payload alias the
// bytes parsed.
type Envelope struct {
	Codec byte // codec id of the payload
	Stamps
	Meta Meta
	// Transforms lists the transformer ids the payload went through, in
	// the order they were applied; Header is everything before the payload.
	Transforms []byte
	Header     []byte
	Payload    []byte
}

// Stamp is one version an entry was stamped with.
type Stamp struct {
	Tag     string // "" for the namespace's own version
	Version uint64
}

// Stamps are an envelope's stamps section: the first kept apart, so that an
// untagged entry (stamped with its namespace's version alone, the common
// case) is read without an allocation; see StampAt.
type Stamps struct {
	Stamped bool // the entry has a stamps section
	n       int
	first   Stamp
	more    []Stamp
}

// StampCount is the number of stamps.
func (s *Stamps) StampCount() int { return s.n }

// StampAt returns stamp i, for i < StampCount(); the zero Stamp for an
// entry without stamps.
func (s *Stamps) StampAt(i int) Stamp {
	if i == 0 {
		return s.first
	}
	return s.more[i-1]
}

// StampList returns the stamps as one slice, for paths that are not hits.
func (s *Stamps) StampList() []Stamp {
	if s.n == 0 {
		return nil
	}
	return append([]Stamp{s.first}, s.more...)
}

// Parse parses b. It never panics; bytes that are not an entry are an
// error wrapping ErrCorrupt.
func Parse(b []byte) (Envelope, error) {
	var env Envelope
	if err := ParseInto(&env, b); err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// ParseInto is Parse writing into env, for loops over many entries: an
// envelope is large enough that returning it by value shows.
func ParseInto(env *Envelope, b []byte) error {
	*env = Envelope{}
	if len(b) < HeaderLen {
		return fmt.Errorf("%w: %d bytes is shorter than the header", ErrCorrupt, len(b))
	}
	if b[0] != V1 {
		return fmt.Errorf("%w: unknown format %d", ErrCorrupt, b[0])
	}
	flags := b[1]
	if flags&^KnownFlags != 0 {
		return fmt.Errorf("%w: unknown flags %#x", ErrCorrupt, flags&^KnownFlags)
	}
	env.Codec, env.Payload = b[2], b[HeaderLen:]
	if flags&FlagTagStamps != 0 {
		var err error
		if env.n, env.first, env.more, env.Payload, err = parseStamps(env.Payload); err != nil {
			return err
		}
		env.Stamped = true
	}
	if flags&FlagTimes != 0 {
		written, n1 := binary.Uvarint(env.Payload)
		if n1 <= 0 {
			return fmt.Errorf("%w: truncated times", ErrCorrupt)
		}
		fresh, n2 := binary.Uvarint(env.Payload[n1:])
		if n2 <= 0 || written > math.MaxInt64/2 || fresh > uint64(math.MaxInt64/time.Millisecond) {
			return fmt.Errorf("%w: bad times", ErrCorrupt)
		}
		env.Meta.Written = time.UnixMilli(int64(written))
		env.Meta.FreshFor = time.Duration(fresh) * time.Millisecond
		env.Payload = env.Payload[n1+n2:]
	}
	if flags&FlagTransformed != 0 {
		p := env.Payload
		if len(p) == 0 || p[0] == 0 || int(p[0]) > transform.MaxChain || len(p) < 1+int(p[0]) {
			return fmt.Errorf("%w: bad transformers section", ErrCorrupt)
		}
		env.Transforms = p[1 : 1+p[0]]
		// No chain names a step twice (chain.Check, in internal/chain), and a list
		// that did could multiply what one entry decompresses to.
		for i, id := range env.Transforms {
			if id == 0 || bytes.IndexByte(env.Transforms[:i], id) >= 0 {
				return fmt.Errorf("%w: transformer id %d listed twice or zero", ErrCorrupt, id)
			}
		}
		env.Payload = p[1+p[0]:]
	}
	env.Header = b[:len(b)-len(env.Payload)]
	if flags&FlagNegative != 0 {
		// A transformed payload is checked once reverted (CheckNegative).
		if len(env.Payload) != 0 && len(env.Transforms) == 0 {
			return fmt.Errorf("%w: a negative entry with a payload", ErrCorrupt)
		}
		env.Meta.Negative = true
	}
	return nil
}

// CheckNegative refuses a negative entry whose payload, once its
// transformers are reverted, is not empty.
func CheckNegative(m Meta, payload []byte) error {
	if m.Negative && len(payload) != 0 {
		return fmt.Errorf("%w: a negative entry with a payload", ErrCorrupt)
	}
	return nil
}

// maxStamps bounds the stamps section so that a corrupt count cannot make
// the reader allocate more than the entry's own size suggests.
const maxStamps = 1 << 16

// parseStamps reads the stamps section: how many, the first, the others,
// and what follows. An empty tag (the namespace's) costs no allocation.
func parseStamps(b []byte) (int, Stamp, []Stamp, []byte, error) {
	var first Stamp
	n, read := binary.Uvarint(b)
	if read <= 0 || n > maxStamps || n > uint64(len(b)) {
		return 0, first, nil, nil, fmt.Errorf("%w: bad stamp count", ErrCorrupt)
	}
	b = b[read:]
	var more []Stamp
	if n > 1 {
		more = make([]Stamp, 0, n-1)
	}
	for i := range n {
		l, read := binary.Uvarint(b)
		if read <= 0 || l > uint64(len(b)-read) || uint64(len(b)-read)-l < 8 {
			return 0, first, nil, nil, fmt.Errorf("%w: truncated stamp", ErrCorrupt)
		}
		b = b[read:]
		var tag string
		if l > 0 {
			tag = string(b[:l])
		}
		b = b[l:]
		s := Stamp{Tag: tag, Version: binary.BigEndian.Uint64(b)}
		if i == 0 {
			first = s
		} else {
			more = append(more, s)
		}
		b = b[8:]
	}
	return int(n), first, more, b, nil
}
