package search

import (
	"fmt"
	"math"
	"time"
)

// Kind is how a field is indexed and queried.
type Kind uint8

const (
	// TagKind fields hold exact values (categories, flags, ids), matched
	// exactly by Tag filters, any of several values at once.
	TagKind Kind = iota + 1
	// NumericKind fields hold one number, matched by ranges and used to
	// sort.
	NumericKind
	// TextKind fields are split into lower-case words for full-text search.
	// All text fields of a value are searched together.
	TextKind
)

func (k Kind) String() string {
	switch k {
	case TagKind:
		return "tag"
	case NumericKind:
		return "numeric"
	case TextKind:
		return "text"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Field declares one indexed field.
type Field struct {
	Name string
	Kind Kind
}

// DefaultTimeout bounds a Query or Search whose context has no earlier
// deadline.
const DefaultTimeout = 5 * time.Second

// Schema says what to index of a value.
//
// Either give Fields and Extract, or neither: the fields are then read
// from V's struct tags (V a struct or a pointer to one):
//
//	type Product struct {
//		Category string   `valcache:"category,tag"`
//		Price    float64  `valcache:"price,numeric,sortable"`
//		Title    string   `valcache:"title,text"`
//	}
//
// The first element names the field (the Go name when it is a kind
// instead); "sortable" may be added to numeric fields for readability: every
// numeric field sorts. Tag fields may be strings, string slices, booleans
// or integers; numeric fields integers or floats; text fields strings or
// string slices.
type Schema[V any] struct {
	Fields  []Field
	Extract func(V) (Document, error)
	// Timeout bounds each Query and Search; zero means DefaultTimeout.
	Timeout time.Duration
}

// Document is what is indexed of one value. Build it with its methods in
// an Extract function.
type Document struct {
	tags map[string][]string
	nums map[string]float64
	text map[string][]string
}

// Tag adds values to a tag field.
func (d *Document) Tag(field string, values ...string) {
	if d.tags == nil {
		d.tags = map[string][]string{}
	}
	d.tags[field] = append(d.tags[field], values...)
}

// Number sets a numeric field.
func (d *Document) Number(field string, v float64) {
	if d.nums == nil {
		d.nums = map[string]float64{}
	}
	d.nums[field] = v
}

// Text adds text to a text field.
func (d *Document) Text(field string, s string) {
	if d.text == nil {
		d.text = map[string][]string{}
	}
	d.text[field] = append(d.text[field], s)
}

// fieldSet is a schema's fields by name.
type fieldSet map[string]Kind

func newFieldSet(fields []Field) (fieldSet, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no fields", ErrBadSchema)
	}
	fs := fieldSet{}
	for _, f := range fields {
		if f.Name == "" {
			return nil, fmt.Errorf("%w: a field has no name", ErrBadSchema)
		}
		if f.Kind < TagKind || f.Kind > TextKind {
			return nil, fmt.Errorf("%w: field %q has no kind", ErrBadSchema, f.Name)
		}
		if _, dup := fs[f.Name]; dup {
			return nil, fmt.Errorf("%w: field %q declared twice", ErrBadSchema, f.Name)
		}
		fs[f.Name] = f.Kind
	}
	return fs, nil
}

// check reports a document field the schema does not declare with that kind,
// and numbers that cannot be ordered.
func (fs fieldSet) check(d Document) error {
	for name := range d.tags {
		if err := fs.want(name, TagKind); err != nil {
			return err
		}
	}
	for name, v := range d.nums {
		if err := fs.want(name, NumericKind); err != nil {
			return err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: field %q is %v: numbers must be finite", ErrBadDocument, name, v)
		}
	}
	for name := range d.text {
		if err := fs.want(name, TextKind); err != nil {
			return err
		}
	}
	return nil
}

func (fs fieldSet) want(name string, k Kind) error {
	got, ok := fs[name]
	if !ok {
		return fmt.Errorf("%w: field %q is not in the schema", ErrBadDocument, name)
	}
	if got != k {
		return fmt.Errorf("%w: field %q is %v, given as %v", ErrBadDocument, name, got, k)
	}
	return nil
}
