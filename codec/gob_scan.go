package codec

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// The gob wire format, as encoding/gob's decoder reads it, mirrored here
// without building any values.
const (
	gobFirstUserID = 64 // ids below are predefined
	gobMaxNameLen  = 1024
	gobTooBig      = (1 << 30) << (^uint(0) >> 62)

	// Predefined type ids that values can refer to.
	gobBool      = 1
	gobInt       = 2
	gobUint      = 3
	gobFloat     = 4
	gobBytes     = 5
	gobString    = 6
	gobComplex   = 7
	gobInterface = 8
)

var (
	errGobShort = errors.New("gob: unexpected end of data")
	errGobUint  = errors.New("gob: malformed unsigned integer")
	errGobField = errors.New("gob: field number out of range")
	errGobWire  = errors.New("gob: malformed type definition")
)

type gobKind uint8

const (
	gobArray gobKind = iota + 1
	gobSlice
	gobStruct
	gobMap
	gobOpaque // GobEncoder, BinaryMarshaler or TextMarshaler: a length-prefixed blob
)

// gobType is what the scan needs to know about a type defined in the stream.
type gobType struct {
	kind   gobKind
	key    int32 // map key
	elem   int32 // array, slice and map element
	length uint64
	fields []int32 // struct field types, by field number
}

// gobScanner walks a gob stream the way encoding/gob's Decoder does, so that
// what it accepts the decoder parses identically, and checks what the decoder
// does not.
//
// encoding/gob sizes a map from its count before reading any entry
// (reflect.MakeMapWithSize in decodeMap), and that count is not checked
// against the input: a 26-byte stream declaring 67 million entries makes
// Decode allocate 3.4 GB, and a larger count exhausts memory, which is fatal.
// The scan rejects maps, slices and arrays with more elements than there are
// bytes left, and limits nesting like the other codecs.
//
// Interface values carry a byte count that the decoder ignores when it
// decodes the value but uses to skip it when the target has no such field.
// The encoder gets that count wrong whenever a type is first sent inside a
// nested interface value (the count then covers only part of the value), so
// gob itself fails to skip such fields; and a crafted count would make the
// decoder resume at an offset the scan never checked. The scan therefore
// records the true length of every interface value, and scanGob hands the
// decoder a copy of the stream with the counts (and the lengths of the
// messages holding them) corrected, so skipping and decoding always agree.
type gobScanner struct {
	data  []byte
	pos   int
	end   int // end of the current message; reads past it fail, as in the decoder
	types map[int32]*gobType
	depth int

	inline  int // interface values being walked; messages may not start inside one
	grow    int // bytes the patches so far add to the stream
	patches []gobPatch
	msg     gobMessage
}

// gobPatch replaces the unsigned integer of the given width at pos.
type gobPatch struct {
	pos, width int
	value      uint64
}

// gobMessage remembers the current message so its length can be corrected.
type gobMessage struct {
	active bool
	prefix int // offset of the length prefix
	width  int // width of the length prefix
	length int
	grow   int // s.grow when the message started
}

// scanGob checks that data is a gob stream holding exactly one value and
// returns the stream to decode: data itself, or a corrected copy.
func scanGob(data []byte) ([]byte, error) {
	s := gobScanner{data: data}
	if err := s.run(); err != nil {
		return nil, err
	}
	if len(s.patches) == 0 {
		return data, nil
	}
	fixed := s.rebuild()
	// The corrected stream must parse the same way and need no correction.
	again := gobScanner{data: fixed}
	if err := again.run(); err != nil || len(again.patches) != 0 {
		return nil, errors.New("gob: inconsistent interface lengths")
	}
	return fixed, nil
}

func (s *gobScanner) run() error {
	id, err := s.typeSequence(false)
	if err != nil {
		return err
	}
	if err := s.value(id); err != nil {
		return err
	}
	if s.pos != len(s.data) {
		return errTrailing
	}
	s.finishMessage()
	return nil
}

// rebuild applies the patches to a copy of the stream.
func (s *gobScanner) rebuild() []byte {
	slices.SortFunc(s.patches, func(a, b gobPatch) int { return a.pos - b.pos })
	out := make([]byte, 0, len(s.data)+s.grow)
	prev := 0
	for _, p := range s.patches {
		out = append(out, s.data[prev:p.pos]...)
		out = appendGobUint(out, p.value)
		prev = p.pos + p.width
	}
	return append(out, s.data[prev:]...)
}

func gobUintLen(x uint64) int {
	if x <= 0x7f {
		return 1
	}
	return 1 + (bits.Len64(x)+7)/8
}

func appendGobUint(b []byte, x uint64) []byte {
	if x <= 0x7f {
		return append(b, byte(x))
	}
	n := gobUintLen(x) - 1
	b = append(b, byte(-n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(x>>(8*i)))
	}
	return b
}

func (s *gobScanner) left() int { return s.end - s.pos }

// uint reads gob's variable-length unsigned integer: one byte below 0x80,
// otherwise a negated byte count followed by that many big-endian bytes.
func (s *gobScanner) uint() (uint64, error) {
	if s.pos >= s.end {
		return 0, errGobShort
	}
	b := s.data[s.pos]
	s.pos++
	if b <= 0x7f {
		return uint64(b), nil
	}
	n := -int(int8(b))
	if n > 8 {
		return 0, errGobUint
	}
	if s.left() < n {
		return 0, errGobShort
	}
	var x uint64
	for _, c := range s.data[s.pos : s.pos+n] {
		x = x<<8 | uint64(c)
	}
	s.pos += n
	return x, nil
}

func (s *gobScanner) int() (int64, error) {
	x, err := s.uint()
	if x&1 != 0 {
		return ^int64(x >> 1), err
	}
	return int64(x >> 1), err
}

// typeID reads a type id stored inside a type definition, where the decoder
// rejects values that overflow its int32 type ids.
func (s *gobScanner) typeID() (int32, error) {
	x, err := s.int()
	if err != nil {
		return 0, err
	}
	if x < math.MinInt32 || x > math.MaxInt32 {
		return 0, errGobWire
	}
	return int32(x), nil
}

// blob skips a length-prefixed byte string.
func (s *gobScanner) blob() error {
	n, err := s.uint()
	if err != nil {
		return err
	}
	if n > uint64(s.left()) {
		return fmt.Errorf("gob: length %d exceeds the %d bytes left", n, s.left())
	}
	s.pos += int(n)
	return nil
}

// nextMessage starts the next length-delimited message of the stream.
func (s *gobScanner) nextMessage() error {
	if s.inline > 0 {
		// The encoder never splits an interface value across messages,
		// and a correction inside one could not be propagated.
		return errors.New("gob: message boundary inside an interface value")
	}
	s.finishMessage()
	s.end = len(s.data)
	prefix := s.pos
	n, err := s.uint()
	if err != nil {
		return err
	}
	if n >= gobTooBig || n > uint64(s.left()) {
		return fmt.Errorf("gob: message length %d exceeds the %d bytes left", n, s.left())
	}
	s.end = s.pos + int(n)
	s.msg = gobMessage{active: true, prefix: prefix, width: s.pos - prefix, length: int(n), grow: s.grow}
	return nil
}

// finishMessage corrects the length of a message whose interface counts
// were corrected.
func (s *gobScanner) finishMessage() {
	if !s.msg.active {
		return
	}
	s.msg.active = false
	if d := s.grow - s.msg.grow; d != 0 {
		n := uint64(s.msg.length + d)
		s.patches = append(s.patches, gobPatch{pos: s.msg.prefix, width: s.msg.width, value: n})
		s.grow += gobUintLen(n) - s.msg.width
	}
}

// typeSequence reads type definitions up to the id of the value that follows,
// as Decoder.decodeTypeSequence does.
func (s *gobScanner) typeSequence(inInterface bool) (int32, error) {
	for {
		if s.pos == s.end {
			if err := s.nextMessage(); err != nil {
				return 0, err
			}
		}
		x, err := s.int()
		if err != nil {
			return 0, err
		}
		id := int32(x) // the decoder truncates the same way
		if id >= 0 {
			return id, nil
		}
		if err := s.defineType(-id); err != nil {
			return 0, err
		}
		if s.pos < s.end {
			if !inInterface {
				return 0, errors.New("gob: extra data after type definition")
			}
			// Inside an interface value the next item is delimited by a
			// count the decoder skips.
			if _, err := s.uint(); err != nil {
				return 0, err
			}
		}
	}
}

// fields walks gob's struct framing: field-number deltas each followed by the
// field's value, ending at a zero delta or at the end of the message.
func (s *gobScanner) fields(count int, field func(num int) error) error {
	num := -1
	for s.pos < s.end {
		delta, err := s.uint()
		if err != nil {
			return err
		}
		if delta == 0 {
			return nil
		}
		if delta >= uint64(count-num) {
			return errGobField
		}
		num += int(delta)
		if err := field(num); err != nil {
			return err
		}
	}
	return nil
}

// defineType parses a wireType, the struct that describes a user type:
// exactly one of ArrayT, SliceT, StructT, MapT, GobEncoderT,
// BinaryMarshalerT and TextMarshalerT, each starting with a CommonType.
func (s *gobScanner) defineType(id int32) error {
	if id < gobFirstUserID || s.types[id] != nil {
		return errors.New("gob: duplicate or reserved type id")
	}
	t := new(gobType)
	err := s.fields(7, func(num int) error {
		if t.kind != 0 {
			return errGobWire
		}
		switch num {
		case 0:
			t.kind = gobArray
			return s.fields(3, func(num int) error {
				var err error
				switch num {
				case 0:
					return s.commonType()
				case 1:
					t.elem, err = s.typeID()
				default:
					var n int64
					if n, err = s.int(); err == nil && n < 0 {
						err = errGobWire
					}
					t.length = uint64(n)
				}
				return err
			})
		case 1:
			t.kind = gobSlice
			return s.fields(2, func(num int) error {
				if num == 0 {
					return s.commonType()
				}
				var err error
				t.elem, err = s.typeID()
				return err
			})
		case 2:
			t.kind = gobStruct
			return s.fields(2, func(num int) error {
				if num == 0 {
					return s.commonType()
				}
				return s.fieldTypes(t)
			})
		case 3:
			t.kind = gobMap
			return s.fields(3, func(num int) error {
				var err error
				switch num {
				case 0:
					return s.commonType()
				case 1:
					t.key, err = s.typeID()
				default:
					t.elem, err = s.typeID()
				}
				return err
			})
		default:
			t.kind = gobOpaque
			return s.fields(1, func(int) error { return s.commonType() })
		}
	})
	if err != nil {
		return err
	}
	if t.kind == 0 {
		return errGobWire
	}
	if s.types == nil {
		s.types = make(map[int32]*gobType)
	}
	s.types[id] = t
	return nil
}

// commonType skips a CommonType{Name string; Id typeId}.
func (s *gobScanner) commonType() error {
	return s.fields(2, func(num int) error {
		if num == 0 {
			return s.blob()
		}
		_, err := s.typeID()
		return err
	})
}

// fieldTypes reads a struct's []fieldType{Name string; Id typeId}.
func (s *gobScanner) fieldTypes(t *gobType) error {
	n, err := s.uint()
	if err != nil {
		return err
	}
	if n > uint64(s.left()) {
		return errGobWire
	}
	t.fields = make([]int32, 0, n)
	for range n {
		if s.pos == s.end {
			return errGobShort
		}
		var id int32
		err := s.fields(2, func(num int) error {
			if num == 0 {
				return s.blob()
			}
			var err error
			id, err = s.typeID()
			return err
		})
		if err != nil {
			return err
		}
		t.fields = append(t.fields, id)
	}
	return nil
}

// value walks a top-level or interface value: structs are framed as
// structs, anything else as a struct with a single field numbered 0.
func (s *gobScanner) value(id int32) error {
	if t := s.types[id]; t != nil && t.kind == gobStruct {
		return s.structValue(t)
	}
	delta, err := s.uint()
	if err != nil {
		return err
	}
	if delta != 0 {
		return errors.New("gob: non-zero delta for singleton")
	}
	return s.field(id)
}

func (s *gobScanner) structValue(t *gobType) error {
	return s.fields(len(t.fields), func(num int) error {
		return s.field(t.fields[num])
	})
}

// field walks one value of the given wire type.
func (s *gobScanner) field(id int32) error {
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > maxDepth {
		return errTooDeep
	}
	switch id {
	case gobBool, gobInt, gobUint, gobFloat:
		_, err := s.uint()
		return err
	case gobComplex:
		if _, err := s.uint(); err != nil {
			return err
		}
		_, err := s.uint()
		return err
	case gobBytes, gobString:
		return s.blob()
	case gobInterface:
		return s.interfaceValue()
	}
	t := s.types[id]
	if t == nil {
		return fmt.Errorf("gob: unknown type id %d", id)
	}
	switch t.kind {
	case gobArray, gobSlice:
		n, err := s.uint()
		if err != nil {
			return err
		}
		if t.kind == gobArray && n != t.length {
			return errors.New("gob: array length mismatch")
		}
		if n > uint64(len(s.data)-s.pos) {
			return fmt.Errorf("gob: %d elements exceed the %d bytes left", n, len(s.data)-s.pos)
		}
		for range n {
			if s.pos == s.end {
				return errGobShort
			}
			if err := s.field(t.elem); err != nil {
				return err
			}
		}
		return nil
	case gobMap:
		n, err := s.uint()
		if err != nil {
			return err
		}
		// Every key and every element takes at least one byte.
		if n > uint64(len(s.data)-s.pos)/2 {
			return fmt.Errorf("gob: %d map entries exceed the %d bytes left", n, len(s.data)-s.pos)
		}
		for range n {
			if err := s.field(t.key); err != nil {
				return err
			}
			if err := s.field(t.elem); err != nil {
				return err
			}
		}
		return nil
	case gobStruct:
		return s.structValue(t)
	default:
		return s.blob()
	}
}

// interfaceValue walks a concrete type name (empty for nil), the type
// definitions and id of the concrete type, a byte count, and the value.
func (s *gobScanner) interfaceValue() error {
	n, err := s.uint()
	if err != nil {
		return err
	}
	if n > uint64(s.left()) {
		return errGobShort
	}
	s.pos += int(n)
	if n == 0 {
		return nil
	}
	if n > gobMaxNameLen {
		return errors.New("gob: interface type name too long")
	}
	id, err := s.typeSequence(true)
	if err != nil {
		return err
	}
	countPos := s.pos
	count, err := s.uint()
	if err != nil {
		return err
	}
	width := s.pos - countPos
	start, grow := s.pos, s.grow
	s.inline++
	err = s.value(id)
	s.inline--
	if err != nil {
		return err
	}
	// The true count is the value's length once the counts nested in it
	// are corrected too.
	if n := uint64(s.pos - start + s.grow - grow); n != count {
		s.patches = append(s.patches, gobPatch{pos: countPos, width: width, value: n})
		s.grow += gobUintLen(n) - width
	}
	return nil
}
