package valcache

import (
	"errors"
	"testing"
	"time"
)

func TestTTLPolicy(t *testing.T) {
	p := ttlPolicy{def: time.Minute}
	cases := []struct {
		in   time.Duration
		want time.Duration
		err  error
	}{
		{0, time.Minute, nil},
		{time.Second, time.Second, nil},
		{NoExpiry, NoExpiry, nil},
		{-2, 0, ErrInvalidTTL},
		{-time.Hour, 0, ErrInvalidTTL},
	}
	for _, c := range cases {
		got, err := p.resolve(c.in)
		if !errors.Is(err, c.err) || (err == nil && got != c.want) {
			t.Errorf("resolve(%v) = %v, %v; want %v, %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestJitterShortensWithinBoundsAndSpreads(t *testing.T) {
	p := ttlPolicy{def: 10 * time.Second, jitter: 0.2}
	seen := map[time.Duration]bool{}
	for range 1000 {
		got, err := p.resolve(0)
		if err != nil {
			t.Fatal(err)
		}
		if got > 10*time.Second || got < 8*time.Second {
			t.Fatalf("jittered TTL %v outside [8s, 10s]", got)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Fatalf("1000 jittered TTLs took only %d distinct values", len(seen))
	}
	if got, _ := p.resolve(NoExpiry); got != NoExpiry {
		t.Fatalf("jitter changed NoExpiry into %v", got)
	}
	tiny, _ := ttlPolicy{def: 1, jitter: 0.99}.resolve(0)
	if tiny <= 0 {
		t.Fatalf("jitter reduced a 1ns TTL to %v", tiny)
	}
}

func TestOptionsValidation(t *testing.T) {
	bad := []Options[string, int]{
		{TTL: -time.Second},
		{Jitter: -0.1},
		{Jitter: 1},
	}
	for _, o := range bad {
		if err := o.validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("validate(%+v) = %v, want ErrInvalidOptions", o, err)
		}
	}
	if err := (Options[string, int]{TTL: NoExpiry, Jitter: 0.5}).validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
}
