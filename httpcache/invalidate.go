package httpcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// invalidateTimeout bounds the store writes of one invalidation, which
// run on a context of their own: a client that leaves must not leave its
// change half-announced.
const invalidateTimeout = 5 * time.Second

// unsafe forwards a request whose method is not safe (RFC 9111 §4: a cache
// writes them through) and, once the origin answers with a non-error
// status, invalidates the target URI and the same-origin URIs of its
// Location and Content-Location fields (§4.4), before the client sees the
// answer: a client that then reads the URI gets the changed resource.
func (c *Cache) unsafe(w http.ResponseWriter, r *http.Request, next http.Handler) {
	c.pass(w, r, next, cacheStatus{fwd: fwdMethod}, func(status int, h http.Header) {
		if status < 200 || status >= 400 {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), invalidateTimeout)
		defer cancel()
		for _, target := range invalidationTargets(r, h) {
			key, err := c.keyFor(r, target)
			if err != nil {
				continue
			}
			c.stats.invalidations.Add(1)
			if err := c.invalidateKey(ctx, key); err != nil {
				c.cfg.Logger.Warn("httpcache: cannot invalidate a URI", slog.String("url", target.String()), slog.Any("error", err))
			}
		}
	})
}

// invalidationTargets lists the URIs an unsafe request invalidates: its
// target, and Location and Content-Location when they have the target's
// origin (scheme and authority), which keeps one origin from invalidating
// another's responses.
func invalidationTargets(r *http.Request, h http.Header) []*url.URL {
	base := &url.URL{Scheme: requestScheme(r), Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	if r.URL.Host != "" {
		base.Host = r.URL.Host
	}
	targets := []*url.URL{base}
	for _, f := range []string{"Location", "Content-Location"} {
		v := h.Get(f)
		if v == "" {
			continue
		}
		u, err := base.Parse(v)
		if err != nil || normaliseURI(u.Scheme, u.Host, &url.URL{}) != normaliseURI(base.Scheme, base.Host, &url.URL{}) {
			continue
		}
		targets = append(targets, u)
	}
	return targets
}

// keyFor is the primary key of target for requests like r (same
// partition).
func (c *Cache) keyFor(r *http.Request, target *url.URL) (string, error) {
	partition := ""
	if c.cfg.Key != nil {
		rr := r.Clone(r.Context())
		rr.Method, rr.URL, rr.Host = http.MethodGet, target, target.Host
		p, err := c.cfg.Key(rr)
		if err != nil {
			return "", err
		}
		partition = p
	}
	return keyOf(partition, target.Scheme, target.Host, target), nil
}

// invalidateKey makes the responses stored for a primary key misses
// everywhere: the coordinated origin requests of its bucket are invalidated
// first, so that none running now stores a response from before, then the
// record under the key goes (for a response that varies, the Vary spec,
// whose loss leaves every variant unreachable).
func (c *Cache) invalidateKey(ctx context.Context, key string) error {
	return errors.Join(c.store.invalidateFlights(ctx, bucketTag(key)), c.store.remove(ctx, key))
}

// Purge invalidates every response stored with any of tags, in every
// process sharing the store: one write per tag, whatever the number of
// responses. Origin requests running meanwhile do not store what they
// fetched.
func (c *Cache) Purge(ctx context.Context, tags ...string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	var clean []string
	for _, t := range tags {
		if t != "" {
			clean = append(clean, t)
		}
	}
	if len(clean) == 0 {
		return nil
	}
	c.stats.purges.Add(1)
	if err := c.store.invalidateFlights(ctx, purgeTag); err != nil {
		return fmt.Errorf("httpcache: purge: %w", err)
	}
	if err := c.store.invalidate(ctx, clean...); err != nil {
		return fmt.Errorf("httpcache: purge: %w", err)
	}
	return nil
}

// PurgeURL invalidates the responses stored for an absolute http or https
// URL, every variant included, in every process sharing the store. With
// Config.Key, the partition is the one Key gives a GET of the URL without
// other fields; use PurgeRequest when Key reads fields of the request.
func (c *Cache) PurgeURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrInvalidURL, rawURL)
	}
	r := (&http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{}}).WithContext(ctx)
	return c.PurgeRequest(ctx, r)
}

// PurgeRequest invalidates the responses stored for r's target URI in r's
// partition, in every process sharing the store.
func (c *Cache) PurgeRequest(ctx context.Context, r *http.Request) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.stats.purges.Add(1)
	u := r.URL
	if u.Host == "" || u.Scheme == "" {
		u = &url.URL{Scheme: requestScheme(r), Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	}
	key, err := c.keyFor(r, u)
	if err != nil {
		return fmt.Errorf("httpcache: purge: Config.Key: %w", err)
	}
	if err := c.invalidateKey(ctx, key); err != nil {
		return fmt.Errorf("httpcache: purge: %w", err)
	}
	return nil
}
