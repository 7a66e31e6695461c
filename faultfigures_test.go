package valcache_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// outcome is one call of a fault run: when it began and ended, whether it
// returned what it should, and for a Get whether the value came from the
// store (the loader did not run).
type outcome struct {
	began, ended time.Time
	ok, hit      bool
	get          bool // a Get with a loader; otherwise a GetIfPresent
}

// faultRun drives calls from several goroutines through a fault: healthy
// for a while, then fault(), then recover() and on until the store has
// served Gets again for a while; everything bounded in time and count.
type faultRun struct {
	mu       sync.Mutex
	outcomes []outcome
}

func (fr *faultRun) add(o outcome) {
	fr.mu.Lock()
	fr.outcomes = append(fr.outcomes, o)
	fr.mu.Unlock()
}

const (
	figureWorkers   = 8
	figureHealthy   = time.Second
	figureOutage    = 3 * time.Second
	figureAfter     = 3 * time.Second
	figureMaxCalls  = 200_000
	figureCallPause = 5 * time.Millisecond
)

// run calls Get (with a loader) and GetIfPresent in turn from each worker,
// each on keys of its own so that no call joins another's load.
func (fr *faultRun) run(r *faultRig, stop <-chan struct{}, worker int) {
	for i := 0; i < figureMaxCalls; i++ {
		select {
		case <-stop:
			return
		default:
		}
		key := fmt.Sprintf("fig-%d-%d", worker, i%4)
		ran := false
		load := func(context.Context, string) (string, error) { ran = true; return "value-of-" + key, nil }
		began := time.Now()
		v, err := r.c.Get(context.Background(), key, load)
		fr.add(outcome{began: began, ended: time.Now(), ok: err == nil && v == "value-of-"+key, hit: err == nil && !ran, get: true})
		began = time.Now()
		_, _, err = r.c.GetIfPresent(context.Background(), key)
		fr.add(outcome{began: began, ended: time.Now(), ok: err == nil})
		time.Sleep(figureCallPause)
	}
}

// figures runs the fault and reports, with -v, what each caller saw.
func figures(t *testing.T, name string, budget time.Duration, fault, recover func(*faultRig) error) {
	r := newFaultRig(t, budget)
	fr := &faultRun{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range figureWorkers {
		wg.Add(1)
		go func() { defer wg.Done(); fr.run(r, stop, w) }()
	}
	time.Sleep(figureHealthy)
	faulted := time.Now()
	if err := fault(r); err != nil {
		t.Fatal(err)
	}
	time.Sleep(figureOutage)
	if err := recover(r); err != nil {
		t.Fatal(err)
	}
	recovered := time.Now()
	time.Sleep(figureAfter)
	close(stop)
	wg.Wait()

	var outageGets, servedGets, hitsAfter int
	var getDur []time.Duration
	var firstReadErr, lastReadErr, firstRead, firstHit time.Time
	for _, o := range fr.outcomes {
		took := o.ended.Sub(o.began)
		if o.get {
			if !o.ok {
				t.Errorf("%s: a Get at %v failed", name, o.began.Sub(faulted).Round(time.Millisecond))
			}
			if took > budget+time.Second {
				t.Errorf("%s: a Get took %v, more than its budget %v and a second", name, took, budget)
			}
			if !o.began.Before(faulted) && o.began.Before(recovered) {
				outageGets++
				getDur = append(getDur, took)
				if o.ok {
					servedGets++
				}
			}
			if !o.began.Before(recovered) && o.hit {
				hitsAfter++
				if firstHit.IsZero() || o.ended.Before(firstHit) {
					firstHit = o.ended
				}
			}
			continue
		}
		if !o.ok {
			if firstReadErr.IsZero() || o.ended.Before(firstReadErr) {
				firstReadErr = o.ended
			}
			if o.ended.After(lastReadErr) {
				lastReadErr = o.ended
			}
		} else if !o.began.Before(recovered) && (firstRead.IsZero() || o.ended.Before(firstRead)) {
			firstRead = o.ended
		}
	}
	if outageGets == 0 || hitsAfter == 0 || firstRead.IsZero() {
		t.Fatalf("%s: %d Gets during the outage, %d hits after it, first read after it at %v", name, outageGets, hitsAfter, firstRead)
	}
	slices.Sort(getDur)
	t.Logf("%s (budget %v, %d workers): during the %v outage %d of %d Gets returned their loaded value (p50 %v, max %v); "+
		"GetIfPresent failed from %v to %v after the fault (error window %v); after recovery the first GetIfPresent answered in %v, "+
		"the first Get served from the store in %v",
		name, budget, figureWorkers, figureOutage, servedGets, outageGets,
		getDur[len(getDur)/2].Round(time.Millisecond), getDur[len(getDur)-1].Round(time.Millisecond),
		firstReadErr.Sub(faulted).Round(time.Millisecond), lastReadErr.Sub(faulted).Round(time.Millisecond),
		lastReadErr.Sub(firstReadErr).Round(time.Millisecond),
		firstRead.Sub(recovered).Round(time.Millisecond), firstHit.Sub(recovered).Round(time.Millisecond))
}

// The figures of docs/loading.md, "What each fault does":
//
//	go test -race -count=1 -v -run TestFaultFigures .
func TestFaultFigures(t *testing.T) {
	const budget = 500 * time.Millisecond
	t.Run("Killed", func(t *testing.T) {
		figures(t, "kill -9, restart", budget,
			func(r *faultRig) error { return r.srv.Kill() },
			func(r *faultRig) error { return r.srv.Restart() })
	})
	t.Run("Hung", func(t *testing.T) {
		figures(t, "SIGSTOP, SIGCONT", budget,
			func(r *faultRig) error { t.Cleanup(func() { _ = r.srv.Resume() }); return r.srv.Pause() },
			func(r *faultRig) error { return r.srv.Resume() })
	})
}
