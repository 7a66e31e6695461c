package codec

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// seedValues are encoded by every codec to seed the decode fuzzers with
// valid input, which mutations then take apart.
func seedValues() []any {
	tm := time.Unix(1700000000, 0xde<<22)
	return []any{
		sampleRecord(),
		[]record{sampleRecord(), {}},
		map[string]any{"a": 1, "b": []any{"x", 2.5, true, nil}, "c": map[string]any{"d": tm}},
		[]any{int64(-1), uint64(math.MaxUint64), "s", []byte{1, 2}},
		tm,
		"plain string",
		[]byte{0xde, 0xad},
		int64(math.MinInt64),
		map[string]string{"k": "v"},
		[]interned{{S: "interned", A: "interned"}, {S: "interned", A: "interned"}},
	}
}

func fuzzDecode(f *testing.F, c Codec, extra ...[]byte) {
	for _, v := range seedValues() {
		if data, err := c.Append(nil, v); err == nil {
			f.Add(data)
		}
	}
	for _, seed := range extra {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		targets := decodeTargets()
		n := allocated(func() {
			for _, target := range targets {
				_ = c.Decode(data, target())
			}
		})
		if !bytes.Equal(data, orig) {
			t.Fatal("Decode modified its input")
		}
		// Decoded values may be much larger than their encoding (a nil
		// encodes a whole struct), but only by a bounded factor.
		if limit := uint64(1<<20 + 4096*len(data)); n > limit {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), n)
		}
	})
}

func FuzzDecodeMsgpack(f *testing.F) {
	fuzzDecode(f, Msgpack(),
		[]byte{0xdd, 0xff, 0xff, 0xff, 0xf0, 0xc0},
		[]byte{0xd7, 0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0, 0, 0},
		[]byte{0xd4, 0x80, 0xdf, 0xdd, 0xff, 0xff, 0xff, 0xf0},
		[]byte{0x81, 0xa1, 'k', 0xc7, 0x03, 0x01, 0x81, 0xa1, 'k'},
	)
}

func FuzzDecodeGob(f *testing.F) {
	var seeds [][]byte
	for _, v := range []any{kitchenSink(), gobWithAny{X: gobLevel1{A: gobLevel2{B: []any{gobLevel3{C: "c"}}}}}} {
		data, err := Gob().Append(nil, v)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	fuzzDecode(f, Gob(), seeds...)
}

func FuzzDecodeJSON(f *testing.F) {
	fuzzDecode(f, JSON(), []byte(`{"id":1,"labels":{"a":1},"work":{"zip":2},"created":"2024-01-01T00:00:00Z"}`), []byte(`[[[[[]]]]]`))
}

func FuzzDecodeRaw(f *testing.F) {
	fuzzDecode(f, Raw(), []byte("raw"), []byte{0xff, 0})
}

// FuzzRoundTrip checks that the decode guards never reject what the
// encoders produce, for arbitrary field values.
func FuzzRoundTrip(f *testing.F) {
	f.Add("name", []byte{1}, int64(-5), uint64(7), 1.5, int64(1700000000), int64(0xde<<22))
	f.Add("", []byte(nil), int64(math.MinInt64), uint64(math.MaxUint64), -0.0, int64(-1), int64(999999999))
	f.Add("\xff", []byte{0xdf, 0xff}, int64(0), uint64(0), math.Inf(1), int64(1<<40), int64(0x85<<22))
	f.Fuzz(func(t *testing.T, s string, b []byte, i int64, u uint64, fl float64, sec, nsec int64) {
		in := record{
			ID: i, Name: s, MaxUint: u, Ratio: fl, Blob: b, Tags: []string{s, s},
			Labels: map[string]int{s: int(i)}, Nested: map[string][]int8{s: {int8(i)}},
			Work: &address{Street: s, Zip: int(u >> 1)}, Created: time.Unix(sec, nsec),
		}
		for _, c := range structCodecs() {
			data, err := c.Append(nil, in)
			if err != nil {
				if c.ID() == IDJSON { // NaN, ±Inf and years outside 0-9999
					continue
				}
				t.Fatalf("%s: encode: %v", c.Name(), err)
			}
			var out record
			if err := c.Decode(data, &out); err != nil {
				if c.ID() == IDJSON && !utf8.ValidString(s) {
					continue
				}
				t.Fatalf("%s: decode: %v", c.Name(), err)
			}
			if math.IsNaN(fl) || (c.ID() == IDJSON && !utf8.ValidString(s)) {
				continue
			}
			if c.ID() == IDGob && len(b) == 0 {
				out.Blob = in.Blob // gob does not send empty slices
			}
			want := in
			if !out.Created.Equal(want.Created) {
				t.Fatalf("%s: time %v round trip = %v", c.Name(), want.Created, out.Created)
			}
			out.Created, want.Created = time.Time{}, time.Time{}
			if !reflect.DeepEqual(out, want) {
				t.Fatalf("%s: round trip\ngot  %+v\nwant %+v", c.Name(), out, want)
			}
		}
		// Interface values exercise the gob length corrections.
		v := gobWithAny{X: gobLevel1{A: []any{s, b, i, gobLevel3{C: fl}}}, W: int(i)}
		data, err := Gob().Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		var out gobWithAny
		if err := Gob().Decode(data, &out); err != nil {
			t.Fatalf("gob: %v", err)
		}
		var skipped gobWithoutAny
		if err := Gob().Decode(data, &skipped); err != nil || skipped.W != int(i) {
			t.Fatalf("gob skip: %+v %v", skipped, err)
		}
	})
}
