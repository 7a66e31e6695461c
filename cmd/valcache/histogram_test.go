package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBucketsCoverEveryValueOnce(t *testing.T) {
	prevHi := uint64(0)
	for i := range histBuckets {
		lo, hi := bucketBounds(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d, %d]: bucketOf gives %d and %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo >= subCount && float64(hi-lo+1)/float64(lo) > 1.0/subCount+1e-9 {
			t.Fatalf("bucket %d [%d, %d] is wider than 1/%d of its start", i, lo, hi, subCount)
		}
		prevHi = hi
	}
	if got := bucketOf(1 << 50); got != histBuckets-1 {
		t.Fatalf("a huge value goes to bucket %d", got)
	}
}

func TestHistogramQuantilesMatchExactOnes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var a, b histogram
	var all []time.Duration
	for i := range 100_000 {
		// Log-normal-ish: most around tens of µs, a tail into milliseconds.
		d := time.Duration(r.ExpFloat64()*20_000) + time.Duration(r.IntN(50))*time.Microsecond/10
		if i%1000 == 0 {
			d = time.Duration(r.IntN(50)) * time.Millisecond
		}
		all = append(all, d)
		if i%2 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	a.merge(&b)
	slices.Sort(all)
	if a.total != uint64(len(all)) || a.max != uint64(all[len(all)-1]) || a.min != uint64(all[0]) {
		t.Fatalf("total %d min %d max %d", a.total, a.min, a.max)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := all[max(int(q*float64(len(all)))-1, 0)]
		got := a.quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/subCount+1 {
			t.Errorf("q%v: %v, exact %v", q, got, exact)
		}
	}
	var sum uint64
	for _, bin := range a.bins() {
		sum += bin.Count
	}
	if sum != a.total {
		t.Errorf("bins hold %d values, want %d", sum, a.total)
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 || len(empty.bins()) != 0 {
		t.Error("an empty histogram reports values")
	}
}
