package session

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/valcache/valcache/driver"
)

// Field names of a session entry. Session keys are stored as "=" + key, so
// they can never collide with the package's own fields, which start with
// '!'.
const (
	fieldCreated    = "!c"
	fieldTouched    = "!t"
	fieldUser       = "!u"
	fieldGeneration = "!g"
	keyPrefix       = "="
)

// Manager issues and loads sessions. Create it with New; it is safe for
// concurrent use and owns no resources (closing the provider is the
// caller's business).
type Manager struct {
	p      driver.Provider
	fields FieldStore
	gens   generations // nil: the provider cannot keep generations
	cfg    Config
}

// New returns a Manager keeping sessions in p: in p's FieldStore (found
// along p's unwrap chain), else in one value per session merged by p's
// driver.Swapper. It returns an error matching driver.ErrNotSupported when
// p has neither.
func New(p driver.Provider, cfg Config) (*Manager, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	fs, err := fieldsFor(p)
	if err != nil {
		return nil, err
	}
	return &Manager{p: p, fields: fs, gens: generationsFor(p, cfg), cfg: cfg}, nil
}

type ctxKey struct{}

// From returns the request's session, or nil outside the middleware. A
// request without a session gets an empty one, stored on its first write.
func From(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}

// Middleware loads the request's session, records activity at most once
// per TouchInterval, and makes the session available to next with From.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.load(r.Context(), w, r)
		if err != nil {
			m.cfg.Logger.ErrorContext(r.Context(), "session: load failed", "err", err)
			m.cfg.ErrorHandler(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	})
}

func (m *Manager) key(id string) driver.Key {
	return driver.Key{Namespace: m.cfg.Namespace, ID: id}
}

// load returns the session named by the request's cookie, or an empty one
// when there is none, it has ended, or its user logged out everywhere.
func (m *Manager) load(ctx context.Context, w http.ResponseWriter, r *http.Request) (*Session, error) {
	s := &Session{m: m, w: w, values: map[string][]byte{}}
	c, err := r.Cookie(m.cfg.CookieName)
	if err != nil || !validID(c.Value) {
		return s, nil
	}
	fields, found, err := m.fields.GetFields(ctx, m.key(c.Value))
	if err != nil {
		return nil, fmt.Errorf("session: load: %w", err)
	}
	if !found {
		return s, nil
	}
	now := time.Now()
	created, okC := millisField(fields[fieldCreated])
	touched, okT := millisField(fields[fieldTouched])
	if !okC || !okT || now.Sub(created) >= m.cfg.AbsoluteTimeout || now.Sub(touched) >= m.cfg.IdleTimeout {
		return s, m.drop(ctx, c.Value)
	}
	user := string(fields[fieldUser])
	if user != "" {
		gen, err := m.generation(ctx, user)
		if err != nil {
			return nil, err
		}
		// A missing generation (lost, or never created) matches no session:
		// reading it as "" would revive sessions recorded with "".
		if gen == "" || gen != string(fields[fieldGeneration]) { // logged out everywhere since
			return s, m.drop(ctx, c.Value)
		}
	}
	if now.Sub(touched) >= m.cfg.TouchInterval {
		ok, err := m.fields.UpdateFields(ctx, m.key(c.Value), map[string][]byte{fieldTouched: millis(now)}, nil, m.lifetime(created, now), false)
		if err != nil {
			return nil, fmt.Errorf("session: record activity: %w", err)
		}
		if !ok { // ended by another request meanwhile
			return s, nil
		}
	}
	s.id, s.created, s.user = c.Value, created, user
	for k, v := range fields {
		if name, ok := cutKey(k); ok {
			s.values[name] = v
		}
	}
	return s, nil
}

// drop deletes an ended session.
func (m *Manager) drop(ctx context.Context, id string) error {
	if err := m.p.Delete(ctx, m.key(id)); err != nil {
		return fmt.Errorf("session: delete ended session: %w", err)
	}
	return nil
}

// lifetime is how long a session created at created may live from now on:
// the idle timeout, cut short by the absolute one.
func (m *Manager) lifetime(created, now time.Time) time.Duration {
	return max(min(m.cfg.IdleTimeout, created.Add(m.cfg.AbsoluteTimeout).Sub(now)), time.Millisecond)
}

func (m *Manager) setCookie(w http.ResponseWriter, id string) {
	c := &http.Cookie{
		Name: m.cfg.CookieName, Value: id, Path: m.cfg.CookiePath, Domain: m.cfg.CookieDomain,
		HttpOnly: true, Secure: !m.cfg.Insecure, SameSite: m.cfg.SameSite,
	}
	if id == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func millis(t time.Time) []byte { return strconv.AppendInt(nil, t.UnixMilli(), 10) }

func millisField(b []byte) (time.Time, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}
