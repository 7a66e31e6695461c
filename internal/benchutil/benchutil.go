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
// for one), each walking the keys from its own offset. Each meter reads
// what it measures just before the timed loop and reports just after it.
func RunAt(b *testing.B, g int, op func(i int), meters ...Meter) {
	b.ReportAllocs()
	for _, m := range meters {
		m.Begin(b)
	}
	if g == 1 {
		for i := 0; b.Loop(); i++ { // the first call resets the timer
			op(i)
		}
	} else {
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((g + procs - 1) / procs)
		var worker atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(worker.Add(1)) * 7919
			for pb.Next() {
				op(i)
				i++
			}
		})
		b.StopTimer()
	}
	for _, m := range meters {
		m.End(b, g)
	}
}

// SideBySide runs each implementation at each goroutine count, named
// impl=NAME/goroutines=N so that `benchstat -col /impl` compares them.
func SideBySide(b *testing.B, impls map[string]func(i int)) {
	measured := make(map[string]Impl, len(impls))
	for name, op := range impls {
		measured[name] = Impl{Op: op}
	}
	sideBySide(b, measured, 0)
}

// Impl is one side of a side-by-side benchmark: its operation and the
// meters read around its timed loops (see Meter).
type Impl struct {
	Op     func(i int)
	Meters []Meter
}

// warmUpOps is how many times SideBySideMeasured runs each operation
// before anything is measured.
const warmUpOps = 64

// SideBySideMeasured is SideBySide with meters. Each operation first runs
// warmUpOps times untimed and unmeasured, with one goroutine, so that the
// connections a client opens on first use are open before anything is
// counted (their set-up commands, HELLO and CLIENT ..., are no part of an
// operation).
func SideBySideMeasured(b *testing.B, impls map[string]Impl) {
	sideBySide(b, impls, warmUpOps)
}

func sideBySide(b *testing.B, impls map[string]Impl, warmUp int) {
	names := make([]string, 0, len(impls))
	for name := range impls {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for i := range warmUp {
			impls[name].Op(i)
		}
	}
	for _, g := range GoroutineCounts {
		for _, name := range names {
			b.Run(fmt.Sprintf("impl=%s/goroutines=%d", name, g), func(b *testing.B) {
				RunAt(b, g, impls[name].Op, impls[name].Meters...)
			})
		}
	}
}
