package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/benchutil"
	"github.com/valkey-io/valkey-go"
)

// coldTTL is the TTL of the loaded entries on both sides (the facade's
// default).
const coldTTL = time.Hour

// asideWrite stores a loaded value only while the key still holds the
// loader's placeholder, as valkeyaside does: one GET and one SET in one
// script call.
var asideWrite = valkey.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])`)

// asideGet is a cold get-or-load with the commands of valkey-go's
// valkeyaside package (its Client.Get, for a key nobody holds or loads):
//
//  1. GET with client-side caching (DoCache): on a miss valkey-go sends
//     CLIENT CACHING YES, MULTI, PTTL, GET, EXEC in one write;
//  2. SET key <client marker> NX GET PX ttl, which takes the key for the load;
//  3. the loader, then a script that writes the value only if the marker is
//     still there (EVALSHA running GET and SET).
//
// valkeyaside itself lives in a module of its own
// (github.com/valkey-io/valkey-go/valkeyaside) that the Go module proxy
// does not serve, so this sequence stands in for it. What it leaves out
// runs once per client, not per load: valkeyaside's marker key is written
// when the first load starts and refreshed every few seconds; here it is
// written before the benchmark.
func asideGet(ctx context.Context, c valkey.Client, marker, key string, load func() string) (string, error) {
	v, err := c.DoCache(ctx, c.B().Get().Key(key).Cache(), coldTTL).ToString()
	if err == nil || !valkey.IsValkeyNil(err) {
		return v, err // a hit (never, in this benchmark), or a failure
	}
	held, err := c.Do(ctx, c.B().Set().Key(key).Value(marker).Nx().Get().PxMilliseconds(coldTTL.Milliseconds()).Build()).ToString()
	if err == nil {
		return "", fmt.Errorf("key %s is held by %q", key, held)
	}
	if !valkey.IsValkeyNil(err) {
		return "", err
	}
	v = load()
	err = asideWrite.Exec(ctx, c, []string{key}, []string{marker, v, strconv.FormatInt(coldTTL.Milliseconds(), 10)}).Error()
	return v, err
}

// BenchmarkColdLoad is a get-or-load of a key nobody has seen, so every
// operation loads (the loader returns a 100-byte value at once): valcache's
// Get against valkeyaside's sequence of commands (asideGet). The key is
// built in the operation, one allocation on each side. A cold load
// takes a fleet-wide election on both sides.
func BenchmarkColdLoad(b *testing.B) {
	ctx := context.Background()
	p := newValkeyPair(b)
	value := string(p.value)
	var next atomic.Int64
	fresh := func(prefix string) string { return prefix + strconv.FormatInt(next.Add(1), 10) }
	marker := "valkeyid:bench"
	if err := p.raw.Do(ctx, p.raw.B().Set().Key(marker).Value("").Build()).Error(); err != nil {
		b.Fatal(err)
	}
	loads := func(context.Context, string) ([]byte, error) { return p.value, nil }
	benchutil.SideBySideMeasured(b, map[string]benchutil.Impl{
		"valkeyaside-sequence": p.rawSide(func(int) {
			if v, err := asideGet(ctx, p.raw, marker, fresh("cold:"), func() string { return value }); err != nil || len(v) != valueSize {
				b.Fatal(len(v), err)
			}
		}),
		"valcache": p.vcSide(func(int) {
			if v, err := p.vc.Get(ctx, fresh("cold"), loads); err != nil || len(v) != valueSize {
				b.Fatal(len(v), err)
			}
		}),
	})
}
