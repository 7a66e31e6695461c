package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/valcache/valcache/driver"
)

func (m *Manager) userKey(user string) driver.Key {
	return driver.Key{Namespace: m.cfg.Namespace + ".users", ID: user}
}

// generation returns the user's current generation, "" while the user has
// never logged out everywhere.
func (m *Manager) generation(ctx context.Context, user string) (string, error) {
	b, _, err := m.p.Get(ctx, m.userKey(user))
	if err != nil {
		return "", fmt.Errorf("session: read the generation of user %q: %w", user, err)
	}
	return string(b), nil
}

// LogoutEverywhere ends every session of user, on every server process:
// each is refused and deleted at its next request. The user's generation is
// kept without expiry (one small key per user who has used this); losing it
// to eviction logs the user out again, never back in, since generations are
// random and a lost one is never issued again.
func (m *Manager) LogoutEverywhere(ctx context.Context, user string) error {
	if user == "" {
		return fmt.Errorf("session: log out everywhere: empty user")
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	if err := m.p.Set(ctx, m.userKey(user), []byte(hex.EncodeToString(b[:])), driver.NoExpiry); err != nil {
		return fmt.Errorf("session: log out everywhere %q: %w", user, err)
	}
	return nil
}
