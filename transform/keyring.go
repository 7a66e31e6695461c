package transform

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"slices"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

// Key is one AES-256 key and the id entries sealed with it carry. Ids are
// how a reader finds the key again, so an id, once used, must keep naming
// the same secret for as long as entries sealed with it may live.
type Key struct {
	ID     uint32 // non-zero
	Secret []byte // KeySize random bytes
}

// Keyring is an immutable set of keys: the current one seals new entries,
// and all of them open entries. Rotating is building a new keyring (see
// AESGCM.SetKeyring).
type Keyring struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
}

// NewKeyring returns a keyring that seals with current and opens entries
// sealed with current or with any of others: older keys whose entries may
// still be stored, or a next key that other processes may already seal with.
// It fails with ErrInvalidKey on an id of zero, an id given twice, or a
// secret that is not KeySize bytes. The secrets are not retained.
func NewKeyring(current Key, others ...Key) (*Keyring, error) {
	kr := &Keyring{current: current.ID, aeads: make(map[uint32]cipher.AEAD, 1+len(others))}
	for _, k := range append([]Key{current}, others...) {
		if k.ID == 0 {
			return nil, fmt.Errorf("%w: key id 0 is never assigned", ErrInvalidKey)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes; AES-256 needs %d", ErrInvalidKey, k.ID, len(k.Secret), KeySize)
		}
		if _, dup := kr.aeads[k.ID]; dup {
			return nil, fmt.Errorf("%w: key id %d is given twice", ErrInvalidKey, k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrInvalidKey, k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrInvalidKey, k.ID, err)
		}
		kr.aeads[k.ID] = aead
	}
	return kr, nil
}

// Current is the id of the key new entries are sealed with.
func (kr *Keyring) Current() uint32 { return kr.current }

// IDs lists the ids of every key the keyring opens entries with, sorted.
func (kr *Keyring) IDs() []uint32 {
	ids := make([]uint32, 0, len(kr.aeads))
	for id := range kr.aeads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
