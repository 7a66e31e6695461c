// Package benchutil is the common ground of the side-by-side benchmarks
// (bench/ and bench/peers/): the same keys, the same concurrency levels and
// names that benchstat can put in columns.
package benchutil

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
)

// GoroutineCounts are the concurrency levels every benchmark reports.
var GoroutineCounts = []int{1, 16, 128}

// KeyCount is how many distinct keys a benchmark walks.
const KeyCount = 10_000

// Keys returns KeyCount key names starting with prefix.
func Keys(prefix string) []string {
	keys := make([]string, KeyCount)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return keys
}

// RunAt runs op b.N times spread over exactly g goroutines (a plain loop
// for one), each walking the keys from its own offset.
func RunAt(b *testing.B, g int, op func(i int)) {
	b.ReportAllocs()
	if g == 1 {
		for i := 0; b.Loop(); i++ {
			op(i)
		}
		return
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((g + procs - 1) / procs)
	var worker atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(worker.Add(1)) * 7919
		for pb.Next() {
			op(i)
			i++
		}
	})
}

// SideBySide runs each implementation at each goroutine count, named
// impl=NAME/goroutines=N so that `benchstat -col /impl` compares them.
func SideBySide(b *testing.B, impls map[string]func(i int)) {
	names := make([]string, 0, len(impls))
	for name := range impls {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, g := range GoroutineCounts {
		for _, name := range names {
			b.Run(fmt.Sprintf("impl=%s/goroutines=%d", name, g), func(b *testing.B) { RunAt(b, g, impls[name]) })
		}
	}
}
