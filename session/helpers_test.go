package session_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
)

func randomSuffix(t *testing.T) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
