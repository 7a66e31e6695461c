package valcache

import (
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
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
