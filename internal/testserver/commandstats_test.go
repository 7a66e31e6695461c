package testserver

import (
	"testing"
	"time"
)

func TestParseCommandStats(t *testing.T) {
	got, err := parseCommandStats("# Commandstats\r\n" +
		"cmdstat_get:calls=3,usec=5,usec_per_call=1.67,rejected_calls=1,failed_calls=0\r\n" +
		"cmdstat_client|caching:calls=2,usec=1,usec_per_call=0.50,rejected_calls=0,failed_calls=0\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["get"] != 4 || got["client|caching"] != 2 {
		t.Fatalf("parsed %v", got)
	}
}

// TestCommandStatsCountScriptsAndInfo pins down what CommandStats'
// documentation says the counters include, on both servers the suite runs.
func TestCommandStatsCountScriptsAndInfo(t *testing.T) {
	t.Parallel()
	for name, start := range map[string]func(Options) (*Server, error){"valkey": StartValkey, "redis": StartRedis} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := start(Options{})
			Require(t, err)
			defer s.Stop()
			before, err := CommandStats(s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c, err := dialRESP(s.Addr(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, cmd := range [][]string{
				{"EVAL", "redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], 'x'); return redis.call('GET', KEYS[1])", "1", "k"},
				{"MULTI"}, {"PTTL", "k"}, {"GET", "k"}, {"EXEC"},
			} {
				if _, err := c.do(cmd...); err != nil {
					t.Fatalf("%v: %v", cmd, err)
				}
			}
			after, err := CommandStats(s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"eval": 1, "get": 3, "set": 1, "multi": 1, "pttl": 1, "exec": 1, "info": 1}
			for cmd, n := range after {
				if d := n - before[cmd]; d != want[cmd] {
					t.Errorf("%s %s: counted %d more, want %d", s.Version(), cmd, d, want[cmd])
				}
			}
			for cmd, n := range want {
				if _, ok := after[cmd]; !ok {
					t.Errorf("%s %s: not counted, want %d", s.Version(), cmd, n)
				}
			}
		})
	}
}

func TestReplicationOffsets(t *testing.T) {
	offset, acked, err := replicationOffsets("# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=127.0.0.1,port=7001,state=online,offset=120,lag=0\r\n" +
		"slave1:ip=127.0.0.1,port=7002,state=online,offset=98,lag=1\r\n" +
		"master_failover_state:no-failover\r\nmaster_repl_offset:130\r\n")
	if err != nil || offset != 130 || len(acked) != 2 || acked[0]+acked[1] != 218 {
		t.Fatalf("offset %d, acked %v, %v", offset, acked, err)
	}
}
