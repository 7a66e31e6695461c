package cachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
)

var driverCases = []testCase{
	{"GetMissingIsMissNotError", func(t *testing.T, p driver.Provider, _ Harness) {
		wantMiss(t, p, driver.Key{Namespace: namespace(t), ID: "absent"})
	}},
	{"SetThenGetRoundTripsBytes", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		for i, v := range [][]byte{[]byte("hello"), {0, 1, 2, 0, 255}, {}, bytes.Repeat([]byte("x"), 64<<10)} {
			k := driver.Key{Namespace: ns, ID: fmt.Sprint(i)}
			mustSet(t, p, k, v, time.Minute)
			wantValue(t, p, k, v)
		}
	}},
	{"SetReplacesValue", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("one"), time.Minute)
		mustSet(t, p, k, []byte("two"), time.Minute)
		wantValue(t, p, k, []byte("two"))
	}},
	{"ValuesAreNotShared", func(t *testing.T, p driver.Provider, _ Harness) {
		// The caller may reuse the buffer it passed to Set, and owns the
		// slice Get returns: neither may alias the stored value.
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		buf := []byte("original")
		mustSet(t, p, k, buf, time.Minute)
		copy(buf, "XXXXXXXX")
		got, _, err := p.Get(ctxFor(t), k)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			got[0] = 'Y'
		}
		wantValue(t, p, k, []byte("original"))
	}},
	{"DeleteRemovesAndToleratesMissing", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("v"), time.Minute)
		if err := p.Delete(ctxFor(t), k); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantMiss(t, p, k)
		if err := p.Delete(ctxFor(t), k); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	}},
	{"RejectsZeroAndNegativeTTL", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		for _, ttl := range []time.Duration{0, -2 * time.Second} {
			if err := p.Set(ctxFor(t), k, []byte("v"), ttl); !errors.Is(err, driver.ErrInvalidTTL) {
				t.Fatalf("Set with TTL %v: got %v, want ErrInvalidTTL", ttl, err)
			}
		}
		wantMiss(t, p, k)
	}},
	{"SubSecondTTLExpiresOnTime", func(t *testing.T, p driver.Provider, _ Harness) {
		// A store with one-second resolution would keep this entry for a
		// whole second (or reject it); 250 ms must mean 250 ms.
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("v"), 250*time.Millisecond)
		wantValue(t, p, k, []byte("v"))
		if took := untilMiss(t, p, k, 900*time.Millisecond); took < 150*time.Millisecond {
			t.Fatalf("entry with a 250ms TTL expired after only %v", took)
		}
	}},
	{"SubMillisecondTTLStillExpires", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("v"), 300*time.Microsecond)
		untilMiss(t, p, k, 500*time.Millisecond)
	}},
	{"NoExpiryKeepsEntry", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("v"), driver.NoExpiry)
		time.Sleep(50 * time.Millisecond)
		wantValue(t, p, k, []byte("v"))
		if err := p.Delete(ctxFor(t), k); err != nil {
			t.Fatal(err)
		}
	}},
	{"SetRestartsTTL", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("short"), 200*time.Millisecond)
		mustSet(t, p, k, []byte("long"), time.Minute)
		time.Sleep(400 * time.Millisecond)
		wantValue(t, p, k, []byte("long"))
	}},
	{"KeysWithSpecialCharactersDoNotCollide", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		// Pairs chosen so that naive joining ("ns:id") or naive hash tags
		// would map two of them to one stored key.
		keys := []driver.Key{
			{Namespace: ns, ID: "a:b"}, {Namespace: ns + ":a", ID: "b"},
			{Namespace: ns, ID: "{a}"}, {Namespace: ns, ID: "a"}, {Namespace: ns, ID: "%7Ba%7D"},
			{Namespace: ns, ID: "}"}, {Namespace: ns, ID: "{"}, {Namespace: ns, ID: "%"},
			{Namespace: ns, ID: ""}, {Namespace: ns, ID: "*"}, {Namespace: ns, ID: "x y\n\tž"},
			{Namespace: ns + "{", ID: "a"}, {Namespace: ns + "}", ID: "a"}, {Namespace: ns, ID: "a}:lock"},
		}
		for i, k := range keys {
			mustSet(t, p, k, []byte(fmt.Sprint(i)), time.Minute)
		}
		for i, k := range keys {
			wantValue(t, p, k, []byte(fmt.Sprint(i)))
		}
		for _, k := range keys[1:] {
			if err := p.Delete(ctxFor(t), k); err != nil {
				t.Fatal(err)
			}
		}
		wantValue(t, p, keys[0], []byte("0"))
	}},
	{"ClearRemovesOnlyItsNamespace", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		victim := []driver.Key{{Namespace: ns, ID: "a"}, {Namespace: ns, ID: "b:c"}, {Namespace: ns, ID: "{d}"}}
		// Neighbours whose names start like the victim's, or that it starts like.
		keep := []driver.Key{{Namespace: ns + "2", ID: "a"}, {Namespace: ns + ":x", ID: "a"}, {Namespace: ns[:len(ns)-1], ID: "a"}, {Namespace: ns + "*", ID: "a"}}
		for _, k := range append(append([]driver.Key{}, victim...), keep...) {
			mustSet(t, p, k, []byte("v"), time.Minute)
		}
		if err := p.Clear(ctxFor(t), ns); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		for _, k := range victim {
			wantMiss(t, p, k)
		}
		for _, k := range keep {
			wantValue(t, p, k, []byte("v"))
		}
	}},
	{"ClearOfManyEntries", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		items := make([]driver.Item, 2500)
		for i := range items {
			items[i] = driver.Item{Key: driver.Key{Namespace: ns, ID: fmt.Sprint(i)}, Value: []byte("v"), TTL: time.Minute}
		}
		setAll(t, p, items)
		if err := p.Clear(ctxFor(t), ns); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		for _, it := range items {
			wantMiss(t, p, it.Key)
		}
	}},
	{"ValueTooLargeIsRefusedWithoutLoss", func(t *testing.T, p driver.Provider, h Harness) {
		if h.MaxValueBytes <= 0 {
			t.Skip("the harness declares no value size limit")
		}
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("kept"), time.Minute)
		err := p.Set(ctxFor(t), k, make([]byte, h.MaxValueBytes+1), time.Minute)
		if !errors.Is(err, driver.ErrValueTooLarge) {
			t.Fatalf("Set of %d bytes: got %v, want ErrValueTooLarge", h.MaxValueBytes+1, err)
		}
		var tl *driver.ValueTooLargeError
		if !errors.As(err, &tl) || tl.Size != h.MaxValueBytes+1 {
			t.Fatalf("error %v does not report the size as a *driver.ValueTooLargeError", err)
		}
		wantValue(t, p, k, []byte("kept"))
		mustSet(t, p, k, make([]byte, h.MaxValueBytes), time.Minute)
	}},
	{"CancelledContextFails", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		mustSet(t, p, k, []byte("v"), time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, found, err := p.Get(ctx, k); err == nil {
			t.Fatalf("Get with a cancelled context: no error (found=%v); a cancelled call must not look like an answer", found)
		}
		if err := p.Set(ctx, k, []byte("w"), time.Minute); err == nil {
			t.Fatal("Set with a cancelled context: no error")
		}
		wantValue(t, p, k, []byte("v"))
	}},
	{"ClosedProviderFails", func(t *testing.T, p driver.Provider, _ Harness) {
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		if err := p.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, _, err := p.Get(ctxFor(t), k); !errors.Is(err, driver.ErrClosed) {
			t.Fatalf("Get after Close: got %v, want ErrClosed", err)
		}
		if err := p.Set(ctxFor(t), k, []byte("v"), time.Minute); !errors.Is(err, driver.ErrClosed) {
			t.Fatalf("Set after Close: got %v, want ErrClosed", err)
		}
	}},
	{"ConcurrentUse", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					k := driver.Key{Namespace: ns, ID: fmt.Sprint(i % 20)}
					v := []byte(fmt.Sprintf("%d-%d", w, i))
					if err := p.Set(context.Background(), k, v, time.Minute); err != nil {
						errs <- err
						return
					}
					if _, found, err := p.Get(context.Background(), k); err != nil || !found {
						errs <- fmt.Errorf("get after own set: found=%v err=%v", found, err)
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
	}},
	{"BatchGetManyKeepsOrderAndMisses", func(t *testing.T, p driver.Provider, _ Harness) {
		bg, ok := p.(driver.BatchGetter)
		if !ok {
			t.Skip("provider has no BatchGetter; the facade falls back to Get")
		}
		ns := namespace(t)
		keys := make([]driver.Key, 1200)
		for i := range keys {
			keys[i] = driver.Key{Namespace: ns, ID: fmt.Sprintf("k%d", i)}
			if i%3 == 0 {
				continue
			}
			v := []byte(fmt.Sprint(i))
			if i%3 == 1 && i%2 == 0 {
				v = []byte{}
			}
			mustSet(t, p, keys[i], v, time.Minute)
		}
		got, err := bg.GetMany(ctxFor(t), keys)
		if err != nil {
			t.Fatalf("GetMany: %v", err)
		}
		if len(got) != len(keys) {
			t.Fatalf("GetMany returned %d slots for %d keys", len(got), len(keys))
		}
		for i, v := range got {
			switch {
			case i%3 == 0 && v != nil:
				t.Fatalf("slot %d: got %q, want nil for a miss", i, v)
			case i%3 == 1 && i%2 == 0 && (v == nil || len(v) != 0):
				t.Fatalf("slot %d: got %#v, want a non-nil empty slice for a stored empty value", i, v)
			case i%3 != 0 && !(i%3 == 1 && i%2 == 0) && string(v) != fmt.Sprint(i):
				t.Fatalf("slot %d: got %q, want %q", i, v, fmt.Sprint(i))
			}
		}
	}},
	{"BatchSetManyAndDeleteMany", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		items := make([]driver.Item, 600)
		for i := range items {
			items[i] = driver.Item{Key: driver.Key{Namespace: ns, ID: fmt.Sprintf("{%d}", i)}, Value: []byte(fmt.Sprint(i)), TTL: time.Minute}
		}
		setAll(t, p, items)
		for _, it := range items {
			wantValue(t, p, it.Key, it.Value)
		}
		keys := make([]driver.Key, len(items))
		for i, it := range items {
			keys[i] = it.Key
		}
		if bd, ok := p.(driver.BatchDeleter); ok {
			if err := bd.DeleteMany(ctxFor(t), keys); err != nil {
				t.Fatalf("DeleteMany: %v", err)
			}
		} else {
			for _, k := range keys {
				if err := p.Delete(ctxFor(t), k); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, k := range keys {
			wantMiss(t, p, k)
		}
	}},
	{"BatchSetManyReportsBadItemsAndWritesTheRest", func(t *testing.T, p driver.Provider, _ Harness) {
		bs, ok := p.(driver.BatchSetter)
		if !ok {
			t.Skip("provider has no BatchSetter; the facade falls back to Set")
		}
		ns := namespace(t)
		items := []driver.Item{
			{Key: driver.Key{Namespace: ns, ID: "good1"}, Value: []byte("1"), TTL: time.Minute},
			{Key: driver.Key{Namespace: ns, ID: "bad"}, Value: []byte("2"), TTL: 0},
			{Key: driver.Key{Namespace: ns, ID: "good2"}, Value: []byte("3"), TTL: time.Minute},
		}
		err := bs.SetMany(ctxFor(t), items)
		var be *driver.BatchError
		if !errors.As(err, &be) {
			t.Fatalf("SetMany with one bad TTL: got %v, want a *driver.BatchError", err)
		}
		if len(be.Failed) != 1 || !errors.Is(be.Failed[1], driver.ErrInvalidTTL) {
			t.Fatalf("BatchError.Failed = %v, want only index 1 with ErrInvalidTTL", be.Failed)
		}
		wantValue(t, p, items[0].Key, items[0].Value)
		wantValue(t, p, items[2].Key, items[2].Value)
		wantMiss(t, p, items[1].Key)
	}},
}

// setAll writes items through the batch path when the provider has one.
func setAll(t *testing.T, p driver.Provider, items []driver.Item) {
	t.Helper()
	if bs, ok := p.(driver.BatchSetter); ok {
		if err := bs.SetMany(ctxFor(t), items); err != nil {
			t.Fatalf("SetMany: %v", err)
		}
		return
	}
	for _, it := range items {
		mustSet(t, p, it.Key, it.Value, it.TTL)
	}
}
