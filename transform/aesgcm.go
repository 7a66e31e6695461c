package transform

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
)

// AESGCM seals values with AES-256-GCM. Each value gets a fresh random
// nonce, and is bound to the aad the cache passes (the entry's namespace,
// key and envelope header), so that a sealed value copied under another key
// or given another header fails to open. Its output is
//
//	4-byte big-endian key id, 12-byte nonce, ciphertext, 16-byte tag
//
// Random 96-bit nonces stay safe for about 2³² values per key; rotate keys
// well before that many writes.
type AESGCM struct {
	ring atomic.Pointer[Keyring]
}

var (
	_ Transformer   = (*AESGCM)(nil)
	_ Authenticator = (*AESGCM)(nil)
)

const (
	gcmKeyIDLen = 4
	gcmNonceLen = 12
	gcmTagLen   = 16
	// GCMOverhead is what sealing adds to a value's size.
	GCMOverhead = gcmKeyIDLen + gcmNonceLen + gcmTagLen
)

var errNilKeyring = errors.New("transform: aes-gcm: nil keyring")

// NewAESGCM returns a transformer that seals with kr's current key.
func NewAESGCM(kr *Keyring) (*AESGCM, error) {
	a := &AESGCM{}
	if err := a.SetKeyring(kr); err != nil {
		return nil, err
	}
	return a, nil
}

// SetKeyring replaces the keyring, for every cache using a, at once: calls
// already running finish with the old one. This is how keys rotate without
// a restart or a flush.
func (a *AESGCM) SetKeyring(kr *Keyring) error {
	if kr == nil || len(kr.aeads) == 0 {
		return errNilKeyring
	}
	a.ring.Store(kr)
	return nil
}

// Keyring returns the keyring in use.
func (a *AESGCM) Keyring() *Keyring { return a.ring.Load() }

// ID implements Transformer.
func (a *AESGCM) ID() byte { return IDAESGCM }

// Name implements Transformer.
func (a *AESGCM) Name() string { return "aes-gcm" }

// Authenticates implements Authenticator.
func (a *AESGCM) Authenticates() bool { return true }

// Apply implements Transformer: src sealed with the current key.
func (a *AESGCM) Apply(dst, src, aad []byte) ([]byte, error) {
	kr := a.ring.Load()
	aead := kr.aeads[kr.current]
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, kr.current)
	dst = append(dst, make([]byte, gcmNonceLen)...)
	nonce := dst[start+gcmKeyIDLen:]
	if _, err := rand.Read(nonce); err != nil {
		return dst[:start], fmt.Errorf("transform: aes-gcm: nonce: %w", err)
	}
	return aead.Seal(dst, nonce, src, aad), nil
}

// Revert implements Transformer.
func (a *AESGCM) Revert(dst, src, aad []byte) ([]byte, error) {
	if len(src) < GCMOverhead {
		return dst, fmt.Errorf("%w: aes-gcm: %d bytes is shorter than a sealed value", ErrCorrupt, len(src))
	}
	id := binary.BigEndian.Uint32(src)
	aead, ok := a.ring.Load().aeads[id]
	if !ok {
		return dst, fmt.Errorf("%w: aes-gcm: key id %d", ErrUnknownKey, id)
	}
	out, err := aead.Open(dst, src[gcmKeyIDLen:gcmKeyIDLen+gcmNonceLen], src[gcmKeyIDLen+gcmNonceLen:], aad)
	if err != nil {
		return dst, fmt.Errorf("%w: aes-gcm: key id %d", ErrAuthentication, id)
	}
	return out, nil
}
