// Package bench holds valcache's side-by-side benchmarks: each measures
// valcache and the raw library under it (otter, valkey-go) in one run, on
// the same keys and values, so that their ratio is what BENCHMARKS.md
// reports. It has no non-test code.
package bench
