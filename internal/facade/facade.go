// Package facade is what the packages built beside the root package (search)
// read of a cache beyond its public methods: the provider it runs over, the
// string each key is stored under, and its logger.
//
// Were these methods of valcache.Cache, semver would freeze them as public
// API although no user of a cache needs them. The root package implements
// View on an unexported type and registers, when it is loaded, the function
// that returns that view of one of its caches; it is set once, at package
// initialisation, and never changed. Only packages of this module can import
// this package, so only they can reach the view.
package facade

import (
	"log/slog"

	"github.com/valcache/valcache/driver"
)

// View is a cache seen by a package built beside it.
type View interface {
	// Provider is the provider the cache was built over.
	Provider() driver.Provider
	// Logger is the logger the cache reports to, for what a companion
	// cannot return to a caller.
	Logger() *slog.Logger
	// KeyID returns the string key (of the cache's key type) is stored
	// under; any other type is an error.
	KeyID(key any) (string, error)
	// ParseKeyID reverses KeyID.
	ParseKeyID(id string) (any, error)
}

var viewOf func(cache any) (View, bool)

// Register is called by the root package when it is loaded.
func Register(of func(cache any) (View, bool)) { viewOf = of }

// Of returns the view of cache, a *valcache.Cache of any key and value
// types. A caller holding such a cache imports the root package, so the
// view is registered.
func Of(cache any) (View, bool) {
	if viewOf == nil {
		return nil, false
	}
	return viewOf(cache)
}
