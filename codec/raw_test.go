package codec

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRawAppend(t *testing.T) {
	b := []byte("bytes")
	s := "string"
	tok := token("tok")
	bl := blob("blob")
	values := map[string]any{
		"bytes":      b,
		"string":     s,
		"*[]byte":    &b,
		"*string":    &s,
		"token":      tok,
		"*token":     &tok,
		"blob":       bl,
		"*blob":      &bl,
		"RawMessage": json.RawMessage(`{"a":1}`),
		"[]myByte":   []myByte{'m', 'b'},
		"empty":      "",
		"nil bytes":  []byte(nil),
	}
	want := map[string]string{
		"bytes": "bytes", "string": "string", "*[]byte": "bytes", "*string": "string",
		"token": "tok", "*token": "tok", "blob": "blob", "*blob": "blob",
		"RawMessage": `{"a":1}`, "[]myByte": "mb", "empty": "", "nil bytes": "",
	}
	for name, v := range values {
		got, err := Raw().Append([]byte("pre:"), v)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != "pre:"+want[name] {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestRawAppendErrors(t *testing.T) {
	var nilBytes *[]byte
	var nilTok *token
	for name, v := range map[string]any{
		"nil": nil, "int": 1, "[]int": []int{1}, "*int": new(int), "nil *[]byte": nilBytes,
		"nil *token": nilTok, "[4]byte": [4]byte{}, "**string": new(*string), "struct": struct{}{},
	} {
		out, err := Raw().Append([]byte("x"), v)
		if !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("%s: err = %v, want ErrUnsupportedType", name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "codec: raw: encode: unsupported type ") {
			t.Errorf("%s: message %q", name, err)
		}
		if string(out) != "x" {
			t.Errorf("%s: dst changed to %q", name, out)
		}
	}
	_, err := Raw().Append(nil, 42)
	if got := err.Error(); got != "codec: raw: encode: unsupported type int" {
		t.Errorf("message = %q", got)
	}
}

func TestRawDecode(t *testing.T) {
	data := []byte("payload")
	var b []byte
	var s string
	var tok token
	var bl blob
	var raw json.RawMessage
	var mb []myByte
	for name, target := range map[string]any{"bytes": &b, "string": &s, "token": &tok, "blob": &bl, "raw": &raw, "myByte": &mb} {
		if err := Raw().Decode(data, target); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	copy(data, "XXXXXXX") // the decoded values must be copies
	if string(b) != "payload" || s != "payload" || tok != "payload" || string(bl) != "payload" ||
		string(raw) != "payload" || len(mb) != 7 || mb[0] != 'p' {
		t.Errorf("decoded values changed with the input: %q %q %q %q %q %v", b, s, tok, bl, raw, mb)
	}

	if err := Raw().Decode(nil, &b); err != nil || b == nil || len(b) != 0 {
		t.Errorf("empty input: %v %#v", err, b)
	}
}

func TestRawDecodeErrors(t *testing.T) {
	var nilBytes *[]byte
	for name, target := range map[string]any{
		"nil": nil, "[]byte": []byte{}, "nil *[]byte": nilBytes, "*int": new(int), "*[]int": new([]int),
		"*any": new(any), "**string": new(*string), "*[4]byte": new([4]byte),
	} {
		err := Raw().Decode([]byte("x"), target)
		if !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("%s: err = %v, want ErrUnsupportedType", name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "codec: raw: decode: unsupported type ") {
			t.Errorf("%s: message %q", name, err)
		}
	}
}

func TestRawAppendDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 1024)
	var v any = []byte("some payload")
	var s any = "some payload"
	var tk any = token("some payload")
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = Raw().Append(dst, v)
		_, _ = Raw().Append(dst, s)
		_, _ = Raw().Append(dst, tk)
	})
	if allocs != 0 {
		t.Errorf("Append allocated %v times", allocs)
	}
}
