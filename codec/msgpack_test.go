package codec

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

type tagged struct {
	JSONOnly    string `json:"json_name"`
	Both        string `json:"json_both" msgpack:"mp_both"`
	MsgpackOnly string `msgpack:"mp_only"`
	Untagged    string
	Skipped     string `json:"-"`
	Empty       string `json:"empty,omitempty"`
	private     string
}

func TestMsgpackStructTags(t *testing.T) {
	in := tagged{JSONOnly: "a", Both: "b", MsgpackOnly: "c", Untagged: "d", Skipped: "e", private: "f"}
	data, err := Msgpack().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := Msgpack().Decode(data, &keys); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"json_name": "a", "mp_both": "b", "mp_only": "c", "Untagged": "d"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("encoded fields = %v, want %v", keys, want)
	}
	var out tagged
	if err := Msgpack().Decode(data, &out); err != nil {
		t.Fatal(err)
	}
	if want := (tagged{JSONOnly: "a", Both: "b", MsgpackOnly: "c", Untagged: "d"}); out != want {
		t.Errorf("round trip = %+v, want %+v", out, want)
	}
}

// A struct written for JSON must decode from a msgpack map keyed by its JSON
// names, e.g. one produced by another service.
func TestMsgpackDecodesJSONNamedMap(t *testing.T) {
	data, err := msgpack.Marshal(map[string]any{"id": 7, "name": "n", "home": map[string]any{"zip": 9}})
	if err != nil {
		t.Fatal(err)
	}
	var r record
	if err := Msgpack().Decode(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != 7 || r.Name != "n" || r.Home.Zip != 9 {
		t.Errorf("decoded %+v", r)
	}
}

type interned struct {
	S string `msgpack:"s,intern"`
	A any    `msgpack:"a,intern"`
}

// Interned strings are the one extension whose body the library reads with
// ReadByte; the guard must let every index through, including the ones that
// look like map headers (0x80-0x8f, 0xde, 0xdf).
func TestMsgpackInternedStrings(t *testing.T) {
	var in []interned
	for round := 0; round < 2; round++ {
		for i := 0; i < 70000; i += 1 + i/300 {
			in = append(in, interned{S: fmt.Sprintf("str%05d", i), A: fmt.Sprintf("any%05d", i)})
		}
	}
	data, err := Msgpack().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var out []interned
	if err := Msgpack().Decode(data, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Error("interned strings did not round trip")
	}
}

// point is a user extension whose opaque body is read with Read, like a
// timestamp.
type point struct{ X, Y int8 }

func (p *point) MarshalMsgpack() ([]byte, error) { return []byte{0xdf, byte(p.X), byte(p.Y)}, nil }

func (p *point) UnmarshalMsgpack(b []byte) error {
	if len(b) != 3 {
		return fmt.Errorf("point: %d bytes", len(b))
	}
	p.X, p.Y = int8(b[1]), int8(b[2])
	return nil
}

func TestMsgpackUserExtension(t *testing.T) {
	msgpack.RegisterExt(17, (*point)(nil))
	defer msgpack.UnregisterExt(17)
	in := map[string]*point{"a": {1, 2}, "b": {-3, 4}}
	data, err := Msgpack().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]*point
	if err := Msgpack().Decode(data, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("got %v", out)
	}
	var anyOut any
	if err := Msgpack().Decode(data, &anyOut); err != nil {
		t.Fatal(err)
	}
}

// Timestamps whose body bytes look like map headers must still decode into
// every kind of time target.
func TestMsgpackTimestampsLookingLikeMaps(t *testing.T) {
	type withTime struct {
		T  time.Time            `json:"t"`
		P  *time.Time           `json:"p"`
		M  map[string]time.Time `json:"m"`
		A  any                  `json:"a"`
		TS []time.Time          `json:"ts"`
	}
	for _, first := range []int64{0x80, 0x85, 0x8f, 0xde, 0xdf} {
		// In the 8-byte form the first body byte is nsec>>22.
		tm := time.Unix(1700000000, first<<22+12345)
		in := withTime{T: tm, P: &tm, M: map[string]time.Time{"k": tm}, A: tm, TS: []time.Time{tm, tm}}
		data, err := Msgpack().Append(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		var out withTime
		if err := Msgpack().Decode(data, &out); err != nil {
			t.Fatalf("first body byte 0x%x: %v", first, err)
		}
		if !out.T.Equal(tm) || !out.P.Equal(tm) || !out.M["k"].Equal(tm) || !out.A.(time.Time).Equal(tm) || !out.TS[1].Equal(tm) {
			t.Errorf("first body byte 0x%x: got %+v", first, out)
		}
	}
}

type customRaw struct {
	Raw msgpack.RawMessage `json:"raw"`
	N   int                `json:"n"`
}

func TestMsgpackRawMessageAndPooling(t *testing.T) {
	inner, _ := Msgpack().Append(nil, []int{1, 2, 3})
	in := customRaw{Raw: inner, N: 5}
	data, err := Msgpack().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	// Interleave failing and succeeding decodes so pooled decoders are
	// reused after errors.
	for i := 0; i < 50; i++ {
		var bad customRaw
		_ = Msgpack().Decode(data[:len(data)-1], &bad)
		var out customRaw
		if err := Msgpack().Decode(data, &out); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out, in) {
			t.Fatalf("got %+v", out)
		}
	}
}
