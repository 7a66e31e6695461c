package bench

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/benchutil"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valkey-io/valkey-go"
)

// clusterEntries is how many entries the cluster benchmark reads from: far
// more than there are slots, so every primary holds about a third.
const clusterEntries = 100_000

// clusterNamespace is the namespace the cluster benchmark fills.
const clusterNamespace = "spread"

// BenchmarkValkeyClusterHit reads hits uniformly over one namespace of
// 100 000 entries on the 3-primary + 3-replica cluster: GetIfPresent
// (impl=valcache) against a raw GET of as many keys (impl=valkey-go). Next
// to cmds/op it reports each primary's share of the read commands
// (primary0-share, ..., max-share): spread evenly, each primary serves a
// third; a key that every read also fetches shows up as one primary
// serving more.
func BenchmarkValkeyClusterHit(b *testing.B) {
	ctx := context.Background()
	cluster := servers.Cluster(b)
	value := bytes.Repeat([]byte("v"), valueSize)
	raw, err := valkey.NewClient(valkey.ClientOption{InitAddress: cluster.Addrs()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(raw.Close)
	vc := newValkeyCache(b, cluster.Addrs(), clusterNamespace, nil)

	keys := make([]string, clusterEntries)
	for i := range keys {
		keys[i] = fmt.Sprintf("e%d", i)
	}
	const batch = 10_000
	for from := 0; from < clusterEntries; from += batch {
		values := make(map[string][]byte, batch)
		cmds := make(valkey.Commands, 0, batch)
		for _, k := range keys[from : from+batch] {
			values[k] = value
			cmds = append(cmds, raw.B().Set().Key("raw:"+k).Value(valkey.BinaryString(value)).PxMilliseconds(rawTTLMillis).Build())
		}
		if err := vc.SetMany(ctx, values); err != nil {
			b.Fatal(err)
		}
		for _, r := range raw.DoMulti(ctx, cmds...) {
			if err := r.Error(); err != nil {
				b.Fatal(err)
			}
		}
	}
	rawKeys := make([]string, clusterEntries)
	for i, k := range keys {
		rawKeys[i] = "raw:" + k
	}
	if err := cluster.WaitReplicated(30 * time.Second); err != nil {
		b.Fatal(err) // the replicas' late writes would be counted
	}
	logVersionKeyOwner(b, cluster.Primaries(), "vc:{"+clusterNamespace+"}:ns")

	commands := benchutil.CountCommands(cluster.Addrs()...).WithReadShares(cluster.Primaries())
	benchutil.SideBySideMeasured(b, map[string]benchutil.Impl{
		"valkey-go": {Meters: []benchutil.Meter{commands}, Op: func(i int) {
			if _, err := raw.Do(ctx, raw.B().Get().Key(rawKeys[i%clusterEntries]).Build()).AsBytes(); err != nil {
				b.Fatal(err)
			}
		}},
		"valcache": {Meters: []benchutil.Meter{commands}, Op: func(i int) {
			if _, ok, err := vc.GetIfPresent(ctx, keys[i%clusterEntries]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		}},
	})
}

// logVersionKeyOwner says which primary (in the order of the share
// metrics) holds the namespace's version key, as named in
// docs/key-layout.md: only its owner answers EXISTS without a redirection.
func logVersionKeyOwner(b *testing.B, primaries []string, key string) {
	for i, addr := range primaries {
		if n, err := testserver.Command(addr, "EXISTS", key); err == nil {
			if n == int64(1) {
				b.Logf("%s is on primary%d (%s)", key, i, addr)
			} else {
				b.Logf("%s does not exist (its slot is on primary%d, %s)", key, i, addr)
			}
			return
		}
	}
	b.Logf("no primary answers for %s", key)
}
