package memory_test

import (
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
)

// A provider started again (a restarted process) has no counters, yet must
// hand out fences above those of the one before, which a resource may have
// remembered.
func TestFencesOfANewProviderAreAboveTheOldOnes(t *testing.T) {
	k := driver.Key{Namespace: "jobs", ID: "nightly"}
	acquire := func(p *memory.Provider, token string) uint64 {
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
	open := func() *memory.Provider {
		p, err := memory.New(memory.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	}
	first := open()
	last := uint64(0)
	for i := range 100 { // strictly increasing, even within one microsecond
		f := acquire(first, "a")
		if f <= last {
			t.Fatalf("acquisition %d: fence %d after %d", i, f, last)
		}
		last = f
	}
	_ = first.Close()
	// The guarantee holds once the clock has moved past the last number.
	deadline := time.Now().Add(5 * time.Second)
	for uint64(time.Now().UnixMicro()) <= last {
		if time.Now().After(deadline) {
			t.Fatalf("the clock stays at or below fence %d", last)
		}
		time.Sleep(time.Millisecond)
	}
	if f := acquire(open(), "b"); f <= last {
		t.Fatalf("fence %d from a new provider, not above the old one's %d", f, last)
	}
}
