package testserver

import (
	"fmt"
	"strconv"
	"strings"
)

// CommandStats reads INFO commandstats from addr, on a connection of its
// own, and returns how many times the server ran each command since it
// started (or since the last CONFIG RESETSTAT): calls plus rejected_calls,
// so a command refused before it ran (NOSCRIPT, a wrong argument count)
// counts too. Names are lower case as the server reports them, subcommands
// joined with '|' ("get", "evalsha", "client|caching").
//
// What the counters include, checked on Valkey 8 and Redis 7 by
// TestCommandStatsCountScriptsAndInfo:
//
//   - commands a script runs are counted under their own names: an EVALSHA
//     whose script calls GET and SET adds one to evalsha, get and set;
//   - commands queued in MULTI are counted when EXEC runs them, and MULTI
//     and EXEC count too;
//   - an INFO is counted after it has produced its reply, so a reading does
//     not include itself, and the next reading includes it: two readings
//     in a row differ by exactly one info.
//
// A replica also counts the writes it applies from its primary's
// replication stream, a moment after the primary has run them (seen on
// the Valkey Cluster that StartCluster makes; reads are not replicated).
func CommandStats(addr string) (map[string]int64, error) {
	text, err := commandString(addr, "", probeTimeout, "INFO", "commandstats")
	if err != nil {
		return nil, fmt.Errorf("testserver: INFO commandstats on %s: %w", addr, err)
	}
	return parseCommandStats(text)
}

// parseCommandStats reads lines such as
// "cmdstat_get:calls=3,usec=5,usec_per_call=1.67,rejected_calls=0,failed_calls=0".
func parseCommandStats(text string) (map[string]int64, error) {
	stats := make(map[string]int64)
	for name, fields := range parseInfo(text) {
		name, ok := strings.CutPrefix(name, "cmdstat_")
		if !ok {
			continue
		}
		var total int64
		for _, field := range strings.Split(fields, ",") {
			k, v, _ := strings.Cut(field, "=")
			if k != "calls" && k != "rejected_calls" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("testserver: commandstats %s: %q: %w", name, field, err)
			}
			total += n
		}
		stats[name] = total
	}
	return stats, nil
}
