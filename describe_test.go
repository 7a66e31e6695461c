package valcache

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/transform"
)

type describedItem struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags"`
}

func TestDescribeEntryDecodesBuiltInCodecs(t *testing.T) {
	item := describedItem{ID: 7, Name: "Lamp", Price: 19.5, Tags: []string{"desk"}}
	dk := driver.Key{Namespace: "pipe", ID: "k"}
	for _, cd := range []codec.Codec{codec.Msgpack(), codec.JSON()} {
		c, err := New(byteStore{}, Options[string, describedItem]{Namespace: "pipe", Codec: cd, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.appendEntry(nil, dk, item, nil, meta{})
		if err != nil {
			t.Fatal(err)
		}
		info, err := DescribeEntry(b)
		if err != nil {
			t.Fatalf("%s: %v", cd.Name(), err)
		}
		if info.CodecName != cd.Name() || info.Codec != cd.ID() || info.Format != envelopeV1 || info.Negative {
			t.Errorf("%s: header %+v", cd.Name(), info)
		}
		var back describedItem
		if err := json.Unmarshal([]byte(info.Value), &back); err != nil {
			t.Fatalf("%s: value %q is not JSON: %v (note %q)", cd.Name(), info.Value, err, info.ValueNote)
		}
		if back.ID != 7 || back.Name != "Lamp" || back.Price != 19.5 || len(back.Tags) != 1 || back.Tags[0] != "desk" {
			t.Errorf("%s: decoded %+v from %s", cd.Name(), back, info.Value)
		}
		if info.PayloadBytes != len(b)-envelopeHeaderLen {
			t.Errorf("%s: payload %d bytes, entry %d", cd.Name(), info.PayloadBytes, len(b))
		}
	}
}

func TestDescribeEntryReadsStampsTimesAndRawValues(t *testing.T) {
	c := newByteCache[string](t, byteStore{})
	dk := driver.Key{Namespace: "pipe", ID: "k"}
	st := &Stamp{tags: []string{"", "supplier:3"}, versions: []uint64{5, 9}}
	written := time.UnixMilli(1_700_000_000_000)
	b, err := c.appendEntry(nil, dk, "héllo", st, meta{written: written, freshFor: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	info, err := DescribeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if info.CodecName != "raw" || info.Value != `"héllo"` || info.ValueNote != "" {
		t.Errorf("raw text: codec %q value %q note %q", info.CodecName, info.Value, info.ValueNote)
	}
	if len(info.Stamps) != 2 || info.Stamps[0] != (TagStamp{"", 5}) || info.Stamps[1] != (TagStamp{"supplier:3", 9}) {
		t.Errorf("stamps %+v", info.Stamps)
	}
	if !info.Written.Equal(written) || info.FreshFor != 90*time.Second {
		t.Errorf("times %v %v", info.Written, info.FreshFor)
	}

	bin, err := c.appendEntry(nil, dk, "\xff\x00", nil, meta{})
	if err != nil {
		t.Fatal(err)
	}
	if info, err = DescribeEntry(bin); err != nil || info.Value != `"ff00"` || !strings.Contains(info.ValueNote, "hex") {
		t.Errorf("binary raw: %+v, %v", info, err)
	}

	neg, err := c.appendEntry(nil, dk, "", nil, meta{negative: true, written: written, freshFor: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if info, err = DescribeEntry(neg); err != nil || !info.Negative || info.Value != "" || info.ValueNote == "" {
		t.Errorf("absence: %+v, %v", info, err)
	}
}

func TestDescribeEntryNamesTransformersAndOtherCodecs(t *testing.T) {
	c := newByteCache[string](t, byteStore{}, testZstd(t, 0), testAES(t, 1))
	b, err := c.appendEntry(nil, driver.Key{Namespace: "pipe", ID: "k"}, strings.Repeat("x", 500), nil, meta{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := DescribeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Transforms) != 2 || info.Transforms[0] != transform.IDZstd || info.TransformNames[1] != "aes-gcm" {
		t.Errorf("transformers %v %v", info.Transforms, info.TransformNames)
	}
	if info.Value != "" || !strings.Contains(info.ValueNote, "transformers") {
		t.Errorf("a sealed value was shown: %q (%q)", info.Value, info.ValueNote)
	}

	gob, err := appendEnvelope(nil, codec.Gob(), describedItem{ID: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info, err = DescribeEntry(gob); err != nil || info.CodecName != "gob" || info.Value != "" || !strings.Contains(info.ValueNote, "Go type") {
		t.Errorf("gob: %+v, %v", info, err)
	}
	if info, err = DescribeEntry([]byte{envelopeV1, 0, 99, 'x'}); err != nil || info.CodecName != "codec 99" || info.Value != "" {
		t.Errorf("unknown codec: %+v, %v", info, err)
	}
}

func TestDescribeEntryRefusesWhatIsNotAnEntry(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short":          {1, 0},
		"unknown format": {9, 0, 1, 'x'},
		"unknown flag":   {1, 0x80, 1},
		"cut stamps":     {1, flagTagStamps, 1, 3},
		"load marker":    []byte("\xffvalcache-load:abc"),
	} {
		if _, err := DescribeEntry(b); !errors.Is(err, ErrCorruptEntry) {
			t.Errorf("%s: err %v, want ErrCorruptEntry", name, err)
		}
	}
}

// FuzzDescribeEntry: any bytes are described or refused, never a panic, and
// a described value is JSON.
func FuzzDescribeEntry(f *testing.F) {
	for _, cd := range []codec.Codec{codec.JSON(), codec.Msgpack(), codec.Raw()} {
		var v any = describedItem{ID: 1, Name: "x", Tags: []string{"a"}}
		if cd.ID() == codec.IDRaw {
			v = "text"
		}
		b, err := appendEnvelope(nil, cd, v, &Stamp{tags: []string{"", "t"}, versions: []uint64{1, 2}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{1, flagTimes | flagNegative, 4, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := DescribeEntry(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptEntry) {
				t.Fatalf("error %v does not wrap ErrCorruptEntry", err)
			}
			return
		}
		if info.Value != "" && info.ValueNote == "" && !json.Valid([]byte(info.Value)) {
			t.Fatalf("value %q is not JSON", info.Value)
		}
	})
}
