package valcache

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
)

// explosive's msgpack decoding panics, as a user hook or a library bug
// might on bytes nobody anticipated.
type explosive struct{ N int }

func (*explosive) UnmarshalMsgpack([]byte) error { panic("decoder bug") }

// A payload that makes the codec panic is a miss that the cache counts and
// logs with the panic, never a crash, an error to the caller or a hit; the
// same goes for bytes that are no entry at all.
func TestUndecodableEntriesAreCountedMisses(t *testing.T) {
	var logged bytes.Buffer
	store := byteStore{}
	c, err := New(store, Options[string, explosive]{Namespace: "garbage", Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload, err := codec.Msgpack().Append(nil, map[string]int{"N": 1})
	if err != nil {
		t.Fatal(err)
	}
	store[driver.Key{Namespace: "garbage", ID: "panics"}] = append(appendHeader(nil, codec.IDMsgpack, nil, meta{}, nil), payload...)
	store[driver.Key{Namespace: "garbage", ID: "garbage"}] = []byte{0xde, 0xad}
	for i, k := range []string{"panics", "garbage", "panics"} {
		v, found, err := c.GetIfPresent(context.Background(), k)
		if err != nil || found || v != (explosive{}) {
			t.Fatalf("%s: %+v, found=%v, err=%v; want a clean miss", k, v, found, err)
		}
		if got := c.Stats().DecodeErrors; got != uint64(i+1) {
			t.Fatalf("after %d undecodable reads DecodeErrors = %d", i+1, got)
		}
	}
	if out := logged.String(); !strings.Contains(out, "panic: decoder bug") || !strings.Contains(out, "key=panics") || !strings.Contains(out, "key=garbage") {
		t.Fatalf("the log does not name each entry and the panic:\n%s", out)
	}
}
