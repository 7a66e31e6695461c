package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/benchutil"
	"github.com/valcache/valcache/valkeystore"
	"github.com/valkey-io/valkey-go"
)

// valueSize is the size of the values of the Valkey benchmarks: small
// enough that the round trip, not the copy, is what is measured.
const valueSize = 100

// rawTTL is the expiry raw writes set, the facade's default TTL.
const rawTTLMillis = 3_600_000

func newRawValkey(b *testing.B, addr string, w *benchutil.SocketWrites) valkey.Client {
	opt := valkey.ClientOption{InitAddress: []string{addr}}
	if w != nil {
		w.ClientOption(&opt)
	}
	c, err := valkey.NewClient(opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

func newValkeyCache(b *testing.B, addrs []string, ns string, w *benchutil.SocketWrites) *valcache.Cache[string, []byte] {
	cfg := valkeystore.Config{Addrs: addrs}
	if w != nil {
		cfg.ClientOption = w.ClientOption
	}
	p, err := valkeystore.New(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	c, err := valcache.New(p, valcache.Options[string, []byte]{Namespace: ns})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// valkeyPair is the common ground of the Valkey single-node benchmarks: a
// value, key names for each side, a raw valkey-go client and a valcache
// cache on the shared server, each with its connections' writes counted,
// and the server's command counter. Benchmarks run one after another and
// close their clients when they end, so while one runs its two clients are
// the server's only ones (see benchutil.ServerCommands).
type valkeyPair struct {
	value               []byte
	rawKeys, keys       []string
	raw                 valkey.Client
	vc                  *valcache.Cache[string, []byte]
	rawWrites, vcWrites *benchutil.SocketWrites
	commands            *benchutil.ServerCommands
}

func newValkeyPair(b *testing.B) *valkeyPair {
	addr := servers.Valkey(b).Addr()
	p := &valkeyPair{
		value:     bytes.Repeat([]byte("v"), valueSize),
		rawKeys:   benchKeys("raw:"),
		keys:      benchKeys("k"),
		rawWrites: &benchutil.SocketWrites{},
		vcWrites:  &benchutil.SocketWrites{},
		commands:  benchutil.CountCommands(addr),
	}
	p.raw = newRawValkey(b, addr, p.rawWrites)
	p.vc = newValkeyCache(b, []string{addr}, "bench", p.vcWrites)
	return p
}

// fill writes every key on both sides.
func (p *valkeyPair) fill(b *testing.B) {
	ctx := context.Background()
	cmds := make(valkey.Commands, 0, keyCount)
	values := make(map[string][]byte, keyCount)
	for i := range keyCount {
		cmds = append(cmds, p.raw.B().Set().Key(p.rawKeys[i]).Value(valkey.BinaryString(p.value)).PxMilliseconds(rawTTLMillis).Build())
		values[p.keys[i]] = p.value
	}
	for _, r := range p.raw.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.vc.SetMany(ctx, values); err != nil {
		b.Fatal(err)
	}
}

// rawSide and vcSide measure an operation of each side: allocations, the
// server's commands, and (at one goroutine) the side's round trips.
func (p *valkeyPair) rawSide(op func(int)) benchutil.Impl {
	return benchutil.Impl{Op: op, Meters: []benchutil.Meter{p.commands, p.rawWrites}}
}

func (p *valkeyPair) vcSide(op func(int)) benchutil.Impl {
	return benchutil.Impl{Op: op, Meters: []benchutil.Meter{p.commands, p.vcWrites}}
}

// BenchmarkValkeyHit is a hit: GetIfPresent (impl=valcache), Get with a
// loader that never runs (impl=valcache-get), and a raw GET.
func BenchmarkValkeyHit(b *testing.B) {
	ctx := context.Background()
	p := newValkeyPair(b)
	p.fill(b)
	never := func(context.Context, string) ([]byte, error) { b.Fatal("loader ran on a hit"); return nil, nil }
	benchutil.SideBySideMeasured(b, map[string]benchutil.Impl{
		"valkey-go": p.rawSide(func(i int) {
			if _, err := p.raw.Do(ctx, p.raw.B().Get().Key(p.rawKeys[i%keyCount]).Build()).AsBytes(); err != nil {
				b.Fatal(err)
			}
		}),
		"valcache": p.vcSide(func(i int) {
			if _, ok, err := p.vc.GetIfPresent(ctx, p.keys[i%keyCount]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		}),
		"valcache-get": p.vcSide(func(i int) {
			if _, err := p.vc.Get(ctx, p.keys[i%keyCount], never); err != nil {
				b.Fatal(err)
			}
		}),
	})
}

// BenchmarkValkeySet is Set against a raw SET … PX.
func BenchmarkValkeySet(b *testing.B) {
	ctx := context.Background()
	p := newValkeyPair(b)
	benchutil.SideBySideMeasured(b, map[string]benchutil.Impl{
		"valkey-go": p.rawSide(func(i int) {
			cmd := p.raw.B().Set().Key(p.rawKeys[i%keyCount]).Value(valkey.BinaryString(p.value)).PxMilliseconds(rawTTLMillis).Build()
			if err := p.raw.Do(ctx, cmd).Error(); err != nil {
				b.Fatal(err)
			}
		}),
		"valcache": p.vcSide(func(i int) {
			if err := p.vc.Set(ctx, p.keys[i%keyCount], p.value); err != nil {
				b.Fatal(err)
			}
		}),
	})
}

// batchSize is how many keys a GetMany reads.
const batchSize = 100

// BenchmarkValkeyGetMany is GetMany of 100 present keys against a raw
// MGET of 100 keys whose values are copied out as []byte (what GetMany
// returns).
func BenchmarkValkeyGetMany(b *testing.B) {
	ctx := context.Background()
	p := newValkeyPair(b)
	p.fill(b)
	const batches = keyCount / batchSize
	benchutil.SideBySideMeasured(b, map[string]benchutil.Impl{
		"valkey-go": p.rawSide(func(i int) {
			from := (i % batches) * batchSize
			vals, err := p.raw.Do(ctx, p.raw.B().Mget().Key(p.rawKeys[from:from+batchSize]...).Build()).ToArray()
			if err != nil || len(vals) != batchSize {
				b.Fatal(len(vals), err)
			}
			for _, v := range vals {
				if _, err := v.AsBytes(); err != nil {
					b.Fatal(err)
				}
			}
		}),
		"valcache": p.vcSide(func(i int) {
			from := (i % batches) * batchSize
			got, err := p.vc.GetManyIfPresent(ctx, p.keys[from:from+batchSize])
			if err != nil || len(got) != batchSize {
				b.Fatal(len(got), err)
			}
		}),
	})
}
