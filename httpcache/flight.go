package httpcache

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// flightTTL is how long the outcome of a coordinated origin request stays
// readable under its flight key, for the waiters of other processes: long
// enough for any of them to be woken and read it. A stored response that
// has no freshness left is kept that long too, for the same readers.
const flightTTL = 5 * time.Second

// flight is an origin request of this process, or a wait for one another
// process runs, for one flight key. Requests of this process for the same
// key join it; its outcome is set before done is closed.
type flight struct {
	done chan struct{}
	rec  *record // the response, when the waiters may use it
	err  error   // otherwise: an *originError or a *notSharedError
	// status is what the origin answered, when this process asked: 304
	// for a validation that freshened rec.
	status int

	// slot is the request that started the flight, while it waits to be
	// told to run the origin request itself; nil for background flights.
	mu   sync.Mutex
	slot *leaderSlot
}

// leaderSlot hands the origin request to the request that started the
// flight, so that the origin's answer streams to that client as it comes,
// on the client's own goroutine.
type leaderSlot struct {
	elected chan *election // buffered: the loader never blocks on it
	taken   bool           // an election was handed over
	gone    bool           // the request left before one was
}

// election is the order to run an origin request, and where its exchange
// goes back to the loader.
type election struct {
	req         *http.Request
	conditional bool
	done        chan exchange // buffered
	// answered is set when the origin's response fields have arrived: an
	// origin request that outlives OriginTimeout after that is slow, not
	// failed.
	answered atomic.Bool
}

// join returns the flight running for fk in this process, or registers a
// new one (started == true), which the caller must start. After Close it
// returns nil.
func (c *Cache) join(fk string, withSlot bool) (f *flight, started bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil, false
	}
	if f, ok := c.flights[fk]; ok {
		return f, false
	}
	c.active.Add(1) // under mu: Close cannot be waiting yet
	f = &flight{done: make(chan struct{})}
	if withSlot {
		f.slot = &leaderSlot{elected: make(chan *election, 1)}
	}
	c.flights[fk] = f
	return f, true
}

// leave is called by the request that started f when its client goes away
// before the flight is done: an origin request already handed to it is
// handed back, so that the loader runs it itself.
func (f *flight) leave() {
	f.mu.Lock()
	f.slot.gone = true
	f.mu.Unlock()
	select {
	case el := <-f.slot.elected:
		el.done <- exchange{leaderGone: true}
	default:
	}
}

// errTimeout is an origin request that took longer than OriginTimeout.
var errTimeout = errors.New("no response within OriginTimeout")

// flightLoad is what the loader of a flight found, handed to the flight's
// goroutine, which may stop waiting for it before it is done.
type flightLoad struct {
	rec    *record
	key    string // where rec was stored; "" when it was not
	err    error
	status int // the origin's status, 0 when it was not asked
}

// start runs f in the background: one coordinated origin request for the
// fleet (this process's loader runs only when elected; otherwise it waits
// for the elected one's outcome), whose outcome f's waiters share.
func (c *Cache) start(f *flight, fk string, q *request, stale *record, next http.Handler) {
	go func() {
		defer c.active.Done()
		defer c.finish(fk, f)
		ctx, cancel := context.WithCancel(context.WithoutCancel(q.r.Context()))
		defer cancel()
		defer context.AfterFunc(c.root, cancel)()
		var l flightLoad // set by the loader, when it runs here
		ref, here, err := c.store.coalesce(ctx, fk, flightTTL, []string{purgeTag, bucketTag(q.key)}, func(lctx context.Context) (flightRef, error) {
			l = c.load(lctx, f, q, stale, next)
			return flightRef{Key: l.key}, l.err
		})
		if here { // elected here: the outcome is this process's own
			f.rec, f.err, f.status = l.rec, l.err, l.status
			if l.key != "" && !c.store.landed(ctx, fk) {
				// An invalidation of its URL, or a purge, ran while the
				// origin request did: what it stored may predate it.
				_ = c.store.remove(ctx, l.key)
			}
			return
		}
		if err != nil {
			f.err = err
			return
		}
		rec, ok, gerr := c.store.get(ctx, ref.Key)
		if gerr != nil || !ok || rec.Spec {
			f.err = &notSharedError{why: "the response is no longer stored"}
			return
		}
		f.rec = &rec
	}()
}

// finish publishes f's outcome and removes it from the running flights.
func (c *Cache) finish(fk string, f *flight) {
	c.mu.Lock()
	delete(c.flights, fk)
	c.mu.Unlock()
	close(f.done)
}

// load is the loader of a flight, run when this process is elected to make
// the fleet's origin request: it looks once more (a response may have been
// stored since), then has the request sent and keeps what came back.
func (c *Cache) load(ctx context.Context, f *flight, q *request, stale *record, next http.Handler) flightLoad {
	if rec, key, ok := c.secondLook(ctx, q, stale); ok {
		return flightLoad{rec: rec, key: key}
	}
	ex := c.runOrigin(ctx, f, q, stale, next)
	rec, key, err := c.absorb(ctx, q, ex, stale)
	return flightLoad{rec: rec, key: key, err: err, status: ex.status}
}

// secondLook returns a fresh response stored under q's key since stale was
// read, if there is one.
func (c *Cache) secondLook(ctx context.Context, q *request, stale *record) (*record, string, bool) {
	rec, key, _, err := c.lookup(ctx, q)
	if err != nil || rec == nil || rec.identity() == stale.identity() || rec.NoCache || !rec.fresh(c.now()) {
		return nil, "", false
	}
	return rec, key, true
}

// runOrigin has the origin request of a flight sent: by the request that
// started the flight when it is still there, so that its client receives
// the response as it arrives, else here, for the store and the waiters.
func (c *Cache) runOrigin(ctx context.Context, f *flight, q *request, stale *record, next http.Handler) exchange {
	out, conditional := originRequest(context.WithoutCancel(q.r.Context()), q.r, stale)
	f.mu.Lock()
	if f.slot != nil && !f.slot.gone {
		el := &election{req: out, conditional: conditional, done: make(chan exchange, 1)}
		f.slot.taken = true
		f.slot.elected <- el
		f.mu.Unlock()
		select {
		case ex := <-el.done:
			if !ex.leaderGone {
				return ex
			}
		case <-ctx.Done():
			if el.answered.Load() {
				return exchange{slow: true}
			}
			return exchange{failure: errTimeout}
		}
	} else {
		f.mu.Unlock()
	}
	return c.fetch(fetchSpec{next: next, req: out.WithContext(ctx), conditional: conditional, decide: func(t *tee) plan {
		return plan{keep: c.worthKeeping(q, t)}
	}})
}
