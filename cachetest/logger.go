package cachetest

import (
	"io"
	"log/slog"
)

// quietLogger keeps the expected decode warnings of failure cases out of
// the test output.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
