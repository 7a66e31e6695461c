package testserver

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WaitReplicated returns once every replica has acknowledged all that its
// primary had written when the call began, so that the writes a test made
// have been applied everywhere (and counted in the replicas' command
// statistics). Replicas acknowledge about once a second. It gives up after
// timeout.
func (c *Cluster) WaitReplicated(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, addr := range c.Primaries() {
		target := int64(-1)
		for {
			text, err := commandString(addr, "", probeTimeout, "INFO", "replication")
			if err != nil {
				return fmt.Errorf("testserver: INFO replication on %s: %w", addr, err)
			}
			offset, acked, err := replicationOffsets(text)
			if err != nil {
				return fmt.Errorf("testserver: %s: %w", addr, err)
			}
			if target < 0 {
				target = offset
			}
			if len(acked) > 0 && slices.Min(acked) >= target {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("testserver: %s: replicas acknowledged %v of offset %d within %s", addr, acked, target, timeout)
			}
			time.Sleep(clusterPollInterval)
		}
	}
	return nil
}

// replicationOffsets reads a primary's INFO replication: its own offset,
// and the offset each replica has acknowledged (lines such as
// "slave0:ip=127.0.0.1,port=7001,state=online,offset=123,lag=0").
func replicationOffsets(text string) (offset int64, acked []int64, err error) {
	info := parseInfo(text)
	if offset, err = strconv.ParseInt(info["master_repl_offset"], 10, 64); err != nil {
		return 0, nil, fmt.Errorf("master_repl_offset %q: %w", info["master_repl_offset"], err)
	}
	for k, v := range info {
		if !strings.HasPrefix(k, "slave") || strings.Trim(k[len("slave"):], "0123456789") != "" {
			continue
		}
		for _, field := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(field, "offset="); ok {
				o, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					return 0, nil, fmt.Errorf("%s %q: %w", k, v, err)
				}
				acked = append(acked, o)
			}
		}
	}
	return offset, acked, nil
}
