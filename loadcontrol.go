package valcache

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// LoadControl lets a loader decide about the entry its value becomes, from
// inside the loader, as it learns what it loaded: its TTL, tags, or that it
// is not to be cached at all. Get it with Loading. Its methods may be called
// from any goroutine while the loader runs; calls after the loader returned
// change nothing.
type LoadControl struct {
	mu      sync.Mutex
	done    bool
	ttl     time.Duration
	ttlSet  bool
	tags    []string
	noStore bool
	bad     error // a TTL no entry can have, which fails the load
}

type loadControlKey struct{}

// Loading returns the control of the load that ctx belongs to: the context
// a Loader or BulkLoader was given by Get, Fetch or GetMany. Outside a
// loader it returns nil, whose methods do nothing, so a function shared by
// loaders and other callers may call them unconditionally.
func Loading(ctx context.Context) *LoadControl {
	lc, _ := ctx.Value(loadControlKey{}).(*LoadControl)
	return lc
}

// SetTTL sets the TTL of the loaded entry, as LoadOptions.TTL does, in its
// place: zero means the cache's default and NoExpiry none. For a BulkLoader
// it applies to every value of the call. Any other negative TTL (KeepTTL
// included) fails the load with ErrInvalidTTL once the loader returns, as
// SetWith refuses it, rather than leaving the value uncached unnoticed.
func (lc *LoadControl) SetTTL(d time.Duration) {
	if lc == nil {
		return
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.done {
		return
	}
	if !askable(d) {
		lc.bad = fmt.Errorf("%w: the loader's SetTTL(%v)", ErrInvalidTTL, d)
		return
	}
	lc.ttl, lc.ttlSet = d, true
}

// AddTags adds tags to the loaded entry, besides LoadOptions.Tags. Those
// were stamped before the loader ran, so an invalidation during the load
// wins over it; the versions of tags added here are taken when the value is
// written, after the loader returned, so an invalidation of one of them
// while the loader ran does not drop the value.
func (lc *LoadControl) AddTags(tags ...string) {
	if lc == nil {
		return
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if !lc.done {
		lc.tags = append(lc.tags, tags...)
	}
}

// NoStore declines caching the loaded value: it is returned to the caller
// and to every caller waiting on the same load, but it is not written, and
// nothing stored under the key is replaced.
func (lc *LoadControl) NoStore() {
	if lc == nil {
		return
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if !lc.done {
		lc.noStore = true
	}
}

// loadChoice is what a loader decided, read once it returned.
type loadChoice struct {
	ttl     time.Duration
	ttlSet  bool
	tags    []string
	noStore bool
}

// withLoadControl gives a loader's context a control of its own.
func withLoadControl(ctx context.Context) (context.Context, *LoadControl) {
	lc := &LoadControl{}
	return context.WithValue(ctx, loadControlKey{}, lc), lc
}

// failed is the error of an invalid choice the loader made, nil when none.
func (lc *LoadControl) failed() error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.bad
}

// checkLoadTTL refuses, before anything is read or loaded, a LoadOptions.TTL
// that no entry can have.
func checkLoadTTL(ttl time.Duration) error {
	if !askable(ttl) {
		return fmt.Errorf("%w: LoadOptions.TTL %v", ErrInvalidTTL, ttl)
	}
	return nil
}

// finish ends the loader's say and returns what it decided.
func (lc *LoadControl) finish() loadChoice {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.done = true
	return loadChoice{ttl: lc.ttl, ttlSet: lc.ttlSet, tags: slices.Clone(lc.tags), noStore: lc.noStore}
}

// ttlFor is the TTL a loaded entry is written with: the loader's, else
// the one the call asked for.
func (ch loadChoice) ttlFor(asked time.Duration) time.Duration {
	if ch.ttlSet {
		return ch.ttl
	}
	return asked
}
