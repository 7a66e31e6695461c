package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/valcache/valcache/driver"
)

// generationMargin is how much longer than AbsoluteTimeout a generation
// kept as a version outlives the login that last needed it, so that clock
// differences between this process and the store never end a session
// early.
const generationMargin = time.Minute

// generations keeps each user's generation: a random value that every
// logged-in session records and that LogoutEverywhere replaces. A user has
// none until the first login; a missing generation is never read as a
// value, so one that is lost (evicted, flushed, dropped by a failover) ends
// the user's sessions rather than reviving any.
type generations interface {
	// ensure returns the user's generation, first creating one if there is
	// none, atomically on the store, so concurrent first logins agree.
	ensure(ctx context.Context, user string) (string, error)
	// current returns the user's generation, "" when there is none.
	current(ctx context.Context, user string) (string, error)
	// replace gives the user a new generation.
	replace(ctx context.Context, user string) error
}

// generationsFor picks how generations are kept on p: as versions, which
// the store creates if absent in one step and reads from primaries, else
// as plain values created by compare-and-swap. Without either, Login and
// LogoutEverywhere report driver.ErrNotSupported.
func generationsFor(p driver.Provider, cfg Config) generations {
	ns := cfg.Namespace + ".users"
	if v, ok := p.(driver.Versioner); ok {
		groups, _ := p.(driver.VersionGroups)
		return versionGenerations{v: v, groups: groups, ns: ns, ttl: cfg.AbsoluteTimeout + generationMargin}
	}
	if sw, ok := p.(driver.Swapper); ok {
		return swapGenerations{p: p, sw: sw, ns: ns}
	}
	return nil
}

// versionGenerations keeps a generation as the version of tag user in the
// users namespace. Each login makes it live at least AbsoluteTimeout more,
// so it outlives every session holding it and then goes away by itself.
//
// Where the provider keeps versions in groups (driver.VersionGroups), each
// user's generation is in the group its name falls in, as an entry of that
// name would be, rather than all in one: on a cluster, the users are then
// spread over the shards, and a shard that is down stops the logins and
// logouts of its own users only.
type versionGenerations struct {
	v      driver.Versioner
	groups driver.VersionGroups // nil: one group
	ns     string
	ttl    time.Duration
}

func (g versionGenerations) key(user string) []driver.VersionKey {
	k := driver.VersionKey{Namespace: g.ns, Tag: user}
	if g.groups != nil {
		k.Group = g.groups.VersionGroup(driver.Key{Namespace: g.ns, ID: user})
	}
	return []driver.VersionKey{k}
}

func formatGeneration(v driver.Version) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatUint(v, 16)
}

func (g versionGenerations) ensure(ctx context.Context, user string) (string, error) {
	vs, err := g.v.EnsureVersions(ctx, g.key(user), g.ttl)
	if err != nil {
		return "", err
	}
	return formatGeneration(vs[0]), nil
}

func (g versionGenerations) current(ctx context.Context, user string) (string, error) {
	vs, err := g.v.Versions(ctx, g.key(user))
	if err != nil {
		return "", err
	}
	return formatGeneration(vs[0]), nil
}

// replace bumps the version. A user without one has no session to end:
// every session records a generation, and a missing one matches none.
func (g versionGenerations) replace(ctx context.Context, user string) error {
	return g.v.BumpVersions(ctx, g.key(user))
}

// swapGenerations keeps a generation as a plain value without expiry, one
// small key per user who has logged in.
type swapGenerations struct {
	p  driver.Provider
	sw driver.Swapper
	ns string
}

func (g swapGenerations) key(user string) driver.Key {
	return driver.Key{Namespace: g.ns, ID: user}
}

func randomGeneration() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return []byte(hex.EncodeToString(b[:]))
}

// ensure creates the generation only where there is none (old nil), and
// otherwise reads the one there. A read finding nothing means it was lost
// in between; the next attempt creates it again.
func (g swapGenerations) ensure(ctx context.Context, user string) (string, error) {
	for range maxSwapAttempts {
		fresh := randomGeneration()
		created, err := g.sw.CompareAndSwap(ctx, g.key(user), nil, fresh, driver.NoExpiry, false)
		if err != nil {
			return "", err
		}
		if created {
			return string(fresh), nil
		}
		b, found, err := g.p.Get(ctx, g.key(user))
		if err != nil {
			return "", err
		}
		if found && len(b) > 0 {
			return string(b), nil
		}
	}
	return "", ErrConflict
}

func (g swapGenerations) current(ctx context.Context, user string) (string, error) {
	b, _, err := g.p.Get(ctx, g.key(user))
	return string(b), err
}

func (g swapGenerations) replace(ctx context.Context, user string) error {
	return g.p.Set(ctx, g.key(user), randomGeneration(), driver.NoExpiry)
}

func (m *Manager) userGenerations() (generations, error) {
	if m.gens == nil {
		return nil, fmt.Errorf("session: logging in needs a provider with driver.Versioner or driver.Swapper: %w", driver.ErrNotSupported)
	}
	return m.gens, nil
}

// ensureGeneration returns the user's generation, creating it if needed.
func (m *Manager) ensureGeneration(ctx context.Context, user string) (string, error) {
	g, err := m.userGenerations()
	if err != nil {
		return "", err
	}
	gen, err := g.ensure(ctx, user)
	if err != nil {
		return "", fmt.Errorf("session: create the generation of user %q: %w", user, err)
	}
	return gen, nil
}

// generation returns the user's current generation, "" when there is none.
func (m *Manager) generation(ctx context.Context, user string) (string, error) {
	g, err := m.userGenerations()
	if err != nil {
		return "", err
	}
	gen, err := g.current(ctx, user)
	if err != nil {
		return "", fmt.Errorf("session: read the generation of user %q: %w", user, err)
	}
	return gen, nil
}

// LogoutEverywhere ends every session of user that exists when it returns,
// on every server process: each is refused and deleted at its next request.
//
// Login records the user's generation in the session, creating it if there
// is none, so every logged-in session holds one; LogoutEverywhere replaces
// it, and a session is accepted only while the generation it holds is the
// one stored. Losing the stored generation (eviction, a flush, a failover
// that dropped the write) therefore ends the user's sessions too and never
// brings an ended one back: generations are random, so a lost one is never
// issued again. On a provider with driver.Versioner the generation is
// read from primaries and lives AbsoluteTimeout (plus a minute) after the
// user's last login; otherwise it is a plain value without expiry.
func (m *Manager) LogoutEverywhere(ctx context.Context, user string) error {
	if user == "" {
		return fmt.Errorf("session: log out everywhere: empty user")
	}
	g, err := m.userGenerations()
	if err != nil {
		return err
	}
	if err := g.replace(ctx, user); err != nil {
		return fmt.Errorf("session: log out everywhere %q: %w", user, err)
	}
	return nil
}
