#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing,
# then runs every test with the race detector. The tests start their own
# servers (Valkey single node, a 3+3 Valkey Cluster, Redis 7) on free
# loopback ports and stop them. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
go test -race -count=1 -timeout 14m "$@" ./...
# The peer benchmarks live in a module of their own (so that the libraries
# they compare against never become valcache's dependencies); make sure they
# still build.
(cd bench/peers && go vet ./...)
