package valcache

import (
	"errors"
	"fmt"
	"strings"

	"github.com/valcache/valcache/driver"
)

// KeyedBatchError reports which keys of a bulk call failed, and why. Keys not
// listed succeeded.
type KeyedBatchError[K comparable] struct {
	Failed map[K]error
}

// Error names how many keys failed and, as an example, the failed key whose
// string form sorts first, so that the same failure reads the same way every
// time (a map's order would pick a different key on each call).
func (e *KeyedBatchError[K]) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "valcache: %d keys of a batch failed", len(e.Failed))
	first, have := "", false
	var firstErr error
	for k, err := range e.Failed {
		if s := fmt.Sprint(k); !have || s < first {
			first, firstErr, have = s, err, true
		}
	}
	if have {
		fmt.Fprintf(&b, " (e.g. %s: %v)", first, firstErr)
	}
	return b.String()
}

// Unwrap exposes every failure to errors.Is and errors.As.
func (e *KeyedBatchError[K]) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed))
	for _, err := range e.Failed {
		errs = append(errs, err)
	}
	return errs
}

func batchErr[K comparable](failed map[K]error) error {
	if len(failed) == 0 {
		return nil
	}
	return &KeyedBatchError[K]{Failed: failed}
}

// keyBatchError restates a provider's index-based *driver.BatchError in terms
// of the caller's keys; any other error is returned as it is.
func keyBatchError[K comparable](keys []K, err error) error {
	be, ok := asBatchError(err)
	if !ok {
		return err
	}
	failed := make(map[K]error, len(be.Failed))
	for i, e := range be.Failed {
		if i >= 0 && i < len(keys) {
			failed[keys[i]] = e
		}
	}
	return batchErr(failed)
}

// asBatchError tells a partial failure, after which the results of the other
// items are still good, from a failure of the whole call.
func asBatchError(err error) (*driver.BatchError, bool) {
	if err == nil {
		return nil, false
	}
	return findBatchError(err)
}

// findBatchError is asBatchError's search; apart, so that a nil error costs
// no allocation for errors.As's target.
func findBatchError(err error) (*driver.BatchError, bool) {
	var be *driver.BatchError
	ok := errors.As(err, &be)
	return be, ok
}

func (c *Cache[K, V]) driverKeys(keys []K) ([]driver.Key, error) {
	dks := make([]driver.Key, len(keys))
	for i, k := range keys {
		dk, err := c.driverKey(k)
		if err != nil {
			return nil, err
		}
		dks[i] = dk
	}
	return dks, nil
}
