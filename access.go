package valcache

import (
	"fmt"
	"log/slog"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/facade"
)

// Packages built beside the facade (search) work with the same store, key
// strings and logger as the cache they extend, without a second
// configuration that could disagree with it; they reach them through
// internal/facade rather than through exported methods no user needs.

func init() {
	facade.Register(func(cache any) (facade.View, bool) {
		v, ok := cache.(viewer)
		if !ok {
			return nil, false
		}
		return v.facadeView(), true
	})
}

// viewer is implemented by every *Cache, whatever its type parameters.
type viewer interface{ facadeView() facade.View }

func (c *Cache[K, V]) facadeView() facade.View { return cacheView[K, V]{c} }

type cacheView[K comparable, V any] struct{ c *Cache[K, V] }

func (v cacheView[K, V]) Provider() driver.Provider { return v.c.provider }

func (v cacheView[K, V]) Logger() *slog.Logger { return v.c.log }

func (v cacheView[K, V]) KeyID(key any) (string, error) {
	k, ok := key.(K)
	if !ok {
		return "", fmt.Errorf("valcache: key of type %T for a cache of %T keys", key, *new(K))
	}
	dk, err := v.c.driverKey(k)
	return dk.ID, err
}

func (v cacheView[K, V]) ParseKeyID(id string) (any, error) { return v.c.keyDec(id) }
