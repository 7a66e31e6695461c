package codec

import (
	"bytes"
	"encoding/gob"
	"runtime"
	"testing"
	"time"
)

// allocated reports the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// decodeBounded decodes in into every target and fails if a decode succeeds
// or allocates more than a small multiple of the input.
func decodeBounded(t *testing.T, c Codec, name string, in []byte) {
	t.Helper()
	const limit = 1 << 20
	for _, target := range decodeTargets() {
		v := target()
		var err error
		n := allocated(func() { err = c.Decode(in, v) })
		if err == nil {
			t.Errorf("%s into %T: no error", name, v)
		}
		if n > limit {
			t.Errorf("%s into %T: allocated %d bytes from %d bytes of input", name, v, n, len(in))
		}
	}
}

func TestMsgpackHugeLengthPrefixes(t *testing.T) {
	cases := map[string][]byte{
		"bin32":          {0xc6, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3},
		"str32":          {0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'},
		"array32":        {0xdd, 0xff, 0xff, 0xff, 0xf0, 0xc0, 0xc0},
		"array16":        {0xdc, 0xff, 0xff, 0xc0},
		"map32":          {0xdf, 0xff, 0xff, 0xff, 0xf0, 0xa1, 'k', 0xc0},
		"ext32":          {0xc9, 0xff, 0xff, 0xff, 0xf0, 0xff, 0, 0, 0, 0},
		"nested array32": {0x91, 0x91, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01},
		"map of array32": {0x81, 0xa1, 'k', 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x01},
		"ext8 as map32":  {0xc7, 0x05, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff},
		"ext as array32": {0xd6, 0x01, 0xdd, 0xff, 0xff, 0xff},
		// An interned-string reference whose index byte is a map32 header.
		"intern as map32": {0xd4, 0x80, 0xdf, 0xdd, 0xff, 0xff, 0xff, 0xf0},
		"deep nesting":    bytes.Repeat([]byte{0x91}, 50000),
	}
	for name, in := range cases {
		decodeBounded(t, Msgpack(), name, in)
	}
}

// A timestamp whose body starts with a map header is valid msgpack, and
// decodes as a time, but a map target makes the library parse its body as a
// map with an unchecked length.
func TestMsgpackTimestampParsedAsMap(t *testing.T) {
	cases := map[string][]byte{
		"map32":  {0xd7, 0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0, 0, 0},
		"map16":  {0xd6, 0xff, 0xde, 0xff, 0xff, 0x00},
		"fixmap": {0xd6, 0xff, 0x8f, 0xdf, 0xff, 0xff},
	}
	targets := []func() any{
		func() any { return new(map[string]any) },
		func() any { return new(map[string]string) },
		func() any { return new(map[any]any) },
		func() any { return new(map[string][]int) },
	}
	for name, in := range cases {
		var tm time.Time
		if err := Msgpack().Decode(in, &tm); err != nil {
			t.Errorf("%s: as time: %v", name, err)
		}
		for _, target := range targets {
			v := target()
			var err error
			n := allocated(func() { err = Msgpack().Decode(in, v) })
			if err == nil || n > 1<<20 {
				t.Errorf("%s into %T: err %v, allocated %d bytes", name, v, err, n)
			}
		}
	}
}

func TestMsgpackScan(t *testing.T) {
	valid := [][]byte{
		{0xc0}, {0x00}, {0xff}, {0x90}, {0x80}, {0xa0},
		{0x92, 0x01, 0x02}, {0x81, 0xa1, 'k', 0xc3},
		{0xd7, 0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0, 0, 0}, // opaque body: not looked into
		{0xc7, 0x00, 0x05}, // empty extension
		{0xcb, 0, 0, 0, 0, 0, 0, 0, 0},
		append([]byte{0xdc, 0x00, 0x03}, 1, 2, 3),
	}
	for _, in := range valid {
		if _, err := scanMsgpack(in, nil); err != nil {
			t.Errorf("scan(% x) = %v", in, err)
		}
	}
	invalid := [][]byte{
		nil, {0xc1}, {0x92, 0x01}, {0x01, 0x02}, {0xcb, 0}, {0xd9}, {0xd9, 0x02, 'a'},
		{0xc7, 0x01}, {0xdc, 0x00}, {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
		bytes.Repeat([]byte{0x91}, maxDepth+1),
	}
	for _, in := range invalid {
		if _, err := scanMsgpack(in, nil); err == nil {
			t.Errorf("scan(% x) accepted", in[:min(len(in), 16)])
		}
	}
	deepest := append(bytes.Repeat([]byte{0x91}, maxDepth), 0xc0)
	if _, err := scanMsgpack(deepest, nil); err != nil {
		t.Errorf("nesting of exactly maxDepth rejected: %v", err)
	}
	marks, _ := scanMsgpack([]byte{0x92, 0xd4, 0x80, 0x05, 0xd6, 0xff, 1, 2, 3, 4}, nil)
	if want := []extMark{{body: 3, intern: true}, {body: 6}}; len(marks) != 2 || marks[0] != want[0] || marks[1] != want[1] {
		t.Errorf("marks = %v, want %v", marks, want)
	}
}

// gobMapCountAttack builds a gob stream for map[string]int whose entry count
// is count. Unguarded, encoding/gob allocates the map from that count.
func gobMapCountAttack(t *testing.T, count uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// The value message is the last one: [len][type id][singleton 0][count 1]["a"][1].
	i := bytes.LastIndex(b, []byte{0x00, 0x01, 0x01, 'a'})
	if i < 0 {
		t.Fatalf("unexpected gob layout % x", b)
	}
	msgStart := bytes.LastIndexByte(b[:i], 0x07) // length of the 7-byte value message
	out := append([]byte{}, b[:i+1]...)
	out = append(out, 0xfc, byte(count>>24), byte(count>>16), byte(count>>8), byte(count))
	out = append(out, b[i+2:]...)
	out[msgStart] = 0x07 + 4
	return out
}

func TestGobHugeMapCount(t *testing.T) {
	in := gobMapCountAttack(t, 1<<26)
	// The stream is otherwise well formed: a plain gob decode of a sane
	// count works.
	var m map[string]int
	if err := Gob().Decode(gobMapCountAttack(t, 1), &m); err != nil || m["a"] != 1 {
		t.Fatalf("control decode: %v %v", m, err)
	}
	decodeBounded(t, Gob(), "map count 1<<26", in)
	decodeBounded(t, Gob(), "map count 1<<32-1", gobMapCountAttack(t, 1<<32-1))
}

func TestGobMalformed(t *testing.T) {
	valid, err := Gob().Append(nil, sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":            nil,
		"message too long": {0xfc, 0x7f, 0xff, 0xff, 0xff, 0x01},
		"bad uint":         {0xf0, 0x01},
		"trailing":         append(bytes.Clone(valid), 0x01, 0x00),
		"huge slice":       {0x04, 0x0a, 0x00, 0xfc, 0x7f},
		"huge string":      {0x06, 0x0c, 0x00, 0xfc, 0x7f, 0xff, 0xff, 0xff},
	}
	for name, in := range cases {
		decodeBounded(t, Gob(), name, in)
	}
}

func TestJSONHostile(t *testing.T) {
	cases := map[string][]byte{
		"deep":      bytes.Repeat([]byte("["), 20000),
		"deep obj":  bytes.Repeat([]byte(`{"a":`), 20000),
		"truncated": []byte(`{"id": 1, "name": "x`),
		"trailing":  []byte(`{} {}`),
	}
	for name, in := range cases {
		decodeBounded(t, JSON(), name, in)
	}
}
