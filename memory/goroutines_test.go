package memory_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func durationOf(n int64) time.Duration { return time.Duration(n) }

func verifyNoGoroutines(t *testing.T) {
	t.Helper()
	if err := goleak.Find(); err != nil {
		t.Fatal(err)
	}
}
