// Package flight runs at most one load per key at a time, shared by every
// caller that asks for the key meanwhile, in the manner of singleflight but
// safe for contexts: the load runs detached from any one caller, under its
// own deadline, so a caller that gives up (its context ends) leaves alone,
// and neither fails nor cancels the others.
package flight

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// PanicError is the error every waiter gets when the load panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("flight: load panicked: %v", e.Value) }

// Group deduplicates loads by key. Its zero value is not usable; use New.
type Group[K comparable, V any] struct {
	mu      sync.Mutex
	calls   map[K]*call[V]
	root    context.Context // cancelled by Close
	stop    context.CancelFunc
	active  sync.WaitGroup
	running atomic.Int64 // calls in the map, so Touch can skip the lock
}

type call[V any] struct {
	done    chan struct{}
	val     V
	err     error
	touched atomic.Bool  // the key was written while this load ran
	joiners atomic.Int32 // callers that joined rather than started it
}

// touchedKey carries a running load's touched flag in its context.
type touchedKey struct{}

// Overtaken reports whether the key being loaded under ctx was written
// (Touch) since the load started, in which case the load must not write
// its value over the newer one.
func Overtaken(ctx context.Context) bool {
	t, ok := ctx.Value(touchedKey{}).(*atomic.Bool)
	return ok && t.Load()
}

// Touch marks a running load of key as overtaken by a write. It costs one
// atomic load when no load is running.
func (g *Group[K, V]) Touch(key K) {
	if g.running.Load() == 0 {
		return
	}
	g.mu.Lock()
	if c, ok := g.calls[key]; ok {
		c.touched.Store(true)
	}
	g.mu.Unlock()
}

// New returns a group whose loads are cancelled and waited for by Close.
func New[K comparable, V any]() *Group[K, V] {
	root, stop := context.WithCancel(context.Background())
	return &Group[K, V]{calls: map[K]*call[V]{}, root: root, stop: stop}
}

// Do returns the result of load for key, starting it unless a load of key
// is already running, in which case it waits for that one. The load runs
// with the first caller's context values but not its cancellation, bounded
// by timeout and by Close. Each caller waits only as long as its own ctx.
// shared reports whether the result came from a load another caller started.
func (g *Group[K, V]) Do(ctx context.Context, key K, timeout time.Duration, load func(context.Context) (V, error)) (v V, shared bool, err error) {
	g.mu.Lock()
	c, running := g.calls[key]
	if !running {
		if err := g.root.Err(); err != nil {
			g.mu.Unlock()
			return v, false, err
		}
		c = &call[V]{done: make(chan struct{})}
		g.calls[key] = c
		g.running.Add(1)
		g.active.Add(1)
		go g.run(ctx, key, c, timeout, load)
	} else {
		c.joiners.Add(1)
	}
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.val, running, c.err
	case <-ctx.Done():
		return v, running, ctx.Err()
	}
}

func (g *Group[K, V]) run(caller context.Context, key K, c *call[V], timeout time.Duration, load func(context.Context) (V, error)) {
	defer g.active.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(caller), timeout)
	stopOnClose := context.AfterFunc(g.root, cancel)
	defer func() {
		stopOnClose()
		cancel()
		if r := recover(); r != nil {
			c.err = &PanicError{Value: r, Stack: debug.Stack()}
		}
		g.mu.Lock()
		delete(g.calls, key)
		g.running.Add(-1)
		g.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = load(context.WithValue(ctx, touchedKey{}, &c.touched))
}

// Close cancels running loads and waits for them to return. Do fails after
// Close.
func (g *Group[K, V]) Close() {
	g.mu.Lock() // no load may start between the stop and the wait
	g.stop()
	g.mu.Unlock()
	g.active.Wait()
}

// Start runs load for key in the background unless a load of key is
// already running, and returns at once. Callers of Do for key meanwhile
// join it.
func (g *Group[K, V]) Start(ctx context.Context, key K, timeout time.Duration, load func(context.Context) (V, error)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, running := g.calls[key]; running || g.root.Err() != nil {
		return
	}
	c := &call[V]{done: make(chan struct{})}
	g.calls[key] = c
	g.running.Add(1)
	g.active.Add(1)
	go g.run(ctx, key, c, timeout, load)
}

// DoMany returns results for keys: keys already loading are waited for, the
// others are claimed and loaded by one call of loadMany in the background,
// which Do callers of those keys meanwhile join. A key that loadMany leaves
// out of its map gets missing as its error. Each result's error is per key;
// the returned error is the caller's context's, when it ends first.
func (g *Group[K, V]) DoMany(ctx context.Context, keys []K, timeout time.Duration, missing error, loadMany func(context.Context, []K) (map[K]V, error)) (map[K]V, map[K]error, error) {
	calls := make(map[K]*call[V], len(keys))
	var owned []K
	g.mu.Lock()
	if err := g.root.Err(); err != nil {
		g.mu.Unlock()
		return nil, nil, err
	}
	for _, k := range keys {
		if _, seen := calls[k]; seen {
			continue
		}
		c, running := g.calls[k]
		if !running {
			c = &call[V]{done: make(chan struct{})}
			g.calls[k] = c
			g.running.Add(1)
			owned = append(owned, k)
		} else {
			c.joiners.Add(1)
		}
		calls[k] = c
	}
	if len(owned) > 0 {
		g.active.Add(1)
		go g.runMany(ctx, owned, calls, timeout, missing, loadMany)
	}
	g.mu.Unlock()
	values := make(map[K]V, len(calls))
	errs := map[K]error{}
	for k, c := range calls {
		select {
		case <-c.done:
		case <-ctx.Done():
			return values, errs, ctx.Err()
		}
		if c.err != nil {
			errs[k] = c.err
		} else {
			values[k] = c.val
		}
	}
	return values, errs, nil
}

func (g *Group[K, V]) runMany(caller context.Context, owned []K, calls map[K]*call[V], timeout time.Duration, missing error, loadMany func(context.Context, []K) (map[K]V, error)) {
	defer g.active.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(caller), timeout)
	stopOnClose := context.AfterFunc(g.root, cancel)
	var values map[K]V
	var err error
	defer func() {
		stopOnClose()
		cancel()
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
		g.mu.Lock()
		for _, k := range owned {
			c := calls[k]
			switch v, ok := values[k]; {
			case err != nil:
				c.err = err
			case ok:
				c.val = v
			default:
				c.err = missing
			}
			delete(g.calls, k)
			g.running.Add(-1)
			close(c.done)
		}
		g.mu.Unlock()
	}()
	values, err = loadMany(ctx, owned)
}
