package cachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/storage"
)

// StorageHarness describes the storage backend under test.
type StorageHarness struct {
	// New returns a ready Storage keeping its keys under prefix; storages
	// built with different prefixes must share one backend, so that
	// isolation between them is tested. RunStorage closes each one when its
	// case ends.
	New func(t *testing.T, prefix string) storage.Storage
}

// fiberStorage is gofiber's storage interface, method for method, so the
// kit checks the Fiber adapter against the shape Fiber's middlewares use.
type fiberStorage interface {
	Get(key string) ([]byte, error)
	Set(key string, val []byte, exp time.Duration) error
	Delete(key string) error
	Reset() error
	Close() error
}

type storageCase struct {
	name string
	run  func(t *testing.T, h StorageHarness)
}

// RunStorage runs every storage case as a subtest of t.
func RunStorage(t *testing.T, h StorageHarness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("cachetest: StorageHarness.New is nil")
	}
	for _, c := range storageCases {
		t.Run("Storage/"+c.name, func(t *testing.T) { c.run(t, h) })
	}
}

func (h StorageHarness) open(t *testing.T, prefix string) storage.Storage {
	t.Helper()
	s := h.New(t, prefix)
	if s == nil {
		t.Fatal("cachetest: StorageHarness.New returned nil")
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func wantStored(t *testing.T, s storage.Storage, key string, want []byte) {
	t.Helper()
	got, found, err := s.Get(ctxFor(t), key)
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q, found %v, err %v; want %q", key, got, found, err, want)
	}
}

func wantAbsent(t *testing.T, s storage.Storage, key string) {
	t.Helper()
	got, found, err := s.Get(ctxFor(t), key)
	if err != nil || found {
		t.Fatalf("Get(%q) = %q, found %v, err %v; want a miss", key, got, found, err)
	}
}

func mustStore(t *testing.T, s storage.Storage, key string, v []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Set(ctxFor(t), key, v, ttl); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

var storageCases = []storageCase{
	{"GetMissingIsMissNotError", func(t *testing.T, h StorageHarness) {
		wantAbsent(t, h.open(t, namespace(t)), "absent")
	}},
	{"SetThenGetRoundTripsBytes", func(t *testing.T, h StorageHarness) {
		s := h.open(t, namespace(t))
		for i, v := range [][]byte{[]byte("hello"), {0, 1, 255}, {}, bytes.Repeat([]byte("v"), 32<<10)} {
			k := fmt.Sprintf("k%d:{odd}%%", i)
			mustStore(t, s, k, v, time.Minute)
			wantStored(t, s, k, v)
		}
	}},
	{"SetReplacesAndDeleteRemoves", func(t *testing.T, h StorageHarness) {
		s := h.open(t, namespace(t))
		mustStore(t, s, "k", []byte("one"), time.Minute)
		mustStore(t, s, "k", []byte("two"), storage.NoExpiry)
		wantStored(t, s, "k", []byte("two"))
		if err := s.Delete(ctxFor(t), "k"); err != nil {
			t.Fatal(err)
		}
		wantAbsent(t, s, "k")
		if err := s.Delete(ctxFor(t), "k"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	}},
	{"ExpiryIsKeptBelowASecond", func(t *testing.T, h StorageHarness) {
		s := h.open(t, namespace(t))
		mustStore(t, s, "k", []byte("v"), 200*time.Millisecond)
		wantStored(t, s, "k", []byte("v"))
		deadline := time.Now().Add(2 * time.Second)
		for {
			if _, found, err := s.Get(ctxFor(t), "k"); err != nil {
				t.Fatal(err)
			} else if !found {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("value still present 2s after a 200ms TTL")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}},
	{"ZeroTTLMeansTheDefaultAndEmptyKeysAreRefused", func(t *testing.T, h StorageHarness) {
		s := h.open(t, namespace(t))
		// The harness's storages have the default default: no expiry.
		if err := s.Set(ctxFor(t), "k", []byte("v"), 0); err != nil {
			t.Fatalf("Set with TTL 0 (the storage's default): %v", err)
		}
		time.Sleep(300 * time.Millisecond)
		wantStored(t, s, "k", []byte("v"))
		if err := s.Set(ctxFor(t), "bad", []byte("v"), -5*time.Second); !errors.Is(err, driver.ErrInvalidTTL) {
			t.Fatalf("Set with TTL -5s: got %v, want ErrInvalidTTL", err)
		}
		wantAbsent(t, s, "bad")
		if err := s.Set(ctxFor(t), "", []byte("v"), time.Minute); !errors.Is(err, storage.ErrEmptyKey) {
			t.Fatalf("Set with an empty key: got %v, want ErrEmptyKey", err)
		}
	}},
	{"PrefixesAreIsolatedAndResetClearsOnlyItsOwn", func(t *testing.T, h StorageHarness) {
		a, b := h.open(t, namespace(t)), h.open(t, namespace(t))
		mustStore(t, a, "k", []byte("a"), time.Minute)
		mustStore(t, b, "k", []byte("b"), time.Minute)
		wantStored(t, a, "k", []byte("a"))
		wantStored(t, b, "k", []byte("b"))
		if err := a.Reset(ctxFor(t)); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		wantAbsent(t, a, "k")
		wantStored(t, b, "k", []byte("b"))
	}},
	{"CancelledContextFails", func(t *testing.T, h StorageHarness) {
		s := h.open(t, namespace(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Set(ctx, "k", []byte("v"), time.Minute); err == nil {
			t.Fatal("Set with a cancelled context succeeded")
		}
		if _, _, err := s.Get(ctx, "k"); err == nil {
			t.Fatal("Get with a cancelled context succeeded")
		}
	}},
	{"ClosedStorageFails", func(t *testing.T, h StorageHarness) {
		s := h.open(t, namespace(t))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctxFor(t), "k"); !errors.Is(err, driver.ErrClosed) {
			t.Fatalf("Get after Close: got %v, want ErrClosed", err)
		}
		if err := s.Set(ctxFor(t), "k", []byte("v"), time.Minute); !errors.Is(err, driver.ErrClosed) {
			t.Fatalf("Set after Close: got %v, want ErrClosed", err)
		}
	}},
	{"FiberShape", func(t *testing.T, h StorageHarness) {
		var f fiberStorage = storage.Fiber(h.open(t, namespace(t)), 0)
		if v, err := f.Get("absent"); v != nil || err != nil {
			t.Fatalf("Fiber Get of a missing key = %q, %v; want nil, nil", v, err)
		}
		if err := f.Set("k", []byte("forever"), 0); err != nil {
			t.Fatalf("Fiber Set with exp 0: %v", err)
		}
		if err := f.Set("short", []byte("v"), 150*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := f.Set("", []byte("v"), time.Minute); err != nil {
			t.Fatalf("Fiber Set with an empty key must be ignored, got %v", err)
		}
		if err := f.Set("empty", nil, time.Minute); err != nil {
			t.Fatalf("Fiber Set with an empty value must be ignored, got %v", err)
		}
		if v, _ := f.Get("empty"); v != nil {
			t.Fatalf("an ignored empty value was stored: %q", v)
		}
		if v, err := f.Get("k"); err != nil || string(v) != "forever" {
			t.Fatalf("Fiber Get = %q, %v", v, err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for v, _ := f.Get("short"); v != nil; v, _ = f.Get("short") {
			if time.Now().After(deadline) {
				t.Fatal("Fiber value still present 2s after a 150ms expiry")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := f.Delete("k"); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.Get("k"); v != nil {
			t.Fatalf("deleted key still readable: %q", v)
		}
		if err := f.Set("k2", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := f.Reset(); err != nil {
			t.Fatal(err)
		}
		if v, _ := f.Get("k2"); v != nil {
			t.Fatalf("key survived Reset: %q", v)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}},
}
