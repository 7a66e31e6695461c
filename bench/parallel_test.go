package bench

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// goroutineCounts are the concurrency levels every benchmark reports.
var goroutineCounts = []int{1, 16, 128}

const keyCount = 10_000

func benchKeys(prefix string) []string {
	keys := make([]string, keyCount)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return keys
}

// runAt runs op b.N times spread over exactly g goroutines (a plain loop for
// one), each walking the keys from its own offset. Names carry the impl and
// the goroutine count so benchstat can put implementations side by side.
func runAt(b *testing.B, g int, op func(i int)) {
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

// sideBySide runs each implementation at each goroutine count.
func sideBySide(b *testing.B, impls map[string]func(i int)) {
	for _, g := range goroutineCounts {
		for _, name := range sortedKeys(impls) {
			b.Run(fmt.Sprintf("impl=%s/goroutines=%d", name, g), func(b *testing.B) { runAt(b, g, impls[name]) })
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
