package envelope

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/transform"
)

// entry is an entry as a cache without transformers writes it: header, then
// v's encoding (nothing for an absence).
func entry(t testing.TB, cd codec.Codec, v any, tags []string, versions []uint64, m Meta) []byte {
	t.Helper()
	b := AppendHeader(nil, cd.ID(), tags, versions, m, nil)
	if m.Negative {
		return b
	}
	b, err := cd.Append(b, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type describedItem struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags"`
}

func TestDescribeDecodesBuiltInCodecs(t *testing.T) {
	item := describedItem{ID: 7, Name: "Lamp", Price: 19.5, Tags: []string{"desk"}}
	for _, cd := range []codec.Codec{codec.Msgpack(), codec.JSON()} {
		b := entry(t, cd, item, nil, nil, Meta{})
		info, err := Describe(b)
		if err != nil {
			t.Fatalf("%s: %v", cd.Name(), err)
		}
		if info.CodecName != cd.Name() || info.Codec != cd.ID() || info.Format != V1 || info.Negative {
			t.Errorf("%s: header %+v", cd.Name(), info)
		}
		var back describedItem
		if err := json.Unmarshal([]byte(info.Value), &back); err != nil {
			t.Fatalf("%s: value %q is not JSON: %v (note %q)", cd.Name(), info.Value, err, info.ValueNote)
		}
		if back.ID != 7 || back.Name != "Lamp" || back.Price != 19.5 || len(back.Tags) != 1 || back.Tags[0] != "desk" {
			t.Errorf("%s: decoded %+v from %s", cd.Name(), back, info.Value)
		}
		if info.PayloadBytes != len(b)-HeaderLen {
			t.Errorf("%s: payload %d bytes, entry %d", cd.Name(), info.PayloadBytes, len(b))
		}
	}
}

func TestDescribeReadsStampsTimesAndRawValues(t *testing.T) {
	written := time.UnixMilli(1_700_000_000_000)
	b := entry(t, codec.Raw(), "héllo", []string{"", "supplier:3"}, []uint64{5, 9}, Meta{Written: written, FreshFor: 90 * time.Second})
	info, err := Describe(b)
	if err != nil {
		t.Fatal(err)
	}
	if info.CodecName != "raw" || info.Value != `"héllo"` || info.ValueNote != "" {
		t.Errorf("raw text: codec %q value %q note %q", info.CodecName, info.Value, info.ValueNote)
	}
	if len(info.Stamps) != 2 || info.Stamps[0] != (Stamp{"", 5}) || info.Stamps[1] != (Stamp{"supplier:3", 9}) {
		t.Errorf("stamps %+v", info.Stamps)
	}
	if !info.Written.Equal(written) || info.FreshFor != 90*time.Second {
		t.Errorf("times %v %v", info.Written, info.FreshFor)
	}

	bin := entry(t, codec.Raw(), "\xff\x00", nil, nil, Meta{})
	if info, err = Describe(bin); err != nil || info.Value != `"ff00"` || !strings.Contains(info.ValueNote, "hex") {
		t.Errorf("binary raw: %+v, %v", info, err)
	}

	neg := entry(t, codec.Raw(), "", nil, nil, Meta{Negative: true, Written: written, FreshFor: time.Second})
	if info, err = Describe(neg); err != nil || !info.Negative || info.Value != "" || info.ValueNote == "" {
		t.Errorf("absence: %+v, %v", info, err)
	}
}

func TestDescribeNamesTransformersAndOtherCodecs(t *testing.T) {
	chain := []byte{transform.IDZstd, transform.IDAESGCM}
	b := append(AppendHeader(nil, codec.IDRaw, nil, nil, Meta{}, chain), "sealed bytes"...)
	info, err := Describe(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Transforms) != 2 || info.Transforms[0] != transform.IDZstd || info.TransformNames[1] != "aes-gcm" {
		t.Errorf("transformers %v %v", info.Transforms, info.TransformNames)
	}
	if info.Value != "" || !strings.Contains(info.ValueNote, "transformers") {
		t.Errorf("a sealed value was shown: %q (%q)", info.Value, info.ValueNote)
	}

	gob := entry(t, codec.Gob(), describedItem{ID: 1}, nil, nil, Meta{})
	if info, err = Describe(gob); err != nil || info.CodecName != "gob" || info.Value != "" || !strings.Contains(info.ValueNote, "Go type") {
		t.Errorf("gob: %+v, %v", info, err)
	}
	if info, err = Describe([]byte{V1, 0, 99, 'x'}); err != nil || info.CodecName != "codec 99" || info.Value != "" {
		t.Errorf("unknown codec: %+v, %v", info, err)
	}
}

func TestDescribeRefusesWhatIsNotAnEntry(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":          nil,
		"short":          {1, 0},
		"unknown format": {9, 0, 1, 'x'},
		"unknown flag":   {1, 0x80, 1},
		"cut stamps":     {1, FlagTagStamps, 1, 3},
		"load marker":    []byte("\xffvalcache-load:abc"),
	} {
		if _, err := Describe(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDescribe: any bytes are described or refused, never a panic, and a
// described value is JSON.
func FuzzDescribe(f *testing.F) {
	for _, cd := range []codec.Codec{codec.JSON(), codec.Msgpack(), codec.Raw()} {
		var v any = describedItem{ID: 1, Name: "x", Tags: []string{"a"}}
		if cd.ID() == codec.IDRaw {
			v = "text"
		}
		f.Add(entry(f, cd, v, []string{"", "t"}, []uint64{1, 2}, Meta{}))
	}
	f.Add([]byte{1, FlagTimes | FlagNegative, 4, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Describe(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if info.Value != "" && info.ValueNote == "" && !json.Valid([]byte(info.Value)) {
			t.Fatalf("value %q is not JSON", info.Value)
		}
	})
}
