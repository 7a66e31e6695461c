package storage_test

import (
	"os"
	"testing"

	"github.com/valcache/valcache/internal/testserver"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}
