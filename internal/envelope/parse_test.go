package envelope

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/transform"
)

// Every section written reads back, and the header ends where the payload
// starts.
func TestParseReadsWhatAppendHeaderWrote(t *testing.T) {
	m := Meta{Written: time.UnixMilli(1_700_000_000_000), FreshFor: time.Minute, Negative: true}
	chain := []byte{transform.IDZstd, transform.IDAESGCM}
	b := append(AppendHeader(nil, codec.IDMsgpack, []string{"", "red", "blue"}, []uint64{1, 2, 3}, m, chain), "payload"...)
	env, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Stamp{{"", 1}, {"red", 2}, {"blue", 3}}
	if env.Codec != codec.IDMsgpack || !env.Stamped || env.StampCount() != 3 || !slices.Equal(env.StampList(), want) || env.StampAt(2) != want[2] {
		t.Fatalf("codec %d, stamps %v", env.Codec, env.StampList())
	}
	if env.Meta != m || !bytes.Equal(env.Transforms, chain) || string(env.Payload) != "payload" || len(env.Header) != len(b)-len("payload") {
		t.Fatalf("meta %+v, transforms %v, payload %q, header %d bytes", env.Meta, env.Transforms, env.Payload, len(env.Header))
	}
	plain, err := Parse(AppendHeader(nil, codec.IDRaw, nil, nil, Meta{}, nil))
	if err != nil || plain.Stamped || plain.StampCount() != 0 || plain.StampList() != nil || plain.Meta != (Meta{}) || len(plain.Header) != HeaderLen {
		t.Fatalf("a bare header: %+v, %v", plain, err)
	}
	if err := CheckNegative(Meta{Negative: true}, []byte("x")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a negative entry's payload: %v, want ErrCorrupt", err)
	}
}

// FuzzParse: any bytes parse or are refused with ErrCorrupt, never a panic;
// what parses is written again, by AppendHeader, to a header that parses to
// the same envelope.
func FuzzParse(f *testing.F) {
	f.Add(AppendHeader(nil, codec.IDRaw, nil, nil, Meta{}, nil))
	f.Add(AppendHeader(nil, codec.IDJSON, []string{"", "t"}, []uint64{1, 2}, Meta{Written: time.UnixMilli(5), FreshFor: time.Second}, []byte{1, 2}))
	f.Add(AppendHeader(nil, codec.IDMsgpack, []string{""}, []uint64{7}, Meta{Negative: true, Written: time.UnixMilli(1)}, nil))
	f.Add([]byte{V1, FlagTransformed, codec.IDMsgpack, 2, 2, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		var tags []string
		var versions []uint64
		for _, s := range env.StampList() {
			tags, versions = append(tags, s.Tag), append(versions, s.Version)
		}
		again, err := Parse(append(AppendHeader(nil, env.Codec, tags, versions, env.Meta, env.Transforms), env.Payload...))
		if err != nil {
			t.Fatalf("the header written again does not parse: %v", err)
		}
		if again.Codec != env.Codec || again.Meta != env.Meta || !slices.Equal(again.StampList(), env.StampList()) ||
			!bytes.Equal(again.Transforms, env.Transforms) || !bytes.Equal(again.Payload, env.Payload) {
			t.Fatalf("written again, %+v parses as %+v", env, again)
		}
	})
}
