package session

import (
	"crypto/rand"
	"encoding/base64"
)

// idBytes is the entropy of a session id: 256 bits, far beyond guessing.
const idBytes = 32

var idLen = base64.RawURLEncoding.EncodedLen(idBytes)

func newID() string {
	var b [idBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validID reports whether s has the shape of an id this package issued, so
// that cookies with any other value are never looked up.
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
