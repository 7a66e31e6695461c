package valcache

import (
	"context"
	"errors"
	"testing"

	"github.com/valcache/valcache/driver"
)

var errFlaky = errors.New("flaky shard")

// partialStore fails reads of one key in every batch, as a cluster with one
// unreachable shard would.
type partialStore struct {
	byteStore
	failID string
}

func (s partialStore) GetMany(ctx context.Context, keys []driver.Key) ([][]byte, error) {
	out := make([][]byte, len(keys))
	failed := map[int]error{}
	for i, k := range keys {
		if k.ID == s.failID {
			failed[i] = errFlaky
			continue
		}
		out[i], _, _ = s.Get(ctx, k)
	}
	if len(failed) > 0 {
		return out, &driver.BatchError{Failed: failed}
	}
	return out, nil
}

func TestGetManyReportsPartialFailuresByKey(t *testing.T) {
	store := partialStore{byteStore: byteStore{}, failID: "b"}
	c, err := New(store, Options[string, int]{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for k, v := range map[string]int{"a": 1, "b": 2, "c": 3} {
		if err := c.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.GetManyIfPresent(ctx, []string{"a", "b", "c", "absent"})
	var kbe *KeyedBatchError[string]
	if !errors.As(err, &kbe) || len(kbe.Failed) != 1 || !errors.Is(kbe.Failed["b"], errFlaky) {
		t.Fatalf("GetMany error = %v, want a KeyedBatchError naming only b", err)
	}
	if !errors.Is(err, errFlaky) {
		t.Fatal("the batch error does not unwrap to the cause")
	}
	if len(got) != 2 || got["a"] != 1 || got["c"] != 3 {
		t.Fatalf("GetMany = %v, want the readable keys a and c", got)
	}
}
