package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/valcache/valcache/driver"
)

// maxSwapAttempts bounds the compare-and-swap retries of one update on a
// provider without FieldStore.
const maxSwapAttempts = 50

// ErrConflict is returned when an update on a provider without
// FieldStore lost its compare-and-swap race 50 times in a row.
var ErrConflict = errors.New("session: too many concurrent writers of one session")

// fieldsFor picks how sessions are kept on p: its FieldStore, else one
// value per session merged by compare-and-swap.
func fieldsFor(p driver.Provider) (FieldStore, error) {
	if fs, ok := driver.Find[FieldStore](p); ok {
		return fs, nil
	}
	if sw, ok := p.(driver.Swapper); ok {
		return swapFields{p: p, sw: sw}, nil
	}
	return nil, fmt.Errorf("session: the provider has neither a FieldStore nor driver.Swapper: %w", driver.ErrNotSupported)
}

// swapFields keeps a field entry as one encoded value: each update reads
// it, applies its own changes only, and swaps it in if nobody wrote in
// between, retrying otherwise. So concurrent writers of different fields
// all land, as with a real FieldStore.
type swapFields struct {
	p  driver.Provider
	sw driver.Swapper
}

func (s swapFields) GetFields(ctx context.Context, key driver.Key) (map[string][]byte, bool, error) {
	b, found, err := s.p.Get(ctx, key)
	if err != nil || !found {
		return nil, false, err
	}
	m, ok := decodeFields(b)
	if !ok { // not a session this package wrote: treat as absent
		return nil, false, nil
	}
	return m, true, nil
}

func (s swapFields) UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (bool, error) {
	for attempt := 0; attempt < maxSwapAttempts; attempt++ {
		old, found, err := s.p.Get(ctx, key)
		if err != nil {
			return false, err
		}
		cur := map[string][]byte{}
		if found {
			if m, ok := decodeFields(old); ok {
				cur = m
			} else {
				found = false
			}
		}
		if !found {
			if !create {
				return false, nil
			}
			old = nil
		}
		maps.Copy(cur, set)
		for _, k := range del {
			delete(cur, k)
		}
		var next []byte
		if len(cur) > 0 {
			next = encodeFields(cur)
		}
		if old == nil && next == nil {
			return true, nil
		}
		ok, err := s.sw.CompareAndSwap(ctx, key, old, next, ttl, false)
		if err != nil || ok {
			return ok, err
		}
		select { // another writer came first: look again after a short pause
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5)))):
		}
	}
	return false, ErrConflict
}

// encodeFields writes a count, then each name and value with its length,
// all as uvarints.
func encodeFields(m map[string][]byte) []byte {
	b := binary.AppendUvarint(nil, uint64(len(m)))
	for k, v := range m {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// decodeFields reverses encodeFields; malformed input is false, never a
// panic.
func decodeFields(b []byte) (map[string][]byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return nil, false
	}
	b = b[w:]
	m := make(map[string][]byte, n)
	next := func() ([]byte, bool) {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) {
			return nil, false
		}
		out := b[w : w+int(l)]
		b = b[w+int(l):]
		return out, true
	}
	for range n {
		k, ok := next()
		if !ok {
			return nil, false
		}
		v, ok := next()
		if !ok {
			return nil, false
		}
		m[string(k)] = append([]byte{}, v...)
	}
	return m, len(b) == 0
}
