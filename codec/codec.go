// Package codec turns cache values into bytes and back.
//
// The cache stores every value behind a small envelope whose codec id byte
// records which codec wrote the payload. Readers pick the decoder from that
// byte (see ByID) rather than from their own configuration, so the configured
// codec can change without flushing the cache, and entries written by other
// services with other codecs stay readable.
//
// Payloads are treated as untrusted input: they may come from another
// version of the program, another service, or anyone able to write to the
// server. Every Decode therefore refuses to panic, bounds the memory a
// crafted length prefix can make it allocate, and never keeps a reference to
// the input, which the caller is free to reuse once Decode returns.
package codec

import "reflect"

// Codec turns values into bytes and back.
type Codec interface {
	ID() byte     // stable id stored in the envelope; never reused
	Name() string // "json", "gob", "msgpack", "raw"
	// Append encodes v and appends it to dst, returning the extended slice (dst may be nil).
	Append(dst []byte, v any) ([]byte, error)
	// Decode decodes data into v, which must be a non-nil pointer. It must never panic on any input
	// and must not retain data after it returns (the caller may reuse the buffer).
	Decode(data []byte, v any) error
}

// Codec ids are persisted in cache entries, so a value, once assigned, keeps
// its meaning forever: retired codecs leave their id unused rather than
// handing it to a new codec that would misread old entries. Zero is never
// assigned so that a zeroed header cannot pass for a real codec.
const (
	IDRaw     byte = 1
	IDJSON    byte = 2
	IDGob     byte = 3
	IDMsgpack byte = 4
)

// ByID returns the built-in codec with the given id. Readers use it to decode
// an entry with the codec that wrote it, whatever codec they write with.
func ByID(id byte) (Codec, bool) {
	switch id {
	case IDRaw:
		return Raw(), true
	case IDJSON:
		return JSON(), true
	case IDGob:
		return Gob(), true
	case IDMsgpack:
		return Msgpack(), true
	}
	return nil, false
}

// Default returns the codec a cache of V uses when none is configured. Values
// that already are bytes or text are stored verbatim, because any framing
// would only cost space and time; everything else uses msgpack, which is
// compact, fast, and handles any Go type without registration.
func Default[V any]() Codec {
	if rawKind(reflect.TypeFor[V]()) {
		return Raw()
	}
	return Msgpack()
}

// rawKind reports whether values of t can be stored verbatim by Raw. It looks
// at kinds rather than exact types so that named types such as
// json.RawMessage or a user's `type Token string` qualify too.
func rawKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}
