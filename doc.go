// Package valcache is a typed cache that runs in-process on a laptop and on
// Valkey (single node or cluster) in production without changing the calling
// code.
//
// A Cache[K, V] is a namespace over a provider (see package driver). Many
// caches share one provider, and so one set of connections: adding a cache
// costs no new connection. Semantics live here, once, over a minimal provider
// contract, so every provider behaves the same:
//
//   - any value type works with no registration: values are encoded by a codec
//     chosen per cache (raw bytes for []byte and string, msgpack otherwise), or
//     not encoded at all on providers that keep Go values in memory;
//
//   - every entry expires unless the caller explicitly asks for NoExpiry; the
//     default TTL is one hour, optionally shortened by jitter so that entries
//     written together do not expire together;
//
//   - stored bytes carry a small envelope (format, flags, codec id) so that the
//     codec and later metadata can change without a flush; bytes that cannot be
//     decoded are a miss, counted in Stats and logged, never a panic.
//
// A cache over the in-process provider; valkeystore.New in place of
// memory.New runs the same code on Valkey:
//
//	p, _ := memory.New(memory.Config{MaxEntries: 100_000})
//	users, _ := valcache.New(p, valcache.Options[int, User]{Namespace: "users"})
//	_ = users.Set(ctx, 42, User{Name: "Ada"})
//	u, ok, err := users.GetIfPresent(ctx, 42)
//	u7, err := users.Get(ctx, 7, loadUser) // loads a miss once, and caches it
package valcache
