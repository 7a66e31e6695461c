package driver_test

import (
	"context"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
)

type base struct{}

func (base) Get(context.Context, driver.Key) ([]byte, bool, error)        { return nil, false, nil }
func (base) Set(context.Context, driver.Key, []byte, time.Duration) error { return nil }
func (base) Delete(context.Context, driver.Key) error                     { return nil }
func (base) Clear(context.Context, string) error                          { return nil }
func (base) Close() error                                                 { return nil }
func (base) Ping(context.Context) error                                   { return nil }

type wrapper struct {
	base
	inner driver.Provider
}

func (w wrapper) Unwrap() driver.Provider { return w.inner }

type looping struct{ base }

func (l *looping) Unwrap() driver.Provider { return l }

func TestFindWalksTheUnwrapChain(t *testing.T) {
	inner := struct {
		driver.Provider
		driver.Flusher
	}{base{}, nil}
	outer := wrapper{inner: wrapper{inner: inner}}
	f, ok := driver.Find[driver.Flusher](outer)
	if !ok || f == nil {
		t.Fatalf("Find through two wrappers = %v, %v; want the innermost provider's Flusher", f, ok)
	}
	if pg, ok := driver.Find[driver.Pinger](outer); !ok || pg != driver.Pinger(outer) {
		t.Fatalf("Find of a capability the outer provider has = %v, %v; want the outer provider", pg, ok)
	}
	if _, ok := driver.Find[driver.Swapper](outer); ok {
		t.Fatal("Find reported a capability no provider of the chain has")
	}
	if _, ok := driver.Find[driver.Swapper](&looping{}); ok {
		t.Fatal("Find over a wrapper that unwraps to itself reported a capability")
	}
	if _, ok := driver.Find[driver.Pinger](nil); ok {
		t.Fatal("Find over nil reported a capability")
	}
}
