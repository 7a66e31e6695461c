package twolevel

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
)

func TestBreakerCountsOnlyConsecutiveFailures(t *testing.T) {
	b := &breaker{threshold: 3, cooldown: 50 * time.Millisecond, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	failure := errors.New("connection refused")
	for _, err := range []error{failure, failure, nil, failure, failure, context.Canceled, driver.ErrInvalidTTL, &driver.LoadFailedError{Reason: "x"}} {
		if b.allow() != nil {
			t.Fatalf("refused a call after %v", err)
		}
		b.record(err)
	}
	if State(b.state.Load()) != Closed {
		t.Fatal("opened although a success broke the run of failures, and the rest say nothing of the store")
	}
	b.record(failure) // third in a row
	err := b.allow()
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, failure) {
		t.Fatalf("open circuit allowed a call or hid the cause: %v", err)
	}

	time.Sleep(60 * time.Millisecond)
	if b.allow() != nil {
		t.Fatal("no probe after the cooldown")
	}
	if b.allow() == nil {
		t.Fatal("a second call went through while the probe runs")
	}
	b.record(context.Canceled) // a probe that says nothing: the next call probes
	if State(b.state.Load()) != Open || b.allow() != nil {
		t.Fatal("a cancelled probe did not leave the next call to probe")
	}
	b.record(failure)
	if State(b.state.Load()) != Open || b.allow() == nil {
		t.Fatal("a failed probe did not reopen the circuit for a cooldown")
	}
	time.Sleep(60 * time.Millisecond)
	if b.allow() != nil {
		t.Fatal("no probe after the second cooldown")
	}
	b.record(nil)
	if State(b.state.Load()) != Closed || b.allow() != nil {
		t.Fatal("a successful probe did not close the circuit")
	}
}

func TestDisabledBreakerNeverOpens(t *testing.T) {
	b := &breaker{threshold: -1, cooldown: time.Second, log: slog.Default()}
	for range 100 {
		b.record(errors.New("down"))
	}
	if b.allow() != nil {
		t.Fatal("a disabled breaker opened")
	}
}
