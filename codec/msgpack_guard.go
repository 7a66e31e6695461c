package codec

import (
	"errors"
	"io"
	"slices"
)

var errExtAsMap = errors.New("extension body read as a msgpack value")

// guardReader feeds a scanned payload to the msgpack decoder and stops the
// one parse scanMsgpack cannot vouch for.
//
// When the target is a map, msgpack v5 skips an extension header and parses
// the extension's body as a map (Decoder.DecodeMapLen). The body is opaque to
// the scan, so its bytes, and everything after them, would be read with
// unchecked length prefixes: a timestamp whose body starts with 0xdf is a
// map of four billion entries. Every legitimate read of an extension body goes
// through Read (timestamps, user extensions, Skip) except the one-byte index
// of an interned string, which uses ReadByte. So a ReadByte at the start of an
// extension body means the library is parsing the body as msgpack, and the
// reader fails it, with two exceptions for the interned-string index: a fixmap
// byte is harmless there (the map header is the whole body, so the entries
// that follow are values the scan has checked), and a map16/map32 byte is
// only a map header if the library goes on to Read its length, which an index
// never does.
type guardReader struct {
	data    []byte
	pos     int
	exts    []extMark // sorted by body offset
	suspect bool      // the last byte read may have been taken for a map16/map32 header
	err     error     // sticky, so a library that swallows one error still fails
}

func (r *guardReader) reset(data []byte) {
	r.data = data
	r.pos = 0
	r.suspect = false
	r.err = nil
}

func (r *guardReader) ReadByte() (byte, error) {
	if r.err != nil {
		return 0, r.err
	}
	r.suspect = false
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	if len(r.exts) > 0 {
		if i, ok := slices.BinarySearchFunc(r.exts, r.pos, func(m extMark, pos int) int { return m.body - pos }); ok {
			c := r.data[r.pos]
			switch {
			case !r.exts[i].intern:
				r.err = errExtAsMap
				return 0, r.err
			case c == 0xde || c == 0xdf:
				r.suspect = true
			}
		}
	}
	c := r.data[r.pos]
	r.pos++
	return c, nil
}

func (r *guardReader) UnreadByte() error {
	if r.pos <= 0 {
		return errors.New("codec: msgpack: UnreadByte at start of input")
	}
	r.pos--
	return nil
}

func (r *guardReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.suspect {
		r.err = errExtAsMap
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.pos:])
	r.pos += n
	return n, nil
}
