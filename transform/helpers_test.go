package transform_test

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// streamedFrame compresses in as a stream, whose frame does not declare the
// decoded size up front.
func streamedFrame(t *testing.T, in []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(in); i += 4096 {
		if _, err := w.Write(in[i:min(i+4096, len(in))]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var h zstd.Header
	if err := h.Decode(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if h.HasFCS {
		t.Fatal("the streamed frame declares its size; the case needs one that does not")
	}
	return buf.Bytes()
}
