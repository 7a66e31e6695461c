package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxDepth bounds the nesting of containers a payload may use. The decoders
// behind the codecs recurse once per level, so without a bound a few
// megabytes of nested array headers would overflow the goroutine stack, which
// is fatal rather than recoverable. It matches the limit encoding/json
// enforces, so all codecs accept the same shapes.
const maxDepth = 10000

var (
	errTruncated = errors.New("truncated input")
	errTrailing  = errors.New("trailing data after value")
	errTooDeep   = fmt.Errorf("nesting deeper than %d levels", maxDepth)
)

// extMark records where the body of a msgpack extension starts.
type extMark struct {
	body int
	// intern marks the one-byte body of an interned-string reference, the
	// only extension whose body the library legitimately reads byte by byte.
	intern bool
}

const msgpackInternExt = 0x80 // int8(-128), the library's interned-string extension

// scanMsgpack checks that data holds exactly one well-formed MessagePack value
// and appends the bodies of its extensions to marks.
//
// The msgpack library trusts length prefixes: it sizes slices, maps and byte
// buffers from them before reading a single element (and an off-by-one-bit
// flag test in v5.4.1 disables its own slice cap), so five crafted bytes can
// make it allocate gigabytes. Once every container here is known to hold only
// as many elements as there are bytes left, and every string, binary and
// extension to fit in the input, whatever the library allocates is
// proportional to len(data).
func scanMsgpack(data []byte, marks []extMark) ([]extMark, error) {
	// Values still expected in each open container; the bottom entry is the
	// single top-level value. Small nestings stay on the stack.
	var small [32]int
	open := append(small[:0], 1)
	pos := 0
	for len(open) > 0 {
		top := len(open) - 1
		if open[top] == 0 {
			open = open[:top]
			continue
		}
		open[top]--
		if pos >= len(data) {
			return marks, errTruncated
		}
		c := data[pos]
		pos++
		var items, skip uint64 // elements of a container, payload bytes to skip
		switch {
		case c <= 0x7f || c >= 0xe0: // fixint
			continue
		case c <= 0x8f: // fixmap
			items = 2 * uint64(c&0x0f)
		case c <= 0x9f: // fixarray
			items = uint64(c & 0x0f)
		case c <= 0xbf: // fixstr
			skip = uint64(c & 0x1f)
		default:
			n, size, ext := msgpackHeader(c)
			if size < 0 {
				return marks, fmt.Errorf("invalid msgpack code 0x%02x at offset %d", c, pos-1)
			}
			if len(data)-pos < size {
				return marks, errTruncated
			}
			switch size {
			case 1:
				n = uint64(data[pos])
			case 2:
				n = uint64(binary.BigEndian.Uint16(data[pos:]))
			case 4:
				n = uint64(binary.BigEndian.Uint32(data[pos:]))
			}
			pos += size
			switch {
			case c == 0xdc || c == 0xdd: // array 16/32
				items = n
			case c == 0xde || c == 0xdf: // map 16/32
				items = 2 * n
			case ext:
				if pos >= len(data) {
					return marks, errTruncated
				}
				typ := data[pos]
				pos++
				if n > 0 {
					marks = append(marks, extMark{body: pos, intern: c == 0xd4 && typ == msgpackInternExt})
				}
				skip = n
			default:
				skip = n
			}
		}
		if skip > uint64(len(data)-pos) {
			return marks, fmt.Errorf("length %d at offset %d exceeds the %d bytes left", skip, pos, len(data)-pos)
		}
		pos += int(skip)
		if items > 0 {
			// Every element takes at least one byte.
			if items > uint64(len(data)-pos) {
				return marks, fmt.Errorf("container of %d elements at offset %d exceeds the %d bytes left", items, pos, len(data)-pos)
			}
			if len(open) > maxDepth {
				return marks, errTooDeep
			}
			open = append(open, int(items))
		}
	}
	if pos != len(data) {
		return marks, errTrailing
	}
	return marks, nil
}

// msgpackHeader describes the non-fix codes: the size of the length field
// that follows c (0 when the length is implied and returned as n), and
// whether c starts an extension, whose type byte follows the length. A
// negative size marks a code that is never valid.
func msgpackHeader(c byte) (n uint64, size int, ext bool) {
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return 0, 0, false
	case 0xc4, 0xd9: // bin8, str8
		return 0, 1, false
	case 0xc5, 0xda: // bin16, str16
		return 0, 2, false
	case 0xc6, 0xdb: // bin32, str32
		return 0, 4, false
	case 0xc7:
		return 0, 1, true
	case 0xc8:
		return 0, 2, true
	case 0xc9:
		return 0, 4, true
	case 0xca, 0xce, 0xd2: // float32, uint32, int32
		return 4, 0, false
	case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
		return 8, 0, false
	case 0xcc, 0xd0: // uint8, int8
		return 1, 0, false
	case 0xcd, 0xd1: // uint16, int16
		return 2, 0, false
	case 0xd4:
		return 1, 0, true
	case 0xd5:
		return 2, 0, true
	case 0xd6:
		return 4, 0, true
	case 0xd7:
		return 8, 0, true
	case 0xd8:
		return 16, 0, true
	case 0xdc, 0xde: // array16, map16
		return 0, 2, false
	case 0xdd, 0xdf: // array32, map32
		return 0, 4, false
	}
	return 0, -1, false // 0xc1
}
