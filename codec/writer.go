package codec

// appendWriter lets streaming encoders write straight into the caller's dst,
// so an Append copies the payload once and needs no intermediate buffer.
// Pooled encoders hold one; it is emptied after every use so the pool never
// keeps a caller's buffer alive.
type appendWriter struct {
	b []byte
}

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}
