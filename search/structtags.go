package search

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// tagged is one struct field indexed through its `valcache` tag.
type tagged struct {
	index []int
	name  string
	kind  Kind
}

// fromStructTags reads the fields of V's struct tags and returns them with
// an extractor.
func fromStructTags[V any]() ([]Field, func(V) (Document, error), error) {
	t := reflect.TypeFor[V]()
	ptr := t.Kind() == reflect.Pointer
	if ptr {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("%w: %v is not a struct: give Fields and Extract", ErrBadSchema, reflect.TypeFor[V]())
	}
	var fields []tagged
	for _, sf := range reflect.VisibleFields(t) {
		spec, ok := sf.Tag.Lookup("valcache")
		if !ok || !sf.IsExported() {
			continue
		}
		f, err := parseFieldTag(sf, spec)
		if err != nil {
			return nil, nil, err
		}
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("%w: %v has no field with a valcache tag", ErrBadSchema, t)
	}
	decl := make([]Field, len(fields))
	for i, f := range fields {
		decl[i] = Field{Name: f.name, Kind: f.kind}
	}
	extract := func(v V) (Document, error) {
		rv := reflect.ValueOf(&v).Elem()
		if ptr {
			if rv.IsNil() {
				return Document{}, fmt.Errorf("%w: nil value", ErrBadDocument)
			}
			rv = rv.Elem()
		}
		var d Document
		for _, f := range fields {
			fv, err := rv.FieldByIndexErr(f.index)
			if err != nil {
				continue // through a nil embedded pointer: the field is absent
			}
			addField(&d, f, fv)
		}
		return d, nil
	}
	return decl, extract, nil
}

func parseFieldTag(sf reflect.StructField, spec string) (tagged, error) {
	f := tagged{index: sf.Index, name: sf.Name}
	for i, part := range strings.Split(spec, ",") {
		switch part {
		case "tag":
			f.kind = TagKind
		case "numeric":
			f.kind = NumericKind
		case "text":
			f.kind = TextKind
		case "sortable":
		default:
			if i != 0 || part == "" {
				return f, fmt.Errorf("%w: field %s: unknown option %q in tag %q", ErrBadSchema, sf.Name, part, spec)
			}
			f.name = part
		}
	}
	if f.kind == 0 {
		return f, fmt.Errorf("%w: field %s: tag %q names no kind (tag, numeric or text)", ErrBadSchema, sf.Name, spec)
	}
	if !kindFits(f.kind, sf.Type) {
		return f, fmt.Errorf("%w: field %s of type %v cannot be a %v field", ErrBadSchema, sf.Name, sf.Type, f.kind)
	}
	return f, nil
}

func kindFits(k Kind, t reflect.Type) bool {
	isStrings := t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String
	switch k {
	case TagKind:
		return isStrings || isInt(t) || isUint(t) || t.Kind() == reflect.String || t.Kind() == reflect.Bool
	case NumericKind:
		return isInt(t) || isUint(t) || t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64
	case TextKind:
		return isStrings || t.Kind() == reflect.String
	}
	return false
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

func isUint(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// addField adds one struct field's value to d; kindFits has checked its type.
func addField(d *Document, f tagged, v reflect.Value) {
	t := v.Type()
	switch f.kind {
	case TagKind:
		switch {
		case t.Kind() == reflect.String:
			d.Tag(f.name, v.String())
		case t.Kind() == reflect.Slice:
			for i := range v.Len() {
				d.Tag(f.name, v.Index(i).String())
			}
		case t.Kind() == reflect.Bool:
			d.Tag(f.name, strconv.FormatBool(v.Bool()))
		case isInt(t):
			d.Tag(f.name, strconv.FormatInt(v.Int(), 10))
		default:
			d.Tag(f.name, strconv.FormatUint(v.Uint(), 10))
		}
	case NumericKind:
		switch {
		case isInt(t):
			d.Number(f.name, float64(v.Int()))
		case isUint(t):
			d.Number(f.name, float64(v.Uint()))
		default:
			d.Number(f.name, v.Float())
		}
	case TextKind:
		if t.Kind() == reflect.String {
			d.Text(f.name, v.String())
			return
		}
		for i := range v.Len() {
			d.Text(f.name, v.Index(i).String())
		}
	}
}
