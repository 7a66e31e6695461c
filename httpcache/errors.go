package httpcache

import (
	"errors"
	"fmt"
	"strings"

	"github.com/valcache/valcache/driver"
)

var (
	// ErrInvalidConfig is wrapped by every error New returns for a bad
	// Config.
	ErrInvalidConfig = errors.New("httpcache: invalid config")
	// ErrNilProvider is returned by New when given no provider.
	ErrNilProvider = errors.New("httpcache: nil provider")
	// ErrClosed is returned by calls made after Close. It matches
	// valcache.ErrClosed, as every package's closed error does.
	ErrClosed = fmt.Errorf("httpcache: %w", driver.ErrClosed)
	// ErrInvalidURL is returned by PurgeURL for a URL that is not absolute
	// http or https.
	ErrInvalidURL = errors.New("httpcache: not an absolute http or https URL")
)

// The prefixes of the two errors a coordinated origin request can end
// with. Other processes waiting for it learn of its failure only as text
// (driver.LoadFailedError carries the reason as a string), so the text is
// what tells them apart.
const (
	originPrefix    = "httpcache: origin failed"
	notSharedPrefix = "httpcache: response not shared"
)

// originError is an origin request that failed. When the origin answered
// with a server error, resp holds that answer (nil when it may not be
// passed on), so that waiters that cannot serve a stale response can pass
// the same error on instead of each asking a failing origin again.
type originError struct {
	cause string
	resp  *record
	// timeout marks an origin that did not answer in time.
	timeout bool
}

func (e *originError) Error() string { return originPrefix + ": " + e.cause }

// notSharedError is a response the waiters of a coalesced request may not
// reuse; why says which rule forbade it.
type notSharedError struct{ why string }

// whyForeign304 is the reason of a validation answered with a 304 that
// does not identify the stored response (RFC 9111 §4.3.4): the response
// must then be fetched in full.
const whyForeign304 = "the 304 does not match the stored response"

// foreign304 reports whether err is a validation that must be done again
// without validators.
func foreign304(err error) bool {
	var ns *notSharedError
	return errors.As(err, &ns) && ns.why == whyForeign304
}

func (e *notSharedError) Error() string { return notSharedPrefix + ": " + e.why }

// classifyReason maps the reason of a load that failed in another process
// back to the error it was.
func classifyReason(reason string) error {
	switch {
	case strings.HasPrefix(reason, originPrefix):
		return &originError{cause: strings.TrimPrefix(strings.TrimPrefix(reason, originPrefix), ": ")}
	case strings.HasPrefix(reason, notSharedPrefix):
		return &notSharedError{why: strings.TrimPrefix(strings.TrimPrefix(reason, notSharedPrefix), ": ")}
	}
	return &originError{cause: reason}
}
