package memory

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/valcache/valcache/search/index"
)

// TestNumListMatchesASortedSlice inserts and removes at random, with many
// equal values, and checks the order both ways and every bound lookup
// against a sorted slice.
func TestNumListMatchesASortedSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var l numList
	live := map[string]float64{}
	for step := range 3000 {
		id := fmt.Sprintf("d%d", r.IntN(400))
		if v, ok := live[id]; ok && r.IntN(3) == 0 {
			l.remove(v, id)
			delete(live, id)
		} else if !ok {
			v := float64(r.IntN(50))
			l.insert(v, &indexedDoc{Doc: index.Doc{ID: id}})
			live[id] = v
		}
		if step%100 != 0 {
			continue
		}
		type kv struct {
			v  float64
			id string
		}
		var want []kv
		for id, v := range live {
			want = append(want, kv{v, id})
		}
		slices.SortFunc(want, func(a, b kv) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.id, b.id)) })
		var fwd, back []kv
		for n := l.head[0]; n != nil; n = n.next[0] {
			fwd = append(fwd, kv{n.v, n.doc.ID})
		}
		for n := l.tail; n != nil; n = n.prev {
			back = append(back, kv{n.v, n.doc.ID})
		}
		slices.Reverse(back)
		if !slices.Equal(fwd, want) || !slices.Equal(back, want) {
			t.Fatalf("step %d: forward %v, backward %v, want %v", step, fwd, back, want)
		}
		for _, bound := range []float64{-1, 0, 10, 25.5, 49, 60} {
			for _, excl := range []bool{false, true} {
				i := slices.IndexFunc(want, func(e kv) bool { return e.v > bound || (!excl && e.v == bound) })
				got := l.first(bound, excl)
				if (i < 0) != (got == nil) || (got != nil && got.doc.ID != want[i].id) {
					t.Fatalf("step %d: first(%v, %v) = %v, want index %d", step, bound, excl, got, i)
				}
				j := -1
				for k, e := range want {
					if e.v < bound || (!excl && e.v == bound) {
						j = k
					}
				}
				got = l.last(bound, excl)
				if (j < 0) != (got == nil) || (got != nil && got.doc.ID != want[j].id) {
					t.Fatalf("step %d: last(%v, %v) = %v, want index %d", step, bound, excl, got, j)
				}
			}
		}
	}
}
