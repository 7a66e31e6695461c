package httpcache

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/valcache/valcache"
)

// Defaults of Config.
const (
	DefaultNamespace       = "httpcache"
	DefaultMaxBodySize     = 8 << 20
	DefaultTagHeader       = "Surrogate-Key"
	DefaultCacheStatusName = "valcache"
	DefaultOriginTimeout   = 30 * time.Second
	DefaultHeuristicMax    = 24 * time.Hour
)

// SetCookiePolicy says what becomes of responses that set cookies. A cookie
// is usually meant for one client, so the default never stores them.
type SetCookiePolicy int

const (
	// PassSetCookie forwards a response with Set-Cookie to the client that
	// asked and neither stores it nor shares it with coalesced requests.
	PassSetCookie SetCookiePolicy = iota
	// StripSetCookie stores such a response without its Set-Cookie fields:
	// the client that asked gets its cookie, the others never see it.
	StripSetCookie
	// StoreSetCookie stores and replays Set-Cookie like any other field.
	// Only for origins whose cookies are the same for everyone.
	StoreSetCookie
)

// Config configures a Cache. The zero value is usable: the namespace
// "httpcache", bodies up to 8 MiB stored, tags from Surrogate-Key (hidden
// from clients), no heuristic freshness, no stale serving beyond what
// responses allow, and cookies never stored.
type Config struct {
	// Namespace is the valcache namespace responses are stored in; a second
	// one, Namespace+":flight", coordinates origin requests. Instances that
	// share a provider and a namespace share their responses.
	Namespace string

	// MaxBodySize is the largest body stored, in bytes. A larger response is
	// streamed to its client without being held in memory, and not stored.
	// Zero means DefaultMaxBodySize.
	MaxBodySize int64

	// TagHeader names the response field whose space-separated members tag
	// the stored response, for Purge. Empty means DefaultTagHeader.
	TagHeader string
	// ExposeTagHeader keeps the tag field in responses sent to clients; by
	// default it is removed, as CDNs do with Surrogate-Key.
	ExposeTagHeader bool

	// HeuristicFraction, when positive, gives responses without an explicit
	// expiration time a freshness lifetime of this fraction of the time
	// since their Last-Modified (RFC 9111 §4.2.2; 0.1 is usual), capped at
	// HeuristicMax (zero means DefaultHeuristicMax). Only status codes
	// defined as heuristically cacheable, and public responses, get one.
	// Zero, the default, never uses heuristics.
	HeuristicFraction float64
	HeuristicMax      time.Duration

	// StaleWhileRevalidate and StaleIfError are the windows (RFC 5861)
	// applied to responses that do not state their own; a response's own
	// stale-while-revalidate or stale-if-error wins. Responses marked
	// must-revalidate, proxy-revalidate, s-maxage or no-cache are never
	// served stale whatever these say. Zero, the default, adds nothing.
	StaleWhileRevalidate time.Duration
	StaleIfError         time.Duration

	// KeepStale keeps responses that carry a validator (ETag or
	// Last-Modified) this long past their freshness, so that they can be
	// revalidated with a conditional request instead of fetched again, and
	// served to requests that accept stale responses (max-stale). Zero
	// keeps them only for their stale windows.
	KeepStale time.Duration

	// MaxTTL caps how long any response is kept in the store, stale
	// windows included. Zero means no cap beyond what responses say.
	MaxTTL time.Duration

	// SetCookie says what becomes of responses with Set-Cookie.
	SetCookie SetCookiePolicy

	// Key, when set, adds a partition (a tenant, say) to every cache key:
	// requests whose partitions differ never share a stored response. It
	// is called for every request the cache handles; an error makes the
	// request bypass the cache.
	Key func(r *http.Request) (string, error)

	// CacheStatusName is the cache's name in the Cache-Status field (RFC
	// 9211). Empty means DefaultCacheStatusName.
	CacheStatusName string

	// OriginTimeout bounds how long requests wait for an origin request
	// that another request (in this process or another) made for them, and
	// the origin requests made in the background. Zero means
	// DefaultOriginTimeout.
	OriginTimeout time.Duration

	// Observer reports the two valcache caches the handler uses (see
	// package otelcache): hits and misses of stored responses, and origin
	// requests, which are the coordinating cache's loads.
	Observer valcache.Observer

	// Logger receives what the handler cannot return to a client: store
	// failures and origin failures. Nil means slog.Default().
	Logger *slog.Logger

	// clock is the time source; nil means time.Now. Tests set it.
	clock func() time.Time
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.MaxBodySize < 0:
		return c, fmt.Errorf("%w: MaxBodySize %d is negative", ErrInvalidConfig, c.MaxBodySize)
	case c.HeuristicFraction < 0 || c.HeuristicFraction > 1 || c.HeuristicFraction != c.HeuristicFraction:
		return c, fmt.Errorf("%w: HeuristicFraction %v: must be in [0, 1]", ErrInvalidConfig, c.HeuristicFraction)
	case c.SetCookie < PassSetCookie || c.SetCookie > StoreSetCookie:
		return c, fmt.Errorf("%w: unknown SetCookie policy %d", ErrInvalidConfig, c.SetCookie)
	}
	for name, d := range map[string]time.Duration{
		"HeuristicMax": c.HeuristicMax, "StaleWhileRevalidate": c.StaleWhileRevalidate,
		"StaleIfError": c.StaleIfError, "KeepStale": c.KeepStale, "MaxTTL": c.MaxTTL, "OriginTimeout": c.OriginTimeout,
	} {
		if d < 0 {
			return c, fmt.Errorf("%w: %s %v is negative", ErrInvalidConfig, name, d)
		}
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.MaxBodySize == 0 {
		c.MaxBodySize = DefaultMaxBodySize
	}
	if c.TagHeader == "" {
		c.TagHeader = DefaultTagHeader
	}
	c.TagHeader = http.CanonicalHeaderKey(c.TagHeader)
	if c.HeuristicMax == 0 {
		c.HeuristicMax = DefaultHeuristicMax
	}
	if c.CacheStatusName == "" {
		c.CacheStatusName = DefaultCacheStatusName
	}
	if c.OriginTimeout == 0 {
		c.OriginTimeout = DefaultOriginTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	return c, nil
}
