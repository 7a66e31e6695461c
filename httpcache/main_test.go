package httpcache

import (
	"os"
	"testing"

	"github.com/valcache/valcache/internal/testserver"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	if role := os.Getenv(childRoleEnv); role != "" {
		os.Exit(runChild(role)) // a child process of a multi-process test
	}
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}
