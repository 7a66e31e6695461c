package storage_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/storage"
)

func newMemory(t *testing.T) driver.Provider {
	t.Helper()
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// A zero TTL is the storage's default: Options.TTL, or none without one.
func TestZeroTTLIsTheStoragesDefault(t *testing.T) {
	ctx := context.Background()
	s := newStorage(t, newMemory(t), storage.Options{TTL: 150 * time.Millisecond})
	if err := s.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, found, err := s.Get(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a value set with TTL 0 outlived the storage's 150ms default by 3s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	forever := newStorage(t, newMemory(t), storage.Options{})
	if err := forever.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, found, err := forever.Get(ctx, "k"); err != nil || !found {
		t.Fatalf("without Options.TTL a zero TTL keeps the value: found=%v err=%v", found, err)
	}
}

// The Fiber adapter keeps Fiber's meaning of 0 (no expiry) whatever the
// storage's default, and lists keys as Fiber's drivers do.
func TestFiberZeroIsNoExpiryAndKeysLists(t *testing.T) {
	s := newStorage(t, newMemory(t), storage.Options{TTL: 100 * time.Millisecond})
	f := storage.Fiber(s, 0)
	if keys, err := f.Keys(); err != nil || keys != nil {
		t.Fatalf("Keys of an empty storage = %q, %v; want nil, nil", keys, err)
	}
	for _, k := range []string{"b", "a"} {
		if err := f.Set(k, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if v, err := f.Get("a"); err != nil || string(v) != "v" {
		t.Fatalf("Fiber exp 0 must not take the storage's 100ms default: %q, %v", v, err)
	}
	keys, err := f.Keys()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, string(k))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("Keys = %q, want a and b", names)
	}
	if _, err := storage.Fiber(onlyStorage{s}, 0).Keys(); !errors.Is(err, driver.ErrNotSupported) {
		t.Fatalf("Keys over a Storage that cannot list: %v, want ErrNotSupported", err)
	}
}

// onlyStorage hides everything of a Storage but the interface.
type onlyStorage struct{ storage.Storage }

// newStorage is storage.New for tests, which fail on its error.
func newStorage(t *testing.T, p driver.Provider, opts storage.Options) *storage.ProviderStorage {
	t.Helper()
	s, err := storage.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// New refuses what it cannot run with, rather than failing on first use.
func TestNewRefusesANilProviderAndANegativeTTL(t *testing.T) {
	if _, err := storage.New(nil, storage.Options{}); !errors.Is(err, storage.ErrInvalidOptions) {
		t.Fatalf("New(nil): %v, want ErrInvalidOptions", err)
	}
	if _, err := storage.New(newMemory(t), storage.Options{TTL: -time.Second}); !errors.Is(err, storage.ErrInvalidOptions) {
		t.Fatalf("New with TTL -1s: %v, want ErrInvalidOptions", err)
	}
	if _, err := storage.New(newMemory(t), storage.Options{TTL: storage.NoExpiry}); err != nil {
		t.Fatalf("New with TTL NoExpiry: %v", err)
	}
}
