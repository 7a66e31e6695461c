package cachetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/session"
)

// fieldCases state the session.FieldStore contract; Run skips them for
// providers without it.
var fieldCases = []testCase{
	{"UpdateCreatesAndGetReturnsEveryField", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "s"}
		mustUpdate(t, fs, k, map[string][]byte{"a": []byte("1"), "b": {}, "c": {0, 255}}, nil, true, true)
		wantFields(t, fs, k, map[string][]byte{"a": []byte("1"), "b": {}, "c": {0, 255}})
	}},
	{"MissingEntryIsNotFound", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "absent"}
		if _, found, err := fs.GetFields(ctxFor(t), k); err != nil || found {
			t.Fatalf("GetFields of a missing entry: found %v, err %v", found, err)
		}
	}},
	{"UpdateWithoutCreateLeavesMissingEntryMissing", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "s"}
		mustUpdate(t, fs, k, map[string][]byte{"a": []byte("1")}, nil, false, false)
		if _, found, err := fs.GetFields(ctxFor(t), k); err != nil || found {
			t.Fatalf("entry appeared after an update without create: found %v, err %v", found, err)
		}
		mustUpdate(t, fs, k, map[string][]byte{"a": []byte("1")}, nil, true, true)
		if err := p.Delete(ctxFor(t), k); err != nil {
			t.Fatal(err)
		}
		mustUpdate(t, fs, k, map[string][]byte{"b": []byte("2")}, nil, false, false)
		if _, found, _ := fs.GetFields(ctxFor(t), k); found {
			t.Fatal("a deleted entry came back through an update without create")
		}
	}},
	{"UpdateTouchesOnlyNamedFields", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "s"}
		mustUpdate(t, fs, k, map[string][]byte{"a": []byte("1"), "b": []byte("2"), "c": []byte("3")}, nil, true, true)
		mustUpdate(t, fs, k, map[string][]byte{"b": []byte("two")}, []string{"c", "never-set"}, false, true)
		wantFields(t, fs, k, map[string][]byte{"a": []byte("1"), "b": []byte("two")})
	}},
	{"RemovingTheLastFieldDeletesTheEntry", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "s"}
		mustUpdate(t, fs, k, map[string][]byte{"a": []byte("1")}, nil, true, true)
		mustUpdate(t, fs, k, nil, []string{"a"}, false, true)
		if _, found, err := fs.GetFields(ctxFor(t), k); err != nil || found {
			t.Fatalf("entry with no field left: found %v, err %v", found, err)
		}
	}},
	{"UpdateSetsExpiry", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "s"}
		if _, err := fs.UpdateFields(ctxFor(t), k, map[string][]byte{"a": []byte("1")}, nil, 0, true); !errors.Is(err, driver.ErrInvalidTTL) {
			t.Fatalf("UpdateFields with TTL 0: got %v, want ErrInvalidTTL", err)
		}
		mustUpdateTTL(t, fs, k, map[string][]byte{"a": []byte("1")}, time.Second, true)
		// A later update sets a new life: the entry outlives its first TTL.
		mustUpdateTTL(t, fs, k, map[string][]byte{"b": []byte("2")}, time.Minute, false)
		time.Sleep(1300 * time.Millisecond)
		wantFields(t, fs, k, map[string][]byte{"a": []byte("1"), "b": []byte("2")})
		mustUpdateTTL(t, fs, k, map[string][]byte{"c": []byte("3")}, 150*time.Millisecond, false)
		deadline := time.Now().Add(2 * time.Second)
		for {
			_, found, err := fs.GetFields(ctxFor(t), k)
			if err != nil {
				t.Fatal(err)
			}
			if !found {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("field entry still present 2s after a 150ms TTL")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}},
	{"ConcurrentWritersOfDifferentFieldsAllLand", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "s"}
		mustUpdate(t, fs, k, map[string][]byte{"start": []byte("1")}, nil, true, true)
		const writers, rounds = 8, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					name := fmt.Sprintf("w%d-%d", w, r)
					if _, err := fs.UpdateFields(ctxFor(t), k, map[string][]byte{name: []byte(name)}, nil, time.Minute, false); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, _, err := fs.GetFields(ctxFor(t), k)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1+writers*rounds {
			t.Fatalf("%d fields after %d concurrent single-field writes, want %d", len(got), writers*rounds, 1+writers*rounds)
		}
	}},
	{"ClearRemovesFieldEntries", func(t *testing.T, p driver.Provider, _ Harness) {
		fs := backend[session.FieldStore](t, p)
		ns := namespace(t)
		k := driver.Key{Namespace: ns, ID: "s"}
		other := driver.Key{Namespace: namespace(t), ID: "s"}
		mustUpdate(t, fs, k, map[string][]byte{"a": []byte("1")}, nil, true, true)
		mustUpdate(t, fs, other, map[string][]byte{"a": []byte("1")}, nil, true, true)
		if err := p.Clear(ctxFor(t), ns); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := fs.GetFields(ctxFor(t), k); found {
			t.Fatal("field entry survived Clear of its namespace")
		}
		wantFields(t, fs, other, map[string][]byte{"a": []byte("1")})
	}},
}

func mustUpdate(t *testing.T, fs session.FieldStore, k driver.Key, set map[string][]byte, del []string, create, want bool) {
	t.Helper()
	got, err := fs.UpdateFields(ctxFor(t), k, set, del, time.Minute, create)
	if err != nil {
		t.Fatalf("UpdateFields(%+v): %v", k, err)
	}
	if got != want {
		t.Fatalf("UpdateFields(%+v, create=%v) = %v, want %v", k, create, got, want)
	}
}

func mustUpdateTTL(t *testing.T, fs session.FieldStore, k driver.Key, set map[string][]byte, ttl time.Duration, create bool) {
	t.Helper()
	if ok, err := fs.UpdateFields(ctxFor(t), k, set, nil, ttl, create); err != nil || !ok {
		t.Fatalf("UpdateFields(%+v, ttl %v): updated %v, err %v", k, ttl, ok, err)
	}
}

func wantFields(t *testing.T, fs session.FieldStore, k driver.Key, want map[string][]byte) {
	t.Helper()
	got, found, err := fs.GetFields(ctxFor(t), k)
	if err != nil || !found {
		t.Fatalf("GetFields(%+v): found %v, err %v", k, found, err)
	}
	if len(got) != len(want) {
		t.Fatalf("GetFields(%+v) = %q, want %q", k, got, want)
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || !bytes.Equal(g, v) {
			t.Fatalf("GetFields(%+v)[%q] = %q (present %v), want %q", k, name, g, ok, v)
		}
	}
}
