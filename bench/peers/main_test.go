package peers

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
