package valkeystore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/valkeystore"
)

// A fencing counter lost to eviction, a flush or a failover must not make
// fences repeat: the next number is above every one handed out before.
func TestFenceStaysAboveAfterTheCounterIsLost(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t)})
		c := p.Client()
		k := driver.Key{Namespace: "fence-" + strconv.FormatInt(time.Now().UnixNano(), 36), ID: "job"}
		acquire := func(token string) uint64 {
			t.Helper()
			f, ok, err := p.AcquireLock(t.Context(), k, token, time.Minute)
			if err != nil || !ok {
				t.Fatalf("AcquireLock = %v %v", ok, err)
			}
			if ok, err := p.ReleaseLock(t.Context(), k, token); err != nil || !ok {
				t.Fatalf("ReleaseLock = %v %v", ok, err)
			}
			return f
		}
		before := acquire("a")
		before = max(before, acquire("b"))
		if err := c.Do(t.Context(), c.B().Del().Key(p.FenceKeyName(k)).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		// The guarantee holds once the server's clock has moved past the
		// last number, which it has unless it went back.
		deadline := time.Now().Add(5 * time.Second)
		for {
			tm, err := c.Do(t.Context(), c.B().Time().Build()).AsStrSlice()
			if err != nil || len(tm) != 2 {
				t.Fatalf("TIME = %v %v", tm, err)
			}
			sec, _ := strconv.ParseUint(tm[0], 10, 64)
			usec, _ := strconv.ParseUint(tm[1], 10, 64)
			if sec*1_000_000+usec > before {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server clock stays at or below fence %d", before)
			}
			time.Sleep(time.Millisecond)
		}
		if after := acquire("c"); after <= before {
			t.Fatalf("fence %d after the counter was lost, not above the %d handed out before", after, before)
		}

		// A counter ahead of the clock keeps counting by one.
		ahead := uint64(time.Now().Add(24*time.Hour).UnixMicro()) + 1000
		if err := c.Do(t.Context(), c.B().Set().Key(p.FenceKeyName(k)).Value(strconv.FormatUint(ahead, 10)).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		if f := acquire("d"); f != ahead+1 {
			t.Fatalf("fence %d from a counter at %d, want %d", f, ahead, ahead+1)
		}
		if f := acquire("e"); f != ahead+2 {
			t.Fatalf("fence %d next, want %d", f, ahead+2)
		}
	})
}
