package memory_test

import (
	"errors"
	"testing"

	"github.com/valcache/valcache/memory"
)

func TestInvalidConfigIsRejected(t *testing.T) {
	cases := map[string]memory.Config{
		"negative entries":   {MaxEntries: -1},
		"both bounds":        {MaxEntries: 10, MaxWeight: 10},
		"negative max value": {MaxValueBytes: -1},
		"negative TTL":       {DefaultTTL: -5},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := memory.New(cfg); !errors.Is(err, memory.ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestCloseStopsEveryGoroutine(t *testing.T) {
	for _, res := range []int64{0, -1} {
		p, err := memory.New(memory.Config{ClockResolution: durationOf(res)})
		if err != nil {
			t.Fatal(err)
		}
		_ = p.Close()
	}
	verifyNoGoroutines(t)
}
