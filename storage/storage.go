package storage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
)

// DefaultPrefix is the prefix of a Storage whose Options set none.
const DefaultPrefix = "storage"

// NoExpiry asks Set to keep a value until it is deleted or evicted. A zero
// TTL means the storage's default, Options.TTL, as zero means the default
// of what is written to everywhere in valcache. With no Options.TTL set,
// values written with a zero TTL do not expire either: set Options.TTL to
// bound them. The Fiber adapter maps Fiber's 0, which means no expiry
// there, to NoExpiry explicitly.
const NoExpiry = driver.NoExpiry

var (
	// ErrEmptyKey is returned for an empty key.
	ErrEmptyKey = errors.New("storage: empty key")
	// ErrClosed is returned by calls made after Close. It matches
	// driver.ErrClosed, so errors.Is works against either.
	ErrClosed = fmt.Errorf("storage: %w", driver.ErrClosed)
	// ErrInvalidOptions is wrapped by every error New returns for a nil
	// provider or bad Options.
	ErrInvalidOptions = errors.New("storage: invalid options")
)

// Storage is the byte store middlewares use.
//
// Get reports a missing or expired key as found == false with a nil error;
// an error means the store could not answer. Set takes a TTL that is
// positive, NoExpiry, or zero for the storage's default (Options.TTL; with
// none set, a value written with zero does not expire); other negative
// TTLs are driver.ErrInvalidTTL. Reset removes every key of this storage and
// nothing else. Every call honours ctx.
type Storage interface {
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key string) error
	Reset(ctx context.Context) error
	Close() error
}

// Options configures New.
type Options struct {
	// Prefix is the provider namespace the storage keeps its keys in. Empty
	// means DefaultPrefix.
	Prefix string

	// CloseProvider makes Close close the provider too. Leave it off when
	// the provider is shared (a registry's storages share theirs, and the
	// registry closes them).
	CloseProvider bool

	// TTL is the lifetime of values Set with a zero TTL. Zero means none:
	// such values are kept until deleted or evicted (NoExpiry).
	TTL time.Duration
}

// ProviderStorage is the Storage over a driver.Provider.
type ProviderStorage struct {
	p      driver.Provider
	ns     string
	owns   bool
	ttl    time.Duration // for a zero TTL: positive or NoExpiry
	closed atomic.Bool
}

var _ Storage = (*ProviderStorage)(nil)

// New returns a Storage keeping its keys in p under opts.Prefix. A nil p,
// or an opts.TTL that is negative but not NoExpiry, is ErrInvalidOptions.
func New(p driver.Provider, opts Options) (*ProviderStorage, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil provider", ErrInvalidOptions)
	}
	if opts.TTL < 0 && opts.TTL != NoExpiry {
		return nil, fmt.Errorf("%w: TTL %v (positive, zero for none, or NoExpiry)", ErrInvalidOptions, opts.TTL)
	}
	ns := opts.Prefix
	if ns == "" {
		ns = DefaultPrefix
	}
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = NoExpiry
	}
	return &ProviderStorage{p: p, ns: ns, owns: opts.CloseProvider, ttl: ttl}, nil
}

// Prefix returns the namespace the storage keeps its keys in.
func (s *ProviderStorage) Prefix() string { return s.ns }

// Provider returns the provider underneath, for capabilities (driver.Scanner,
// session.FieldStore) that this interface does not cover.
func (s *ProviderStorage) Provider() driver.Provider { return s.p }

func (s *ProviderStorage) key(k string) (driver.Key, error) {
	if s.closed.Load() {
		return driver.Key{}, ErrClosed
	}
	if k == "" {
		return driver.Key{}, ErrEmptyKey
	}
	return driver.Key{Namespace: s.ns, ID: k}, nil
}

// Get implements Storage.
func (s *ProviderStorage) Get(ctx context.Context, key string) ([]byte, bool, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, false, err
	}
	v, found, err := s.p.Get(ctx, k)
	if err != nil {
		return nil, false, fmt.Errorf("storage: get %q: %w", key, err)
	}
	return v, found, nil
}

// Set implements Storage.
func (s *ProviderStorage) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if ttl == 0 {
		ttl = s.ttl
	}
	if err := s.p.Set(ctx, k, value, ttl); err != nil {
		return fmt.Errorf("storage: set %q: %w", key, err)
	}
	return nil
}

// Delete implements Storage. Deleting a missing key is not an error.
func (s *ProviderStorage) Delete(ctx context.Context, key string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if err := s.p.Delete(ctx, k); err != nil {
		return fmt.Errorf("storage: delete %q: %w", key, err)
	}
	return nil
}

// Reset implements Storage: it clears the storage's namespace. On Valkey
// that is a SCAN over every primary, so it costs time in proportion to the
// database, not to the storage.
func (s *ProviderStorage) Reset(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.p.Clear(ctx, s.ns); err != nil {
		return fmt.Errorf("storage: reset %q: %w", s.ns, err)
	}
	return nil
}

// Close makes later calls fail with ErrClosed, and closes the provider when
// Options.CloseProvider was set. It is safe to call more than once.
func (s *ProviderStorage) Close() error {
	if s.closed.Swap(true) || !s.owns {
		return nil
	}
	return s.p.Close()
}
