package valkeystore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

func TestForeignContextErrorOnlyWhenTheCallsOwnContextIsAlive(t *testing.T) {
	live, cancelLive := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLive()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	dialCancelled := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("wrapped: %w", context.Canceled)}
	readTimeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"nil error", live, nil, false},
		{"another's cancellation", live, context.Canceled, true},
		{"another's cancelled dial", live, dialCancelled, true},
		{"another's deadline", live, context.DeadlineExceeded, true},
		{"another's deadline, no deadline of its own", context.Background(), context.DeadlineExceeded, true},
		{"its own cancellation", cancelled, context.Canceled, false},
		{"its own deadline", expired, context.DeadlineExceeded, false},
		{"a read timeout, which may follow a write", live, readTimeout, false},
		{"another error", live, errors.New("boom"), false},
	}
	for _, c := range cases {
		if got := foreignContextError(c.ctx, c.err); got != c.want {
			t.Errorf("%s: foreignContextError = %v, want %v", c.name, got, c.want)
		}
	}
}
