package valcache

import (
	"testing"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
)

type benchRecord struct {
	ID    int64
	Name  string
	Tags  []string
	Price float64
}

// BenchmarkEnvelope measures the byte path's own cost, without a provider:
// encoding an entry into a pooled buffer, and decoding it back.
func BenchmarkEnvelope(b *testing.B) {
	c, err := New(byteStore{}, Options[string, benchRecord]{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	dk := driver.Key{Namespace: "bench", ID: "item:1"}
	v := benchRecord{ID: 1, Name: "widget", Tags: []string{"a", "b"}, Price: 9.5}
	m := meta{written: time.UnixMilli(1_700_000_000_000), freshFor: time.Minute}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf := c.bufs.get()
			var err error
			if buf.b, err = benchEncode(c, buf.b[:0], dk, v, m); err != nil {
				b.Fatal(err)
			}
			c.bufs.put(buf)
		}
	})
	stored, err := benchEncode(c, nil, dk, v, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := c.decode(dk, stored, false); !ok {
				b.Fatal("miss")
			}
		}
	})
}

func benchEncode(c *Cache[string, benchRecord], dst []byte, dk driver.Key, v benchRecord, m meta) ([]byte, error) {
	return c.appendEntry(dst, dk, v, nil, m)
}

// BenchmarkPipeline measures encoding (codec, then the chain, into a pooled
// buffer) and decoding per codec, chain and value size, on catalog records
// (raw: their JSON text). stored-B is the size of the stored entry.
func BenchmarkPipeline(b *testing.B) {
	z, err := zstd.New(zstd.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer z.Close()
	a := testAES(b, 1)
	chains := []struct {
		name  string
		chain []transform.Transformer
	}{{"none", nil}, {"zstd", []transform.Transformer{z}}, {"aes-gcm", []transform.Transformer{a}}, {"zstd+aes-gcm", []transform.Transformer{z, a}}}
	for _, size := range []struct {
		name string
		n    int
	}{{"100B", 100}, {"4KiB", 4 << 10}, {"256KiB", 256 << 10}} {
		records, text := catalogCorpus(size.n)
		for _, ch := range chains {
			benchPipeline(b, "raw/"+ch.name+"/"+size.name, ch.chain, codec.Raw(), text)
			for _, cd := range []codec.Codec{codec.JSON(), codec.Gob(), codec.Msgpack()} {
				benchPipeline(b, cd.Name()+"/"+ch.name+"/"+size.name, ch.chain, cd, records)
			}
		}
	}
}

func benchPipeline[V any](b *testing.B, name string, chain []transform.Transformer, cd codec.Codec, v V) {
	c, err := New(byteStore{}, Options[string, V]{Namespace: "bench", Codec: cd, Transformers: chain})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	dk := driver.Key{Namespace: "bench", ID: "product:1"}
	stored, err := c.appendEntry(nil, dk, v, nil, meta{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run(name+"/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf := c.bufs.get()
			if buf.b, err = c.appendEntry(buf.b[:0], dk, v, nil, meta{}); err != nil {
				b.Fatal(err)
			}
			c.bufs.put(buf)
		}
		b.ReportMetric(float64(len(stored)), "stored-B")
	})
	b.Run(name+"/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := c.decode(dk, stored, false); !ok {
				b.Fatal("miss")
			}
		}
	})
}
