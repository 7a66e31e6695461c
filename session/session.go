package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"
)

// ErrEnded is returned by a write to a session that ended while the request
// ran: destroyed, renewed or expired elsewhere. The write is not made, so a
// session logged out by one request is never brought back by another.
var ErrEnded = errors.New("session: the session ended while this request ran")

// ErrEmptyKey is returned for an empty session key.
var ErrEmptyKey = errors.New("session: empty key")

// Session is one request's view of its session. Reads see the session as
// loaded plus this request's own writes; writes go to the store at once,
// one field each. Methods that change the id (the first write of a new
// session, Renew, Login, Destroy) set the cookie, so call them before the
// response's header is written. A Session is safe for concurrent use by
// the request's goroutines.
type Session struct {
	m *Manager
	w http.ResponseWriter

	mu      sync.Mutex
	id      string // "" until stored
	created time.Time
	user    string
	values  map[string][]byte
}

// ID returns the session id, "" for a session not stored yet.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// User returns the user recorded by Login, "" when nobody is logged in.
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Get returns the value of key.
func (s *Session) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	return v, ok
}

// GetString returns the value of key as a string, "" when missing.
func (s *Session) GetString(key string) string {
	v, _ := s.Get(key)
	return string(v)
}

// Keys returns the session's keys.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.values))
	for k := range s.values {
		out = append(out, k)
	}
	return out
}

// Set stores value under key, writing that field only. A new session is
// created (and its cookie set) by its first write.
func (s *Session) Set(ctx context.Context, key string, value []byte) error {
	if key == "" {
		return ErrEmptyKey
	}
	return s.update(ctx, map[string][]byte{keyPrefix + key: value}, nil, func() { s.values[key] = append([]byte{}, value...) })
}

// SetString is Set of a string.
func (s *Session) SetString(ctx context.Context, key, value string) error {
	return s.Set(ctx, key, []byte(value))
}

// Delete removes key from the session.
func (s *Session) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	stored := s.id != ""
	s.mu.Unlock()
	if !stored {
		s.mu.Lock()
		delete(s.values, key)
		s.mu.Unlock()
		return nil
	}
	return s.update(ctx, nil, []string{keyPrefix + key}, func() { delete(s.values, key) })
}

// update writes set and del, creating the session first if needed, and on
// success applies them locally with apply.
func (s *Session) update(ctx context.Context, set map[string][]byte, del []string, apply func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.id == "" {
		return s.create(ctx, now, set, apply)
	}
	all := maps.Clone(set)
	if all == nil {
		all = map[string][]byte{}
	}
	all[fieldTouched] = millis(now) // a write is activity; the TTL restarts
	ok, err := s.m.fields.UpdateFields(ctx, s.m.key(s.id), all, del, s.m.lifetime(s.created, now), false)
	if err != nil {
		return fmt.Errorf("session: write: %w", err)
	}
	if !ok {
		return ErrEnded
	}
	apply()
	return nil
}

// create stores the session under a fresh id with extra fields and sets
// the cookie. The caller holds s.mu.
func (s *Session) create(ctx context.Context, now time.Time, extra map[string][]byte, apply func()) error {
	fields := make(map[string][]byte, len(s.values)+len(extra)+2)
	for k, v := range s.values {
		fields[keyPrefix+k] = v
	}
	maps.Copy(fields, extra)
	created := s.created
	if created.IsZero() {
		created = now
	}
	fields[fieldCreated] = millis(created)
	fields[fieldTouched] = millis(now)
	id := newID()
	if _, err := s.m.fields.UpdateFields(ctx, s.m.key(id), fields, nil, s.m.lifetime(created, now), true); err != nil {
		return fmt.Errorf("session: create: %w", err)
	}
	s.id, s.created = id, created
	if apply != nil {
		apply()
	}
	s.m.setCookie(s.w, id)
	return nil
}

// Renew moves the session to a new id, keeping its data and its creation
// time (the absolute timeout still counts from the start), and deletes the
// old id. Call it whenever the session's privileges change; Login does.
//
// A write made by a concurrent request between Renew's read of the session
// and its deletion of the old id is lost; one made after it fails with
// ErrEnded.
func (s *Session) Renew(ctx context.Context) error {
	return s.renew(ctx, nil, false, nil)
}

func (s *Session) renew(ctx context.Context, extra map[string][]byte, restart bool, apply func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.id
	carry := map[string][]byte{}
	if old != "" {
		// Carry over the fields as stored now, other requests' writes
		// included, not just what this request loaded.
		fields, found, err := s.m.fields.GetFields(ctx, s.m.key(old))
		if err != nil {
			return fmt.Errorf("session: renew: %w", err)
		}
		if !found {
			return ErrEnded
		}
		s.values = map[string][]byte{}
		for k, v := range fields {
			if name, ok := cutKey(k); ok {
				s.values[name] = v
			} else if k == fieldUser || k == fieldGeneration {
				carry[k] = v
			}
		}
	}
	maps.Copy(carry, extra)
	if restart {
		s.created = time.Time{}
	}
	if err := s.create(ctx, time.Now(), carry, apply); err != nil {
		return err
	}
	if old != "" {
		if err := s.m.p.Delete(ctx, s.m.key(old)); err != nil {
			return fmt.Errorf("session: renew: delete the old id: %w", err)
		}
	}
	return nil
}

// Login records user in the session under a new id (against fixation),
// along with the user's current generation, created now if the user has
// none, so that LogoutEverywhere can end it. The session's data is kept;
// its absolute timeout starts again.
func (s *Session) Login(ctx context.Context, user string) error {
	if user == "" {
		return fmt.Errorf("session: login: empty user")
	}
	gen, err := s.m.ensureGeneration(ctx, user)
	if err != nil {
		return err
	}
	extra := map[string][]byte{fieldUser: []byte(user), fieldGeneration: []byte(gen)}
	return s.renew(ctx, extra, true, func() { s.user = user })
}

// Destroy deletes the session and expires its cookie (logging out this
// session only). The request goes on with an empty session.
func (s *Session) Destroy(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id != "" {
		if err := s.m.p.Delete(ctx, s.m.key(s.id)); err != nil {
			return fmt.Errorf("session: destroy: %w", err)
		}
	}
	s.id, s.user, s.created, s.values = "", "", time.Time{}, map[string][]byte{}
	s.m.setCookie(s.w, "")
	return nil
}

func cutKey(field string) (string, bool) {
	if len(field) > len(keyPrefix) && field[:len(keyPrefix)] == keyPrefix {
		return field[len(keyPrefix):], true
	}
	return "", false
}
