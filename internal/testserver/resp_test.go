package testserver

import (
	"bufio"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	in := "+OK\r\n-NOAUTH Authentication required.\r\n:42\r\n$5\r\nhe\r\no\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n"
	r := bufio.NewReader(strings.NewReader(in))
	want := []any{"OK", serverError("NOAUTH Authentication required."), int64(42), "he\r\no", nil, []any{"a", int64(1)}}
	for i, w := range want {
		got, err := readReply(r)
		if se, ok := w.(serverError); ok {
			if !errors.Is(err, se) {
				t.Errorf("reply %d: err = %v, want %v", i, err, se)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("reply %d = %#v, %v; want %#v", i, got, err, w)
		}
	}
}

func TestParseInfoIdentity(t *testing.T) {
	valkey := parseInfo("# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n")
	if p, v := serverIdentity(valkey); p != "valkey" || v != "8.0.1" {
		t.Errorf("valkey identity = %s %s", p, v)
	}
	redis := parseInfo("# Server\r\nredis_version:7.0.15\r\n")
	if p, v := serverIdentity(redis); p != "redis" || v != "7.0.15" {
		t.Errorf("redis identity = %s %s", p, v)
	}
}
