// Package peers benchmarks valcache side by side with the libraries it is
// measured against: go-redis/cache (with its local TinyLFU cache), eko/gocache,
// raw otter and raw valkey-go. It is a module of its own so that those
// libraries never become dependencies of valcache.
package peers
