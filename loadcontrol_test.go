package valcache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoadingIsNilOutsideALoaderAndItsMethodsAreSafe(t *testing.T) {
	lc := Loading(context.Background())
	if lc != nil {
		t.Fatal("Loading outside a loader is not nil")
	}
	lc.SetTTL(time.Second)
	lc.AddTags("t")
	lc.NoStore()
}

func TestLoadControlKeepsWhatTheLoaderDecidedUntilItReturns(t *testing.T) {
	ctx, lc := withLoadControl(context.Background())
	if Loading(ctx) != lc {
		t.Fatal("Loading does not return the load's control")
	}
	lc.SetTTL(time.Minute)
	lc.AddTags("a", "b")
	lc.NoStore()
	ch := lc.finish()
	lc.SetTTL(time.Hour) // after the loader returned: ignored
	lc.AddTags("late")
	if !ch.ttlSet || ch.ttl != time.Minute || !ch.noStore || strings.Join(ch.tags, ",") != "a,b" {
		t.Fatalf("choice = %+v", ch)
	}
	if got := lc.finish(); got.ttl != time.Minute || len(got.tags) != 2 {
		t.Fatalf("calls after the loader returned changed the choice: %+v", got)
	}
	if d := (loadChoice{}).ttlFor(time.Second); d != time.Second {
		t.Fatalf("without SetTTL the asked TTL stays: %v", d)
	}
}

type shelf struct{ items []int }

func (s shelf) Clone() shelf { return shelf{items: append([]int(nil), s.items...)} }

func TestClonerCopiesBytesAndClonesCloneableValuesAndSharesTheRest(t *testing.T) {
	b := []byte("abc")
	c := cloner[[]byte]()(b)
	c[0] = 'X'
	if string(b) != "abc" {
		t.Fatal("a []byte was not copied")
	}
	if cloner[[]byte]()(nil) != nil {
		t.Fatal("a nil []byte became non-nil")
	}
	s := shelf{items: []int{1}}
	cs := cloner[shelf]()(s)
	cs.items[0] = 2
	if s.items[0] != 1 {
		t.Fatal("a value with Clone was not cloned")
	}
	if cloner[string]() != nil || cloner[struct{ X []int }]() != nil {
		t.Fatal("values without Clone are shared: no cloner")
	}
}

func TestKeyedBatchErrorNamesTheSmallestKeyEveryTime(t *testing.T) {
	failed := map[int]error{}
	for i := 30; i > 0; i-- {
		failed[i] = errors.New("boom")
	}
	e := &KeyedBatchError[int]{Failed: failed}
	for range 20 {
		if msg := e.Error(); msg != "valcache: 30 keys of a batch failed (e.g. 1: boom)" {
			t.Fatalf("message %q", msg)
		}
	}
}
