package codec

import (
	"bytes"
	"encoding/gob"
	"errors"
	"math"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

type gobLeaf struct {
	Values []int
	Bytes  []byte
	When   time.Time
}

type gobMid struct {
	Inner any
	Map   map[string]any
}

type celsius float64

// MarshalText makes celsius travel as a TextMarshaler blob.
func (c celsius) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(c), 'g', -1, 64)), nil
}

func (c *celsius) UnmarshalText(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	*c = celsius(f)
	return err
}

type gobNode struct {
	Name     string
	Children []*gobNode
	Next     *gobNode
}

type Place struct{ City string }

type gobEmbedded struct {
	Place
	Extra string
}

type gobKitchenSink struct {
	Any        any
	Anys       []any
	NilAny     any
	Array      [3]uint8
	Complex    complex128
	StructKeys map[address]*address
	Nested     map[string]map[string][]string
	Temp       celsius
	Addr       netip.Addr // BinaryMarshaler
	Tree       *gobNode
	Embedded   gobEmbedded
	Floats     []float32
	Uints      []uint64
	Bools      []bool
	Strs       [2]string
}

func init() {
	gob.Register(gobLeaf{})
	gob.Register(&gobMid{})
	gob.Register(map[string]any{})
	gob.Register([]any{})
	gob.Register(celsius(0))
	gob.Register(time.Time{})
	gob.Register(gobLevel1{})
	gob.Register(gobLevel2{})
	gob.Register(gobLevel3{})
}

func kitchenSink() gobKitchenSink {
	leaf := gobLeaf{Values: []int{1, -2, math.MaxInt64}, Bytes: []byte{9}, When: time.Unix(1, 2).UTC()}
	return gobKitchenSink{
		Any: &gobMid{
			Inner: leaf,
			Map:   map[string]any{"leaf": leaf, "mid": &gobMid{Inner: celsius(-40)}, "m": map[string]any{"x": 1.5}},
		},
		Anys:       []any{1, "two", []any{3.0, leaf}, time.Unix(5, 0).UTC()},
		Array:      [3]uint8{0, 128, 255},
		Complex:    complex(1.5, -2),
		StructKeys: map[address]*address{{"a", 1}: {"b", 2}},
		Nested:     map[string]map[string][]string{"x": {"y": {"z"}}},
		Temp:       36.6,
		Addr:       netip.MustParseAddr("2001:db8::1"),
		Tree: &gobNode{Name: "root", Children: []*gobNode{
			{Name: "a"}, {Name: "b", Children: []*gobNode{{Name: "c"}}},
		}},
		Embedded: gobEmbedded{Place: Place{"c"}, Extra: "e"},
		Floats:   []float32{float32(math.Inf(1)), -0.5},
		Uints:    []uint64{math.MaxUint64, 0, 1},
		Bools:    []bool{true, false},
		Strs:     [2]string{"", "ü"},
	}
}

// The scan must accept everything encoding/gob produces, including nested
// interface values that carry their own type definitions.
func TestGobKitchenSink(t *testing.T) {
	in := kitchenSink()
	data, err := Gob().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var out gobKitchenSink
	if err := Gob().Decode(data, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("got  %+v\nwant %+v", out, in)
	}
	// Decoding into a type that lacks most fields makes gob skip them,
	// interface values included.
	var partial struct{ Strs [2]string }
	if err := Gob().Decode(data, &partial); err != nil || partial.Strs != in.Strs {
		t.Errorf("partial decode: %+v %v", partial, err)
	}
	// Every value on its own, including interface values at top level.
	for _, v := range []any{in.Any, in.Anys, in.StructKeys, in.Temp, in.Addr, in.Tree, in.Complex, in.Array} {
		data, err := Gob().Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		ptr := reflect.New(reflect.TypeOf(v))
		if err := Gob().Decode(data, ptr.Interface()); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if !reflect.DeepEqual(ptr.Elem().Interface(), v) {
			t.Errorf("%T round trip = %+v", v, ptr.Elem().Interface())
		}
	}
	var iface any = in.Anys
	data, err = Gob().Append(nil, &iface)
	if err != nil {
		t.Fatal(err)
	}
	var anyOut any
	if err := Gob().Decode(data, &anyOut); err != nil || !reflect.DeepEqual(anyOut, iface) {
		t.Errorf("interface at top level: %v %v", anyOut, err)
	}
}

func linkedList(n int) *gobNode {
	var head *gobNode
	for i := 0; i < n; i++ {
		head = &gobNode{Next: head}
	}
	return head
}

func TestGobDepth(t *testing.T) {
	data, err := Gob().Append(nil, linkedList(maxDepth-10))
	if err != nil {
		t.Fatal(err)
	}
	var out gobNode
	if err := Gob().Decode(data, &out); err != nil {
		t.Fatalf("list of %d nodes: %v", maxDepth-10, err)
	}
	data, err = Gob().Append(nil, linkedList(maxDepth+10))
	if err != nil {
		t.Fatal(err)
	}
	if err := Gob().Decode(data, &out); !errors.Is(err, errTooDeep) {
		t.Fatalf("list deeper than maxDepth: err = %v", err)
	}
}

func TestGobEveryPrefixFails(t *testing.T) {
	data, err := Gob().Append(nil, kitchenSink())
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		var out gobKitchenSink
		if err := Gob().Decode(data[:i], &out); err == nil {
			t.Fatalf("prefix of %d/%d bytes decoded", i, len(data))
		}
	}
}

type gobWithAny struct {
	X any
	W int
}

type gobWithoutAny struct{ W int }

// A target without the interface field makes gob skip it by its byte count,
// which encoding/gob gets wrong when the value introduces nested types; the
// corrected stream skips correctly.
func TestGobSkipsInterfaceField(t *testing.T) {
	in := gobWithAny{X: &gobMid{Inner: gobLeaf{Values: []int{7}}, Map: map[string]any{"k": celsius(1)}}, W: 5}
	data, err := Gob().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var out gobWithoutAny
	if err := Gob().Decode(data, &out); err != nil || out.W != 5 {
		t.Fatalf("got %+v, %v", out, err)
	}
	// The same stream through encoding/gob alone fails.
	var direct gobWithoutAny
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&direct); err == nil {
		t.Log("encoding/gob now skips nested interface values correctly")
	}
	stream, err := scanGob(data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(stream, data) {
		t.Error("expected the interface counts to need correcting")
	}
	if again, err := scanGob(stream); err != nil || !bytes.Equal(again, stream) {
		t.Errorf("corrected stream is not stable: %v", err)
	}
}

// Deeply nested interface values, each introducing a new type.
type gobLevel1 struct{ A any }
type gobLevel2 struct{ B any }
type gobLevel3 struct{ C any }

func TestGobNestedInterfaces(t *testing.T) {
	long := strings.Repeat("x", 300) // pushes counts past one byte
	in := gobWithAny{X: gobLevel1{A: gobLevel2{B: []any{gobLevel3{C: long}, gobLevel3{C: gobLeaf{Values: []int{1}}}}}}, W: -1}
	data, err := Gob().Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var out gobWithAny
	if err := Gob().Decode(data, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("got %+v, %v", out, err)
	}
	var skipped gobWithoutAny
	if err := Gob().Decode(data, &skipped); err != nil || skipped.W != -1 {
		t.Fatalf("skipping: got %+v, %v", skipped, err)
	}
}

type gobAttack struct {
	X any
	M map[string]int
}

type gobAttackNoX struct{ M map[string]int }

// A crafted interface byte count that lands inside a string, where the bytes
// declare field M with 67 million entries. The scan checks the inline parse,
// so unguarded gob skipping X by the forged count would allocate gigabytes;
// with the count corrected the skip lands where the scan expects.
func TestGobForgedInterfaceCount(t *testing.T) {
	payload := string([]byte{0x01, 0xfc, 0x04, 0x00, 0x00, 0x00}) + "padding"
	data, err := Gob().Append(nil, gobAttack{X: payload, M: map[string]int{"a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("string\x0c"))
	if i < 0 {
		t.Fatalf("unexpected layout % x", data)
	}
	countPos := i + len("string\x0c")
	if data[countPos] != byte(2+len(payload)) {
		t.Fatalf("unexpected count % x", data[countPos:countPos+3])
	}
	data[countPos] = 2 // skip the singleton marker and the string length only
	var out gobAttackNoX
	n := allocated(func() { err = Gob().Decode(data, &out) })
	if n > 1<<20 {
		t.Errorf("allocated %d bytes", n)
	}
	if err != nil || out.M["a"] != 1 {
		t.Errorf("got %+v, %v", out, err)
	}
}
