// Package valkeyerr sorts the errors of the Valkey client into the store
// being unable to serve and the rest. It is its own package, not a method
// of valkeystore's sibling view, because it needs no provider: twolevel's
// breakers classify an error they hold without one at hand, and exported
// from valkeystore it would have frozen, as public API, a test that
// disagrees on purpose with errors.Is(err, driver.ErrUnavailable).
package valkeyerr

import (
	"context"
	"errors"
	"strings"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// outageCodes start the replies by which a server says it cannot serve the
// call now, whatever the call: it is loading its data, busy with a script,
// without a healthy cluster or primary, in the middle of a resharding, a
// replica (after a failover, the old primary), or out of memory.
var outageCodes = []string{"LOADING", "BUSY", "CLUSTERDOWN", "MASTERDOWN", "TRYAGAIN", "READONLY", "OOM"}

// OutageReply reports whether a reply error is one of outageCodes.
func OutageReply(ve *valkey.ValkeyError) bool {
	if valkey.IsValkeyNil(ve) {
		return false
	}
	msg := ve.Error()
	for _, code := range outageCodes {
		if strings.HasPrefix(msg, code) {
			return true
		}
	}
	return false
}

// Unavailable reports whether err says the server could not serve the call
// (no connection, a timeout, or a reply such as LOADING, BUSY, CLUSTERDOWN,
// MASTERDOWN, TRYAGAIN, READONLY or OOM), as opposed to a reply about the
// call itself (WRONGTYPE, NOPERM, a syntax error) or a cancelled call.
// Circuit breakers count only the former. Unlike errors.Is(err,
// driver.ErrUnavailable), it counts every deadline error, the caller's too:
// a breaker tells those apart by its caller's context, which it has.
func Unavailable(err error) bool {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, driver.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var ve *valkey.ValkeyError
	if errors.As(err, &ve) {
		return OutageReply(ve)
	}
	return !valkey.IsParseErr(err)
}
