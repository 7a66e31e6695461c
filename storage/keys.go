package storage

import (
	"context"
	"fmt"

	"github.com/valcache/valcache/driver"
)

// scanPage is how many keys each step of Keys asks the provider for.
const scanPage = 500

// Keys lists the storage's keys, for adapters that must iterate (scs's
// IterableStore). It walks the whole namespace, so it is meant for
// administration, not for request paths. Keys written or removed while it
// runs may or may not be listed.
//
// It needs a provider implementing driver.Scanner (memory and valkeystore
// do); otherwise it returns driver.ErrNotSupported.
func (s *ProviderStorage) Keys(ctx context.Context) ([]string, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	sc, ok := s.p.(driver.Scanner)
	if !ok {
		return nil, fmt.Errorf("storage: list keys: %w", driver.ErrNotSupported)
	}
	seen := map[string]bool{}
	var out []string
	cursor := ""
	for {
		keys, next, err := sc.ScanNamespace(ctx, s.ns, cursor, scanPage)
		if err != nil {
			return nil, fmt.Errorf("storage: list keys: %w", err)
		}
		for _, k := range keys {
			if !seen[k.ID] { // a scan may list a key twice
				seen[k.ID] = true
				out = append(out, k.ID)
			}
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}
