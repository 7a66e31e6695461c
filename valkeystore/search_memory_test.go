package valkeystore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/valkeystore"
	"github.com/valkey-io/valkey-go"
)

type article struct {
	Section string  `valcache:"section,tag"`
	Rank    float64 `valcache:"rank,numeric"`
	Title   string  `valcache:"title,text"`
}

var words = strings.Fields("valkey cluster cache search index shard slot script memory expiry tag range sort query text rank score term posting document")

func articleFor(i int) article {
	return article{
		Section: fmt.Sprintf("s%d", i%10),
		Rank:    float64(i % 1000),
		Title:   fmt.Sprintf("%s %s %s w%d", words[i%len(words)], words[(i/7)%len(words)], words[(i/31)%len(words)], i%5000),
	}
}

// indexFootprint sums MEMORY USAGE over every key under prefix and counts
// the documents indexed (members of the shards' expiry sets).
func indexFootprint(t *testing.T, ctx context.Context, c valkey.Client, prefix string) (bytes, docs int64) {
	t.Helper()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		cmds := make(valkey.Commands, 0, 2*len(e.Elements))
		var isCount []bool
		for _, k := range e.Elements {
			cmds = append(cmds, c.B().MemoryUsage().Key(k).Samples(0).Build())
			isCount = append(isCount, false)
			if strings.HasSuffix(k, "}:x") {
				cmds = append(cmds, c.B().Zcard().Key(k).Build())
				isCount = append(isCount, true)
			}
		}
		for j, r := range c.DoMulti(ctx, cmds...) {
			n, err := r.AsInt64()
			if err != nil && !valkey.IsValkeyNil(err) {
				t.Fatalf("MEMORY USAGE / ZCARD: %v", err)
			}
			if isCount[j] {
				docs += n
			} else {
				bytes += n
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return bytes, docs
		}
	}
}

// TestSearchIndexMemoryFollowsTheLiveSet writes 10^5 indexed entries that
// expire within two seconds beside a small live set, lets them expire,
// keeps writing and querying the live set, and checks that the index
// shrinks back to the live set: its document count exactly, its memory to
// about what the live set alone took.
func TestSearchIndexMemoryFollowsTheLiveSet(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10^5 entries")
	}
	addr := servers.Valkey(t).Addr()
	prefix := fmt.Sprintf("memtest%d:", time.Now().UnixNano())
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, IndexPrefix: prefix})
	raw, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := valcache.New(p, valcache.Options[int, article]{Namespace: "memtest"})
	if err != nil {
		t.Fatal(err)
	}
	x, err := search.New(c, search.Schema[article]{})
	if err != nil {
		t.Fatal(err)
	}
	const live, churn, batch = 500, 100_000, 1000
	writeLive := func() {
		t.Helper()
		m := make(map[int]article, live)
		for i := range live {
			m[i] = articleFor(i)
		}
		if err := x.SetManyWith(ctx, m, valcache.SetOptions{TTL: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	writeLive()
	liveBytes, liveDocs := indexFootprint(t, ctx, raw, prefix)
	if liveDocs != live {
		t.Fatalf("after writing the live set: %d documents, want %d", liveDocs, live)
	}
	for start := live; start < live+churn; start += batch {
		m := make(map[int]article, batch)
		for i := start; i < start+batch; i++ {
			m[i] = articleFor(i)
		}
		ttl := time.Second + time.Duration(start%1000)*time.Millisecond
		if err := x.SetManyWith(ctx, m, valcache.SetOptions{TTL: ttl}); err != nil {
			t.Fatal(err)
		}
	}
	peakBytes, peakDocs := indexFootprint(t, ctx, raw, prefix)
	t.Logf("live set alone: %d documents, %d bytes; with the churn: %d documents, %d bytes", liveDocs, liveBytes, peakDocs, peakBytes)
	if peakDocs <= live {
		t.Fatalf("after the churn: %d documents; the churn was not indexed", peakDocs)
	}

	// Every churn entry has expired two seconds after its write; from then
	// on, ordinary traffic (writes of the live set and queries) prunes them.
	time.Sleep(2 * time.Second)
	deadline := time.Now().Add(60 * time.Second)
	var bytes, docs int64
	rounds := 0
	for ; rounds < 200 && time.Now().Before(deadline); rounds++ {
		writeLive()
		r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("section", "s3")}, SortBy: "rank", Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != live/10 {
			t.Fatalf("round %d: %d live entries in section s3, want %d", rounds, r.Total, live/10)
		}
		if bytes, docs = indexFootprint(t, ctx, raw, prefix); docs == live {
			break
		}
	}
	t.Logf("after %d rounds of traffic: %d documents, %d bytes", rounds+1, docs, bytes)
	if docs != live {
		t.Fatalf("the index still holds %d documents, want the %d live ones", docs, live)
	}
	// The same documents may be laid out a little differently (allocation
	// sizes, the order members arrived in), hence a quarter of slack.
	if bytes*4 > 5*liveBytes {
		t.Fatalf("index memory %d bytes: want within 25%% of the live set's own %d (peak %d)", bytes, liveBytes, peakBytes)
	}
}
