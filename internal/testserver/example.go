package testserver

import (
	"fmt"
	"os"
	"sync"
)

// ExampleServer is the Valkey node a package's Example functions connect to,
// started by the first example that runs, so test runs that run none pay
// nothing. An example cannot skip, so a server that does not start ends the
// test binary with the reason.
type ExampleServer struct {
	// Name says whose examples these are in what is printed on failure.
	Name string

	once sync.Once
	srv  *Server
}

// Addr returns the server's address, emptied so that every example starts
// from nothing and prints the same each time it runs.
func (e *ExampleServer) Addr() string {
	e.once.Do(func() {
		srv, err := StartValkey(Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, e.Name, "examples:", err)
			os.Exit(1)
		}
		e.srv = srv
	})
	addr := e.srv.Addr()
	if _, err := Command(addr, "FLUSHALL"); err != nil {
		fmt.Fprintln(os.Stderr, e.Name, "examples:", err)
		os.Exit(1)
	}
	return addr
}

// Stop stops the server if an example started it; TestMain calls it.
func (e *ExampleServer) Stop() {
	if e.srv != nil {
		_ = e.srv.Stop()
	}
}
