package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type address struct {
	Street string `json:"street"`
	Zip    int    `json:"zip"`
}

type record struct {
	ID       int64             `json:"id"`
	Name     string            `json:"name"`
	Home     address           `json:"home"`
	Work     *address          `json:"work"`
	Labels   map[string]int    `json:"labels"`
	Tags     []string          `json:"tags"`
	Blob     []byte            `json:"blob"`
	Created  time.Time         `json:"created"`
	Nested   map[string][]int8 `json:"nested"`
	Ratio    float64           `json:"ratio"`
	Active   bool              `json:"active"`
	MinInt64 int64             `json:"min_int64"`
	MaxInt64 int64             `json:"max_int64"`
	MaxUint  uint64            `json:"max_uint"`
	MinInt8  int8              `json:"min_int8"`
	MaxUint8 uint8             `json:"max_uint8"`
	MinInt32 int32             `json:"min_int32"`
	MaxU32   uint32            `json:"max_u32"`
	secret   string            // unexported: every codec must ignore it
}

func sampleRecord() record {
	return record{
		ID:       42,
		Name:     "Zoë <&> \"quoted\"",
		Home:     address{Street: "1 Main St", Zip: 12345},
		Work:     &address{Street: "2 Side Rd", Zip: 54321},
		Labels:   map[string]int{"a": 1, "b": -2},
		Tags:     []string{"x", "y", ""},
		Blob:     []byte{0, 1, 2, 0xff},
		Created:  time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("X", 5*3600)),
		Nested:   map[string][]int8{"n": {math.MinInt8, 0, math.MaxInt8}},
		Ratio:    -1.5e-300,
		Active:   true,
		MinInt64: math.MinInt64,
		MaxInt64: math.MaxInt64,
		MaxUint:  math.MaxUint64,
		MinInt8:  math.MinInt8,
		MaxUint8: math.MaxUint8,
		MinInt32: math.MinInt32,
		MaxU32:   math.MaxUint32,
		secret:   "must not travel",
	}
}

// equalRecord compares records, treating times as equal when they denote the
// same instant: codecs legitimately differ in the zone they restore.
func equalRecord(t *testing.T, got, want record) {
	t.Helper()
	if !got.Created.Equal(want.Created) {
		t.Errorf("Created = %v, want %v", got.Created, want.Created)
	}
	got.Created, want.Created = time.Time{}, time.Time{}
	want.secret = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func allCodecs() []Codec { return []Codec{JSON(), Gob(), Msgpack(), Raw()} }

func structCodecs() []Codec { return []Codec{JSON(), Gob(), Msgpack()} }

func TestIDsAndNames(t *testing.T) {
	want := map[byte]string{IDRaw: "raw", IDJSON: "json", IDGob: "gob", IDMsgpack: "msgpack"}
	for _, c := range allCodecs() {
		if want[c.ID()] != c.Name() {
			t.Errorf("%s has id %d", c.Name(), c.ID())
		}
		got, ok := ByID(c.ID())
		if !ok || got.ID() != c.ID() || got.Name() != c.Name() {
			t.Errorf("ByID(%d) = %v, %v", c.ID(), got, ok)
		}
	}
	for _, id := range []byte{0, 5, 0xff} {
		if c, ok := ByID(id); ok || c != nil {
			t.Errorf("ByID(%d) = %v, %v; want nil, false", id, c, ok)
		}
	}
}

type token string
type blob []byte
type myByte uint8

func TestDefault(t *testing.T) {
	check := func(name string, got Codec, want byte) {
		t.Helper()
		if got.ID() != want {
			t.Errorf("Default[%s]() = %s", name, got.Name())
		}
	}
	check("string", Default[string](), IDRaw)
	check("[]byte", Default[[]byte](), IDRaw)
	check("token", Default[token](), IDRaw)
	check("blob", Default[blob](), IDRaw)
	check("json.RawMessage", Default[json.RawMessage](), IDRaw)
	check("[]myByte", Default[[]myByte](), IDRaw)
	check("int", Default[int](), IDMsgpack)
	check("*string", Default[*string](), IDMsgpack)
	check("[4]byte", Default[[4]byte](), IDMsgpack)
	check("[]int", Default[[]int](), IDMsgpack)
	check("record", Default[record](), IDMsgpack)
	check("any", Default[any](), IDMsgpack)
	check("map", Default[map[string]string](), IDMsgpack)
}

func TestRoundTripRecord(t *testing.T) {
	for _, c := range structCodecs() {
		t.Run(c.Name(), func(t *testing.T) {
			in := sampleRecord()
			prefix := []byte("envelope")
			data, err := c.Append(prefix, in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("envelope")) {
				t.Fatalf("Append clobbered dst: %q", data[:8])
			}
			payload := data[len(prefix):]
			if bytes.Contains(payload, []byte("must not travel")) {
				t.Error("unexported field was encoded")
			}
			var out record
			out.secret = "kept"
			if err := c.Decode(payload, &out); err != nil {
				t.Fatal(err)
			}
			if out.secret != "kept" {
				t.Error("decode touched the unexported field")
			}
			out.secret = ""
			equalRecord(t, out, sampleRecord())

			// Decode must not retain the input: scribble over it and
			// check the decoded value did not change.
			for i := range payload {
				payload[i] = 'X'
			}
			equalRecord(t, out, sampleRecord())
		})
	}
}

func TestRoundTripScalars(t *testing.T) {
	values := []any{
		int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64),
		int8(math.MinInt8), uint16(math.MaxUint16), int32(math.MinInt32),
		"", "héllo", 3.5, true, []int{1, 2, 3}, map[string]string{"k": "v"},
		[]byte("bytes"), [3]int{7, 8, 9},
	}
	for _, c := range structCodecs() {
		for _, v := range values {
			data, err := c.Append(nil, v)
			if err != nil {
				t.Fatalf("%s: Append(%T): %v", c.Name(), v, err)
			}
			ptr := reflect.New(reflect.TypeOf(v))
			if err := c.Decode(data, ptr.Interface()); err != nil {
				t.Fatalf("%s: Decode(%T): %v", c.Name(), v, err)
			}
			if got := ptr.Elem().Interface(); !reflect.DeepEqual(got, v) {
				t.Errorf("%s: %T round trip = %#v, want %#v", c.Name(), v, got, v)
			}
		}
	}
}

func TestTimeRoundTrip(t *testing.T) {
	times := []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(1<<34, 999999999), // needs the 12-byte msgpack form
		time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Now(),
	}
	for _, c := range structCodecs() {
		for _, tm := range times {
			data, err := c.Append(nil, tm)
			if err != nil {
				t.Fatal(err)
			}
			var got time.Time
			if err := c.Decode(data, &got); err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
			if !got.Equal(tm) {
				t.Errorf("%s: time %v round trip = %v", c.Name(), tm, got)
			}
		}
	}
}

func TestDecodeBadTarget(t *testing.T) {
	var nilRecord *record
	var s string
	targets := map[string]any{
		"nil":         nil,
		"non-pointer": record{},
		"nil pointer": nilRecord,
		"string":      s,
	}
	for _, c := range allCodecs() {
		data, _ := c.Append(nil, "x")
		for name, target := range targets {
			err := c.Decode(data, target)
			if !errors.Is(err, ErrUnsupportedType) {
				t.Errorf("%s: Decode into %s: err = %v, want ErrUnsupportedType", c.Name(), name, err)
				continue
			}
			if prefix := "codec: " + c.Name() + ": decode: "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("%s: error %q lacks prefix %q", c.Name(), err, prefix)
			}
		}
	}
}

func TestErrorPrefixes(t *testing.T) {
	for _, c := range structCodecs() {
		_, err := c.Append(nil, make(chan int))
		if err == nil || !strings.HasPrefix(err.Error(), "codec: "+c.Name()+": encode: ") {
			t.Errorf("%s: encode error = %v", c.Name(), err)
		}
		var r record
		err = c.Decode([]byte{0xc1, 0xff, 0x00}, &r)
		if err == nil || !strings.HasPrefix(err.Error(), "codec: "+c.Name()+": decode: ") {
			t.Errorf("%s: decode error = %v", c.Name(), err)
		}
	}
}

func TestAppendKeepsDstOnError(t *testing.T) {
	dst := []byte("head")
	for _, c := range allCodecs() {
		out, err := c.Append(dst, make(chan int))
		if err == nil {
			t.Fatalf("%s: no error for chan", c.Name())
		}
		if string(out) != "head" {
			t.Errorf("%s: Append returned %q on error", c.Name(), out)
		}
	}
}

func TestGobNilPointer(t *testing.T) {
	var p *record
	if _, err := Gob().Append(nil, p); err == nil {
		t.Fatal("no error for nil pointer")
	}
}

// garbage is a set of inputs every decoder must refuse or decode, never
// panic on. cut marks the strict prefixes of a valid encoding, which must
// be refused: read as a value, a cut-short entry would be a wrong hit.
func garbage() []garbageInput {
	var in []garbageInput
	for _, b := range [][]byte{
		nil, {}, {0}, {0xc1}, {0xff}, {0x80}, {0x7f, 0x00}, []byte("{"), []byte("null"),
		[]byte(`{"id":1e400}`), bytes.Repeat([]byte{0x91}, 100000), bytes.Repeat([]byte("["), 100000),
		bytes.Repeat([]byte{0xff}, 64), {0xdd, 0xff, 0xff, 0xff, 0xff}, {0xc6, 0xff, 0xff, 0xff, 0xff},
	} {
		in = append(in, garbageInput{b: b})
	}
	for _, c := range structCodecs() {
		data, _ := c.Append(nil, sampleRecord())
		for i := range data {
			in = append(in, garbageInput{b: data[:i], cut: c.Name()})
			flipped := bytes.Clone(data)
			flipped[i] ^= 0xff
			in = append(in, garbageInput{b: flipped})
		}
	}
	return in
}

type garbageInput struct {
	b   []byte
	cut string // the codec whose encoding b is a strict prefix of, if any
}

func decodeTargets() []func() any {
	return []func() any{
		func() any { return new(record) },
		func() any { return new(any) },
		func() any { return new(map[string]any) },
		func() any { return new([]any) },
		func() any { return new([]byte) },
		func() any { return new(string) },
		func() any { return new(map[string]string) },
		func() any { return new([]record) },
		func() any { return new(map[any]any) },
		func() any { return new(time.Time) },
		func() any { return new(int) },
		func() any { return new(token) },
		// Partial and interface-holding structs make gob skip fields.
		func() any { return new(struct{ Home address }) },
		func() any { return new(gobWithAny) },
		func() any { return new(gobWithoutAny) },
		func() any { return new(gobKitchenSink) },
	}
}

// TestDecodeGarbage: whatever the input, Decode returns the codec's own
// error or a value, and a cut-short encoding is always an error. No error
// may be a recovered panic: recoverPanic is the last line of defence, and a
// library that panics on garbage means a guard in front of it (the msgpack
// and gob scans, the target check) let through what it cannot take.
func TestDecodeGarbage(t *testing.T) {
	for _, c := range allCodecs() {
		for n, in := range garbage() {
			for _, target := range decodeTargets() {
				dst := target()
				err := c.Decode(in.b, dst)
				switch {
				case err == nil && in.cut == c.Name():
					t.Errorf("%s: %d of its own bytes decoded into %T, want an error for a cut-short encoding", c.Name(), len(in.b), dst)
				case err == nil:
				case strings.Contains(err.Error(), ": panic: "):
					t.Errorf("%s: garbage %d (%d bytes) into %T: the decoder panicked, which a guard must prevent: %v", c.Name(), n, len(in.b), dst, err)
				case !strings.HasPrefix(err.Error(), "codec: "+c.Name()+": decode: ") && !errors.Is(err, ErrUnsupportedType):
					t.Errorf("%s: garbage %d into %T: error %q is not the codec's", c.Name(), n, dst, err)
				}
			}
		}
	}
}

// panicky panics in every encoding's unmarshal hook, as a user type or a
// library bug might.
type panicky struct{}

func (*panicky) UnmarshalJSON([]byte) error     { panic("unmarshal hook") }
func (*panicky) GobDecode([]byte) error         { panic("unmarshal hook") }
func (*panicky) UnmarshalMsgpack([]byte) error  { panic("unmarshal hook") }
func (panicky) MarshalJSON() ([]byte, error)    { return []byte(`"x"`), nil }
func (panicky) GobEncode() ([]byte, error)      { return []byte("x"), nil }
func (panicky) MarshalMsgpack() ([]byte, error) { return []byte{0xa1, 'x'}, nil }

// A panic inside a decode becomes that decode's error, named as a panic,
// rather than crashing the reader or passing for success; the codec then
// still decodes what is valid.
func TestDecodePanicBecomesError(t *testing.T) {
	for _, c := range structCodecs() {
		data, err := c.Append(nil, panicky{})
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		err = c.Decode(data, new(panicky))
		if err == nil || !strings.HasPrefix(err.Error(), "codec: "+c.Name()+": decode: panic: ") || !strings.Contains(err.Error(), "unmarshal hook") {
			t.Errorf("%s: a panicking unmarshal hook: error %v, want it reported as the decode's panic", c.Name(), err)
		}
		good, _ := c.Append(nil, sampleRecord())
		var back record
		if err := c.Decode(good, &back); err != nil {
			t.Fatalf("%s: after a panic, a valid payload: %v", c.Name(), err)
		}
		equalRecord(t, back, sampleRecord())
	}
}
