package httpcache

import (
	"errors"
	"testing"
	"time"

	"github.com/valcache/valcache/memory"
)

// TestNewRejectsBadConfig checks that New names what is wrong.
func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(nil, Config{}); !errors.Is(err, ErrNilProvider) {
		t.Fatalf("nil provider: %v", err)
	}
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, cfg := range []Config{
		{MaxBodySize: -1},
		{HeuristicFraction: 1.5},
		{StaleIfError: -time.Second},
		{OriginTimeout: -1},
		{SetCookie: 7},
	} {
		if _, err := New(p, cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("%+v: %v", cfg, err)
		}
	}
}
