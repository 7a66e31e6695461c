package search

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestParseRange(t *testing.T) {
	good := []string{"[10,20]", "(10, 20)", " [-inf,5] ", "(0,+inf]", "[1.5e3,inf)", "[-2.5,-1.25]", "[3,3]"}
	for _, expr := range good {
		f, err := ParseRange("f", expr)
		if err != nil {
			t.Errorf("ParseRange(%q): %v", expr, err)
			continue
		}
		if !f.isRange || f.field != "f" {
			t.Errorf("ParseRange(%q) = %+v: not a range on f", expr, f)
		}
	}
	f, _ := ParseRange("f", "(10, 20)")
	if !f.r.MinExcl || !f.r.MaxExcl || f.r.Min != 10 || f.r.Max != 20 {
		t.Errorf("(10, 20) parsed as %+v", f.r)
	}
	f, _ = ParseRange("f", "[-inf,5]")
	if !math.IsInf(f.r.Min, -1) || f.r.Max != 5 || f.r.MinExcl || f.r.MaxExcl {
		t.Errorf("[-inf,5] parsed as %+v", f.r)
	}
	for _, bad := range []string{"", "[", "10,20", "[10;20]", "[10,20", "[a,2]", "[1,2,3]", "[NaN,2]", "{1,2}", "[1e999,2]"} {
		if _, err := ParseRange("f", bad); !errors.Is(err, ErrBadRange) {
			t.Errorf("ParseRange(%q): %v, want ErrBadRange", bad, err)
		}
	}
}

// FuzzParseRange: any input is either a range whose bounds are ordered
// numbers, or ErrBadRange; never a panic.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"[1,2]", "(0,+inf]", "[-inf,inf)", "[,]", "((1,2))", "[1e308,1e309]", "[\x00,1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseRange("f", s)
		if err != nil {
			if !errors.Is(err, ErrBadRange) || flt.err == nil {
				t.Fatalf("ParseRange(%q): error %v not ErrBadRange, or filter %+v not failing", s, err, flt)
			}
			return
		}
		if math.IsNaN(flt.r.Min) || math.IsNaN(flt.r.Max) {
			t.Fatalf("ParseRange(%q) = %+v: NaN bound", s, flt.r)
		}
	})
}

func TestTokenize(t *testing.T) {
	got := tokenize("Valkey-Cluster: 3 nodes, ÉTÉ été; x_y", nil)
	want := []string{"valkey", "cluster", "3", "nodes", "été", "été", "x", "y"}
	if !slices.Equal(got, want) {
		t.Fatalf("tokenize = %q, want %q", got, want)
	}
	long := tokenize(string(make([]byte, 0))+"ééééééééééééééééééééééééééééééééééééééééééééééééé", nil)
	if len(long) != 1 || len(long[0]) > maxTermBytes || !utf8Valid(long[0]) {
		t.Fatalf("a long word became %q", long)
	}
}

func utf8Valid(s string) bool {
	for _, r := range s {
		if r == 0xFFFD {
			return false
		}
	}
	return true
}

func TestStructTagSchemas(t *testing.T) {
	type ok struct {
		Cat    string   `valcache:"cat,tag"`
		Labels []string `valcache:"tag"`
		N      uint16   `valcache:"n,numeric,sortable"`
		Body   string   `valcache:"text"`
		Skip   string
	}
	fields, extract, err := fromStructTags[*ok]()
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{{"cat", TagKind}, {"Labels", TagKind}, {"n", NumericKind}, {"Body", TextKind}}
	if !slices.Equal(fields, want) {
		t.Fatalf("fields = %v, want %v", fields, want)
	}
	d, err := extract(&ok{Cat: "a", Labels: []string{"x", "y"}, N: 7, Body: "hello"})
	if err != nil || d.tags["cat"][0] != "a" || len(d.tags["Labels"]) != 2 || d.nums["n"] != 7 || d.text["Body"][0] != "hello" {
		t.Fatalf("extracted %+v, %v", d, err)
	}
	if _, err := extract(nil); !errors.Is(err, ErrBadDocument) {
		t.Fatalf("nil value: %v, want ErrBadDocument", err)
	}
	type badKind struct {
		X []int `valcache:"x,numeric"`
	}
	type noKind struct {
		X string `valcache:"x"`
	}
	type unknownOpt struct {
		X string `valcache:"x,tag,fast"`
	}
	type none struct{ X string }
	for name, err := range map[string]error{
		"badKind":    second(fromStructTags[badKind]()),
		"noKind":     second(fromStructTags[noKind]()),
		"unknownOpt": second(fromStructTags[unknownOpt]()),
		"none":       second(fromStructTags[none]()),
		"notStruct":  second(fromStructTags[int]()),
	} {
		if !errors.Is(err, ErrBadSchema) {
			t.Errorf("%s: %v, want ErrBadSchema", name, err)
		}
	}
}

func second[A, B any](_ A, _ B, err error) error { return err }

func TestDocumentsAreCheckedAgainstTheSchema(t *testing.T) {
	fs, err := newFieldSet([]Field{{"t", TagKind}, {"n", NumericKind}, {"x", TextKind}})
	if err != nil {
		t.Fatal(err)
	}
	var unknown, wrong, nan, inf Document
	unknown.Tag("other", "v")
	wrong.Number("t", 1)
	nan.Number("n", math.NaN())
	inf.Number("n", math.Inf(1))
	for name, d := range map[string]Document{"unknown": unknown, "wrong": wrong, "nan": nan, "inf": inf} {
		if err := fs.check(d); !errors.Is(err, ErrBadDocument) {
			t.Errorf("%s: %v, want ErrBadDocument", name, err)
		}
	}
	if _, err := newFieldSet([]Field{{"a", TagKind}, {"a", TextKind}}); !errors.Is(err, ErrBadSchema) {
		t.Errorf("duplicate field: %v", err)
	}
}
