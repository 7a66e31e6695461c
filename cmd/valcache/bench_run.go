package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// benchReport is the outcome of a run; it is also the --json output.
type benchReport struct {
	Provider       string         `json:"provider"`
	Workload       benchWorkload  `json:"workload"`
	Started        time.Time      `json:"started"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
	Ops            int64          `json:"ops"`
	Reads          int64          `json:"reads"`
	Writes         int64          `json:"writes"`
	Errors         int64          `json:"errors"`
	FirstError     string         `json:"first_error,omitempty"`
	LoaderCalls    int64          `json:"loader_calls"`
	HitRatio       float64        `json:"hit_ratio"`
	Throughput     float64        `json:"throughput_ops_per_second"`
	Latency        latencySummary `json:"latency"`
	ReadLatency    latencySummary `json:"read_latency"`
	WriteLatency   latencySummary `json:"write_latency"`
	Histogram      []histBin      `json:"latency_histogram"`
	Timeline       []timePoint    `json:"timeline"`
}

// benchWorkload echoes the flags that shaped the run.
type benchWorkload struct {
	Keys            int     `json:"keys"`
	Distribution    string  `json:"distribution"`
	ZipfS           float64 `json:"zipf_s,omitempty"`
	ZipfV           float64 `json:"zipf_v,omitempty"`
	ReadRatio       float64 `json:"read_ratio"`
	ValueSize       int     `json:"value_size"`
	Concurrency     int     `json:"concurrency"`
	DurationSeconds float64 `json:"duration_seconds"`
	OpsLimit        int64   `json:"ops_limit,omitempty"`
	LoaderLatencyNs int64   `json:"loader_latency_ns"`
	Prefill         bool    `json:"prefill"`
	Seed            uint64  `json:"seed"`
}

func (w benchWorkload) summary() string {
	dist := w.Distribution
	if dist == "zipf" {
		dist = fmt.Sprintf("zipf (s=%g, v=%g)", w.ZipfS, w.ZipfV)
	}
	limit := fmt.Sprintf("for %v", time.Duration(w.DurationSeconds*float64(time.Second)))
	if w.OpsLimit > 0 {
		limit = fmt.Sprintf("%d ops (at most %v)", w.OpsLimit, time.Duration(w.DurationSeconds*float64(time.Second)))
	}
	warm := ""
	if w.Prefill {
		warm = ", prefilled"
	}
	return fmt.Sprintf("%d keys %s, %.0f%% reads, %d B values, %d workers, loader %v, %s%s",
		w.Keys, dist, 100*w.ReadRatio, w.ValueSize, w.Concurrency, time.Duration(w.LoaderLatencyNs), limit, warm)
}

// latencySummary gives percentiles in nanoseconds.
type latencySummary struct {
	Count int64 `json:"count"`
	P50   int64 `json:"p50_ns"`
	P90   int64 `json:"p90_ns"`
	P99   int64 `json:"p99_ns"`
	P999  int64 `json:"p999_ns"`
	Max   int64 `json:"max_ns"`
	Mean  int64 `json:"mean_ns"`
}

func summarize(h *histogram) latencySummary {
	return latencySummary{
		Count: int64(h.total),
		P50:   int64(h.quantile(0.5)), P90: int64(h.quantile(0.9)),
		P99: int64(h.quantile(0.99)), P999: int64(h.quantile(0.999)),
		Max: int64(h.max), Mean: int64(h.mean()),
	}
}

// timePoint is the throughput over one interval of the run.
type timePoint struct {
	EndSeconds    float64 `json:"end_seconds"`
	Ops           int64   `json:"ops"`
	OpsPerSeconds float64 `json:"ops_per_second"`
}

// worker is one goroutine's share of the counters; ops and errs are read
// by the sampler while the worker runs, the rest once it has stopped.
type worker struct {
	ops, errs     atomic.Int64
	reads, writes int64
	all, rd, wr   histogram
	firstErr      error
	_             [64]byte // keep workers' hot counters off each other's cache lines
}

// Sampling of throughput: a point every sampleEvery at first, twice as
// long whenever maxTimePoints would be passed, so memory stays bounded
// however long the run.
const (
	sampleEvery   = 100 * time.Millisecond
	maxTimePoints = 600
	progressEvery = 500 * time.Millisecond
	prefillBatch  = 1000
)

// runWorkload runs the workload of cfg on p and measures it. progress, when
// not nil, receives a live status line.
func runWorkload(ctx context.Context, p driver.Provider, where string, cfg benchConfig, progress io.Writer) (*benchReport, error) {
	c, err := valcache.New(p, valcache.Options[int, []byte]{Namespace: cfg.namespace, TTL: cfg.ttl})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := p.Clear(ctx, cfg.namespace); err != nil {
		return nil, fmt.Errorf("clearing namespace %q before the run: %w", cfg.namespace, err)
	}
	defer func() { _ = p.Clear(context.WithoutCancel(ctx), cfg.namespace) }()

	value := make([]byte, cfg.valueSize)
	fill := rand.New(rand.NewPCG(cfg.seed, 0))
	for i := range value {
		value[i] = byte(fill.Uint32())
	}
	if cfg.prefill {
		if err := prefill(ctx, c, cfg.keys, value); err != nil {
			return nil, fmt.Errorf("prefill: %w", err)
		}
	}

	var loads atomic.Int64
	loader := func(ctx context.Context, _ int) ([]byte, error) {
		loads.Add(1)
		if cfg.loaderLatency > 0 {
			t := time.NewTimer(cfg.loaderLatency)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return value, nil
	}

	// The clock starts before the deadline is set, so a run by duration
	// reports at least that duration.
	started := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, started.Add(cfg.duration))
	defer cancel()
	var budget *atomic.Int64
	if cfg.ops > 0 {
		budget = new(atomic.Int64)
		budget.Store(cfg.ops)
	}
	workers := make([]*worker, cfg.concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{}
		workers[i] = w
		keys := newKeyGen(cfg, uint64(i))
		r := rand.New(rand.NewPCG(cfg.seed, uint64(i)+1<<32))
		wg.Go(func() { w.run(runCtx, c, keys, r, cfg.readRatio, value, loader, budget) })
	}
	done := make(chan struct{})
	sampled := make(chan []timePoint, 1)
	go func() { sampled <- sample(done, started, workers, progress) }()
	wg.Wait()
	elapsed := time.Since(started)
	close(done)
	timeline := <-sampled
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}

	rep := &benchReport{Provider: where, Started: started, ElapsedSeconds: elapsed.Seconds(), Timeline: timeline, Workload: cfg.workload()}
	var all, rd, wr histogram
	for _, w := range workers {
		rep.Ops += w.ops.Load()
		rep.Errors += w.errs.Load()
		rep.Reads += w.reads
		rep.Writes += w.writes
		if w.firstErr != nil && rep.FirstError == "" {
			rep.FirstError = w.firstErr.Error()
		}
		all.merge(&w.all)
		rd.merge(&w.rd)
		wr.merge(&w.wr)
	}
	rep.LoaderCalls = loads.Load()
	if rep.Reads > 0 {
		rep.HitRatio = max(0, float64(rep.Reads-rep.LoaderCalls)/float64(rep.Reads))
	}
	rep.Throughput = float64(rep.Ops) / elapsed.Seconds()
	rep.Latency, rep.ReadLatency, rep.WriteLatency = summarize(&all), summarize(&rd), summarize(&wr)
	rep.Histogram = all.bins()
	return rep, nil
}

func (cfg benchConfig) workload() benchWorkload {
	w := benchWorkload{
		Keys: cfg.keys, Distribution: cfg.dist, ReadRatio: cfg.readRatio, ValueSize: cfg.valueSize,
		Concurrency: cfg.concurrency, DurationSeconds: cfg.duration.Seconds(), OpsLimit: cfg.ops,
		LoaderLatencyNs: int64(cfg.loaderLatency), Prefill: cfg.prefill, Seed: cfg.seed,
	}
	if cfg.dist == "zipf" {
		w.ZipfS, w.ZipfV = cfg.zipfS, cfg.zipfV
	}
	return w
}

func prefill(ctx context.Context, c *valcache.Cache[int, []byte], keys int, value []byte) error {
	batch := make(map[int][]byte, min(keys, prefillBatch))
	for k := range keys {
		batch[k] = value
		if len(batch) == prefillBatch || k == keys-1 {
			if err := c.SetMany(ctx, batch); err != nil {
				return err
			}
			clear(batch)
		}
	}
	return nil
}

// run does operations until ctx ends or the shared budget is spent.
func (w *worker) run(ctx context.Context, c *valcache.Cache[int, []byte], keys func() int, r *rand.Rand, readRatio float64, value []byte,
	loader valcache.Loader[int, []byte], budget *atomic.Int64) {
	for ctx.Err() == nil {
		if budget != nil && budget.Add(-1) < 0 {
			return
		}
		k := keys()
		read := r.Float64() < readRatio
		var err error
		start := time.Now()
		if read {
			_, err = c.Get(ctx, k, loader)
		} else {
			err = c.Set(ctx, k, value)
		}
		took := time.Since(start)
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return // cut short by the end of the run: not the store's failure
		}
		if err != nil {
			w.errs.Add(1)
			if w.firstErr == nil {
				w.firstErr = err
			}
		}
		w.all.record(took)
		if read {
			w.reads++
			w.rd.record(took)
		} else {
			w.writes++
			w.wr.record(took)
		}
		w.ops.Add(1)
	}
}

// newKeyGen returns worker i's source of keys.
func newKeyGen(cfg benchConfig, i uint64) func() int {
	r := rand.New(rand.NewPCG(cfg.seed, i))
	if cfg.dist == "zipf" {
		z := rand.NewZipf(r, cfg.zipfS, cfg.zipfV, uint64(cfg.keys-1))
		return func() int { return int(z.Uint64()) }
	}
	return func() int { return r.IntN(cfg.keys) }
}

// sample records throughput until done is closed, and draws the progress
// line when progress is not nil.
func sample(done <-chan struct{}, started time.Time, workers []*worker, progress io.Writer) []timePoint {
	total := func() (ops, errs int64) {
		for _, w := range workers {
			ops += w.ops.Load()
			errs += w.errs.Load()
		}
		return ops, errs
	}
	var points []timePoint
	interval := sampleEvery
	tick := time.NewTicker(interval)
	defer tick.Stop()
	draw := time.NewTicker(progressEvery)
	defer draw.Stop()
	lastOps, lastAt := int64(0), started
	push := func(now time.Time, final bool) {
		ops, _ := total()
		span := now.Sub(lastAt)
		if span <= 0 || (final && ops == lastOps) {
			return
		}
		if n := len(points); final && n > 0 && span < interval/4 {
			// A sliver at the end joins the last point rather than
			// standing for a rate of its own.
			last := &points[n-1]
			startSec := last.EndSeconds - float64(last.Ops)/max(last.OpsPerSeconds, 1e-9)
			last.Ops += ops - lastOps
			last.EndSeconds = now.Sub(started).Seconds()
			if last.EndSeconds > startSec {
				last.OpsPerSeconds = float64(last.Ops) / (last.EndSeconds - startSec)
			}
			return
		}
		points = append(points, timePoint{EndSeconds: now.Sub(started).Seconds(), Ops: ops - lastOps, OpsPerSeconds: float64(ops-lastOps) / span.Seconds()})
		lastOps, lastAt = ops, now
		if len(points) > maxTimePoints {
			points = halve(points)
			interval *= 2
			tick.Reset(interval)
		}
	}
	for {
		select {
		case now := <-tick.C:
			push(now, false)
		case now := <-draw.C:
			if progress != nil {
				ops, errs := total()
				fmt.Fprintf(progress, "\r\033[K  %5.1fs  %s ops  %s ops/s  %d errors", now.Sub(started).Seconds(), grouped(ops), grouped(int64(float64(ops)/now.Sub(started).Seconds())), errs)
			}
		case <-done:
			push(time.Now(), true)
			if progress != nil {
				fmt.Fprint(progress, "\r\033[K")
			}
			return points
		}
	}
}

// halve merges neighbouring points, each pair into one over both spans.
func halve(points []timePoint) []timePoint {
	out := points[:0]
	start := 0.0
	for i := 0; i < len(points); i += 2 {
		p := points[i]
		if i+1 < len(points) {
			q := points[i+1]
			p = timePoint{EndSeconds: q.EndSeconds, Ops: p.Ops + q.Ops}
		}
		if span := p.EndSeconds - start; span > 0 {
			p.OpsPerSeconds = float64(p.Ops) / span
		}
		start = p.EndSeconds
		out = append(out, p)
	}
	return out
}
