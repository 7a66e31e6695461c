package valkeystore_test

import "github.com/valcache/valcache/internal/testserver"

// exampleServer is the Valkey node the examples connect to; TestMain stops it.
var exampleServer = &testserver.ExampleServer{Name: "valkeystore"}

func valkeyAddr() string { return exampleServer.Addr() }

func stopExampleServer() { exampleServer.Stop() }
