package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram records latencies in log-linear buckets, like HDR histograms:
// each power of two is split into 2^subBits equal buckets, so any recorded
// value is known to within 1/2^subBits (about 3%), whatever its size, in a
// fixed 9 KiB. Values from 0 to 2^maxBits ns (about 18 minutes) are kept;
// larger ones count in the last bucket. It is not safe for concurrent use:
// each worker keeps its own and they are merged.
type histogram struct {
	counts [histBuckets]uint64
	total  uint64
	sum    float64 // ns, for the mean
	min    uint64
	max    uint64
}

const (
	subBits     = 5
	subCount    = 1 << subBits
	maxBits     = 40
	histBuckets = (maxBits - subBits + 1) * subCount
)

// bucketOf returns the bucket of v, in ns.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	if v >= 1<<maxBits {
		return histBuckets - 1
	}
	shift := bits.Len64(v) - 1 - subBits
	return (shift+1)*subCount + int(v>>shift) - subCount
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subCount {
		return uint64(i), uint64(i)
	}
	shift := i/subCount - 1
	m := uint64(i%subCount + subCount)
	return m << shift, (m+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.total++
	h.sum += float64(v)
}

func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// quantile returns the value at or below which a fraction q of the
// recorded values lie: the upper end of the bucket holding it, but never
// more than the largest value seen nor less than the smallest.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, n := range h.counts {
		if seen += n; seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

func (h *histogram) mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// histBin is one non-empty bucket, for charts and machine output.
type histBin struct {
	LowNs  uint64 `json:"low_ns"`
	HighNs uint64 `json:"high_ns"`
	Count  uint64 `json:"count"`
}

// bins returns the non-empty buckets, smallest first.
func (h *histogram) bins() []histBin {
	var out []histBin
	for i, n := range h.counts {
		if n > 0 {
			lo, hi := bucketBounds(i)
			out = append(out, histBin{lo, hi, n})
		}
	}
	return out
}
