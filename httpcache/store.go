package httpcache

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// store is everything the handler asks of valcache, in one place: stored
// responses in one cache, and the coordination of origin requests in a
// second. Nothing else in this package names a valcache.Cache method.
type store struct {
	responses *valcache.Cache[string, record]
	flights   *valcache.Cache[string, flightRef]
}

// flightRef is the value of a coordinated origin request: where its
// response was stored. Waiters in other processes read the response from
// there; the flight entry itself stays small.
type flightRef struct {
	Key string `json:"k"`
}

func openStore(p driver.Provider, cfg Config) (*store, error) {
	responses, err := valcache.New(p, valcache.Options[string, record]{
		Namespace: cfg.Namespace,
		Weigher:   func(_ string, r record) uint32 { return r.weight() },
		Observer:  cfg.Observer,
		Logger:    cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	flights, err := valcache.New(p, valcache.Options[string, flightRef]{
		Namespace:   cfg.Namespace + ":flight",
		LoadTimeout: cfg.OriginTimeout,
		Observer:    cfg.Observer,
		Logger:      cfg.Logger,
	})
	if err != nil {
		_ = responses.Close()
		return nil, err
	}
	return &store{responses: responses, flights: flights}, nil
}

// get reads a stored record; a miss is found == false with a nil error.
func (s *store) get(ctx context.Context, key string) (record, bool, error) {
	return s.responses.GetIfPresent(ctx, key)
}

// put stores rec under key for ttl with tags, stamped when it is written.
func (s *store) put(ctx context.Context, key string, rec record, ttl time.Duration, tags []string) error {
	return s.responses.SetWith(ctx, key, rec, valcache.SetOptions{TTL: ttl, Tags: tags})
}

// remove deletes a stored record.
func (s *store) remove(ctx context.Context, key string) error {
	return s.responses.Delete(ctx, key)
}

// invalidate makes every record stored with any of tags a miss, in every
// process, in one write per tag.
func (s *store) invalidate(ctx context.Context, tags ...string) error {
	return s.responses.InvalidateTags(ctx, tags...)
}

// coalesce runs load once for fk across every process sharing the store
// and returns its value to all of them; the value is kept for ttl. Tags are
// stamped before load runs, so that invalidating one of them while it runs
// makes its value a miss (see landed). here reports that load ran, and returned, in
// this call, rather than another process's or another request's. A failure of
// load in another process comes back as the error it was (see
// classifyReason).
func (s *store) coalesce(ctx context.Context, fk string, ttl time.Duration, tags []string, load func(context.Context) (flightRef, error)) (ref flightRef, here bool, err error) {
	r, err := s.flights.Fetch(ctx, fk, func(ctx context.Context, _ string) (flightRef, error) { return load(ctx) },
		valcache.LoadOptions{TTL: ttl, Tags: tags})
	var lf *driver.LoadFailedError
	if errors.As(err, &lf) {
		return r.Value, r.Loaded, classifyReason(lf.Reason)
	}
	return r.Value, r.Loaded, err
}

// landed reports whether the value of a coordinated load of fk is still
// current: not invalidated (by its tags) or deleted since the load began.
func (s *store) landed(ctx context.Context, fk string) bool {
	_, ok, err := s.flights.GetIfPresent(ctx, fk)
	return ok && err == nil
}

// invalidateFlights invalidates coordinated loads by their tags, running
// ones included.
func (s *store) invalidateFlights(ctx context.Context, tags ...string) error {
	return s.flights.InvalidateTags(ctx, tags...)
}

// stats returns the counters of both caches.
func (s *store) stats() (responses, flights valcache.Stats) {
	return s.responses.Stats(), s.flights.Stats()
}

// close cancels the coordinated loads of this process, waits for them, and
// ends both caches. The provider stays open.
func (s *store) close() error {
	return errors.Join(s.flights.Close(), s.responses.Close())
}
