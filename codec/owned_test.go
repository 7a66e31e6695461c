package codec

import (
	"encoding/json"
	"testing"
)

func TestRawDecodeOwnedAliasesWithoutCopying(t *testing.T) {
	data := []byte("payload")
	var b []byte
	if err := Raw().(OwningDecoder).DecodeOwned(data, &b); err != nil {
		t.Fatal(err)
	}
	if &b[0] != &data[0] {
		t.Fatal("DecodeOwned into *[]byte copied the input")
	}
	var s string
	if err := Raw().(OwningDecoder).DecodeOwned([]byte("text"), &s); err != nil || s != "text" {
		t.Fatalf("DecodeOwned into *string = %q, %v", s, err)
	}
	var raw json.RawMessage
	if err := Raw().(OwningDecoder).DecodeOwned([]byte(`{"a":1}`), &raw); err != nil || string(raw) != `{"a":1}` {
		t.Fatalf("DecodeOwned into a named []byte type = %q, %v", raw, err)
	}
	var n int
	if err := Raw().(OwningDecoder).DecodeOwned([]byte("1"), &n); err == nil {
		t.Fatal("DecodeOwned into *int succeeded")
	}
	if err := Raw().(OwningDecoder).DecodeOwned([]byte("1"), nil); err == nil {
		t.Fatal("DecodeOwned into nil succeeded")
	}
}

func TestRawDecodeOwnedDoesNotAllocate(t *testing.T) {
	data := []byte("payload")
	var b []byte
	if n := testing.AllocsPerRun(100, func() { _ = rawCodec{}.DecodeOwned(data, &b) }); n != 0 {
		t.Fatalf("DecodeOwned allocates %v times", n)
	}
}
