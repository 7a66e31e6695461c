package twolevel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
)

func quietBreaker(threshold int, cooldown time.Duration) *breaker {
	return newBreakers(1, threshold, cooldown, slog.New(slog.NewTextHandler(io.Discard, nil))).of(0)
}

// elapse ends b's cooldown as if it had passed. The tests use cooldowns of
// an hour and end them with this, rather than short cooldowns and sleeps:
// on a busy machine a short cooldown can also end before the test looks
// at the open circuit.
func elapse(b *breaker) {
	b.mu.Lock()
	b.openedAt = b.openedAt.Add(-b.set.cooldown)
	b.mu.Unlock()
}

// run passes one call's outcome through the breaker, as Provider.call does.
func run(t *testing.T, b *breaker, ctx context.Context, err error) {
	t.Helper()
	probe, aerr := b.allow()
	if aerr != nil {
		t.Fatalf("refused a call (%v) before its outcome %v", aerr, err)
	}
	b.done(probe, err, telling(ctx, err))
}

func TestBreakerCountsOnlyConsecutiveFailures(t *testing.T) {
	b := quietBreaker(3, time.Hour)
	ctx := context.Background()
	down := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, step := range []struct {
		ctx context.Context
		err error
	}{
		{ctx, down}, {ctx, down}, {ctx, nil}, // a success ends the run
		{ctx, down}, {ctx, down},
		{ctx, context.Canceled}, {ctx, driver.ErrInvalidTTL}, {ctx, &driver.LoadFailedError{Reason: "x"}},
		{cancelled, down}, // its caller gave up: says nothing
	} {
		run(t, b, step.ctx, step.err)
	}
	if state(b.state.Load()) != stateClosed {
		t.Fatal("opened although a success broke the run of failures, and the rest say nothing of the store")
	}
	run(t, b, ctx, down) // third in a row
	_, err := b.allow()
	if !errors.Is(err, driver.ErrUnavailable) || !errors.Is(err, down) {
		t.Fatalf("open circuit allowed a call or hid the cause: %v", err)
	}

	elapse(b)
	probe, err := b.allow()
	if err != nil || !probe {
		t.Fatalf("no probe after the cooldown: %v, %v", probe, err)
	}
	if _, err := b.allow(); err == nil {
		t.Fatal("a second call went through while the probe runs")
	}
	b.done(probe, context.Canceled, telling(ctx, context.Canceled)) // says nothing: the next call probes
	if probe, err = b.allow(); err != nil || !probe {
		t.Fatalf("a cancelled probe did not leave the next call to probe: %v, %v", probe, err)
	}
	b.done(probe, down, telling(ctx, down))
	if _, err := b.allow(); err == nil {
		t.Fatal("a failed probe did not reopen the circuit for a cooldown")
	}
	elapse(b)
	probe, _ = b.allow()
	b.done(probe, nil, true)
	if state(b.state.Load()) != stateClosed {
		t.Fatal("a successful probe did not close the circuit")
	}
}

// A late non-probe call ending while a probe runs does not start a second
// probe.
func TestBreakerHasOneProbeAtATime(t *testing.T) {
	b := quietBreaker(1, time.Hour)
	ctx := context.Background()
	late, _ := b.allow() // allowed while closed; ends later
	run(t, b, ctx, errors.New("i/o timeout"))
	elapse(b)
	probe, err := b.allow()
	if err != nil || !probe {
		t.Fatalf("no probe: %v", err)
	}
	b.done(late, context.Canceled, telling(ctx, context.Canceled))
	if _, err := b.allow(); err == nil {
		t.Fatal("a second probe went through")
	}
}

// Replies about the call itself are not failures of the store; transport
// errors and replies saying the server cannot serve are.
func TestBreakerTellsStoreFailuresFromCallErrors(t *testing.T) {
	ctx := context.Background()
	if !telling(ctx, fmt.Errorf("valkeystore: get: %w", context.DeadlineExceeded)) {
		t.Fatal("the provider's own timeout, with the caller still waiting, must count")
	}
	past, cancel := context.WithTimeout(ctx, -time.Second)
	defer cancel()
	if telling(past, fmt.Errorf("valkeystore: get: %w", context.DeadlineExceeded)) {
		t.Fatal("a call past its caller's own deadline must not count")
	}
}

func TestDisabledBreakerNeverOpens(t *testing.T) {
	b := quietBreaker(-1, time.Second)
	for range 100 {
		run(t, b, context.Background(), errors.New("down"))
	}
	if _, err := b.allow(); err != nil {
		t.Fatal("a disabled breaker opened")
	}
}

// Each slot's circuit opens on its own failures only, and the set reports
// the worst state until the last circuit closes.
func TestBreakersAreKeptPerSlot(t *testing.T) {
	s := newBreakers(3, 2, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	down := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	for range 2 {
		run(t, s.of(1), ctx, down)
	}
	if _, err := s.of(1).allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("slot 1 after two failures: %v, want its circuit open", err)
	}
	for _, slot := range []int{0, 2} {
		if probe, err := s.of(slot).allow(); err != nil || probe {
			t.Fatalf("slot %d, which never failed: probe %v, %v", slot, probe, err)
		}
	}
	if st := s.state(); st != stateOpen {
		t.Fatalf("state %v with slot 1 open", st)
	}
	elapse(s.of(1))
	probe, err := s.of(1).allow()
	if err != nil || !probe {
		t.Fatalf("no probe on slot 1 after the cooldown: %v, %v", probe, err)
	}
	if st := s.state(); st != stateHalfOpen {
		t.Fatalf("state %v while slot 1 probes", st)
	}
	s.of(1).done(probe, nil, true)
	if st := s.state(); st != stateClosed {
		t.Fatalf("state %v after slot 1's probe succeeded", st)
	}
}

// A slot is healed from a tracking loss once it, or a call reaching every
// node, answered after the loss.
func TestBreakersHealPerSlot(t *testing.T) {
	s := newBreakers(3, 2, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	raise(&s.of(0).answered, 1) // answered after loss 1
	if !s.healed(0, 1) || s.healed(0, 2) || s.healed(1, 1) || s.healed(2, 1) {
		t.Fatal("an answer of slot 0 after loss 1 must heal loss 1 for slot 0 and nothing else")
	}
	raise(&s.of(0).answered, 0) // an older answer, recorded late, does not undo it
	if !s.healed(0, 1) {
		t.Fatal("a late, older answer undid a heal")
	}
	raise(&s.everyAnswered, 2)
	if !s.healed(1, 2) || !s.healed(2, 1) || s.healed(2, 3) {
		t.Fatal("a call that reached every node must heal every slot up to its loss")
	}
}
