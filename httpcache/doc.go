// Package httpcache is an HTTP response cache for net/http: a middleware
// (and a reverse proxy, NewProxy) that stores responses in a valcache
// provider and behaves as a shared cache as RFC 9111 defines one, with
// RFC 5861's stale-while-revalidate and stale-if-error, and RFC 9211's
// Cache-Status field.
//
//	p, _ := memory.New(memory.Config{MaxWeight: 512 << 20}) // or valkeystore, twolevel
//	hc, _ := httpcache.New(p, httpcache.Config{})
//	defer hc.Close()
//	http.ListenAndServe(":8080", hc.Middleware(app))
//
// What the store brings: on Valkey, every process over the same namespace
// shares the stored responses, one origin request per cold or stale URL is
// made for the whole fleet (the others wait for it, each on its own
// context), and Purge invalidates every response of a tag with one write
// per tag, everywhere. Over twolevel, hits are answered in process and
// other instances' changes reach them about one round trip later.
//
// docs/httpcache.md says what is stored and why, every directive honoured,
// the cache key, tags and purges, coalescing, and what is not implemented.
package httpcache
