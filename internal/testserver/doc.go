// Package testserver starts real Valkey and Redis servers (and a Valkey
// Cluster) on free loopback ports for tests, and tears them down again.
//
// Tests talk to real servers rather than fakes because the behaviour under
// test (RESP3 client-side caching, invalidation, cluster redirection, fault
// recovery) lives in the server. Every server binds 127.0.0.1 only, keeps its
// files in a private temporary directory, persists nothing, and is tied to the
// test binary's lifetime (see startProcess) so a crashed test leaves nothing
// running.
//
// When the binaries are missing, Start* returns an error; pass it to Require,
// which skips the test locally and fails it in CI.
package testserver
