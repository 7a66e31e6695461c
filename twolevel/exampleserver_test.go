package twolevel_test

import (
	"fmt"
	"os"
	"sync"

	"github.com/valcache/valcache/internal/testserver"
)

// exampleServer is the Valkey node the examples connect to, started on the
// first example that runs and stopped by TestMain.
var exampleServer struct {
	once sync.Once
	srv  *testserver.Server
}

// valkeyAddr returns the examples' server address, emptied so that every
// example starts from nothing and prints the same each time it runs. An
// example cannot skip, so a server that does not start ends the test binary.
func valkeyAddr() string {
	exampleServer.once.Do(func() {
		srv, err := testserver.StartValkey(testserver.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "twolevel examples:", err)
			os.Exit(1)
		}
		exampleServer.srv = srv
	})
	addr := exampleServer.srv.Addr()
	if _, err := testserver.Command(addr, "FLUSHALL"); err != nil {
		fmt.Fprintln(os.Stderr, "twolevel examples:", err)
		os.Exit(1)
	}
	return addr
}

func stopExampleServer() {
	if exampleServer.srv != nil {
		_ = exampleServer.srv.Stop()
	}
}
