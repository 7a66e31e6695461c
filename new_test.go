package valcache_test

import (
	"errors"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

func TestNewRejectsBadInput(t *testing.T) {
	if _, err := valcache.New[string, int](nil, valcache.Options[string, int]{}); !errors.Is(err, valcache.ErrNilProvider) {
		t.Fatalf("nil provider: %v, want ErrNilProvider", err)
	}
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := valcache.New(p, valcache.Options[string, int]{Jitter: 2}); !errors.Is(err, valcache.ErrInvalidOptions) {
		t.Fatalf("jitter 2: %v, want ErrInvalidOptions", err)
	}
	c, err := valcache.New(p, valcache.Options[string, int]{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Namespace() != valcache.DefaultNamespace {
		t.Fatalf("namespace %q, want the default", c.Namespace())
	}
}
