// Package scsstore lets github.com/alexedwards/scs/v2 keep its sessions in
// a storage.Storage, and so in process or on Valkey (single node or
// cluster):
//
//	sm := scs.New()
//	sm.Store = scsstore.New(reg.Default())
//
// scs writes each session as one value, the whole session at every commit;
// for sessions whose keys are written independently by concurrent requests,
// package session keeps one field per key instead.
package scsstore

import (
	"context"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/valcache/valcache/storage"
)

// DefaultTimeout bounds the calls scs makes without a context.
const DefaultTimeout = 5 * time.Second

// Store implements scs.Store, scs.CtxStore, scs.IterableStore and
// scs.IterableCtxStore.
type Store struct {
	s       storage.Storage
	timeout time.Duration
}

var (
	_ scs.Store            = (*Store)(nil)
	_ scs.CtxStore         = (*Store)(nil)
	_ scs.IterableStore    = (*Store)(nil)
	_ scs.IterableCtxStore = (*Store)(nil)
)

// New returns a Store over s.
func New(s storage.Storage) *Store { return &Store{s: s, timeout: DefaultTimeout} }

// WithTimeout returns a copy of the store whose context-free calls are
// bounded by d instead of DefaultTimeout.
func (st *Store) WithTimeout(d time.Duration) *Store {
	c := *st
	c.timeout = d
	return &c
}

func (st *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), st.timeout)
}

// FindCtx implements scs.CtxStore.
func (st *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if token == "" { // scs treats a malformed token as not found, not as an error
		return nil, false, nil
	}
	return st.s.Get(ctx, token)
}

// CommitCtx implements scs.CtxStore. An expiry already past deletes the
// session, since the store cannot keep a value for a non-positive time.
func (st *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ttl := time.Until(expiry)
	if ttl <= 0 {
		return st.s.Delete(ctx, token)
	}
	return st.s.Set(ctx, token, b, ttl)
}

// DeleteCtx implements scs.CtxStore.
func (st *Store) DeleteCtx(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return st.s.Delete(ctx, token)
}

// keyLister is what AllCtx needs of the storage; storage.ProviderStorage
// has it over providers that can scan.
type keyLister interface {
	Keys(ctx context.Context) ([]string, error)
}

// AllCtx implements scs.IterableCtxStore. It scans the storage's whole
// prefix and reads each session, so it is for administration, not for
// request paths.
func (st *Store) AllCtx(ctx context.Context) (map[string][]byte, error) {
	l, ok := st.s.(keyLister)
	if !ok {
		return nil, fmt.Errorf("scsstore: the storage cannot list its keys")
	}
	keys, err := l.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("scsstore: %w", err)
	}
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		b, found, err := st.s.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("scsstore: %w", err)
		}
		if found { // expired or deleted since the scan otherwise
			out[k] = b
		}
	}
	return out, nil
}

// Find implements scs.Store.
func (st *Store) Find(token string) ([]byte, bool, error) {
	ctx, cancel := st.ctx()
	defer cancel()
	return st.FindCtx(ctx, token)
}

// Commit implements scs.Store.
func (st *Store) Commit(token string, b []byte, expiry time.Time) error {
	ctx, cancel := st.ctx()
	defer cancel()
	return st.CommitCtx(ctx, token, b, expiry)
}

// Delete implements scs.Store.
func (st *Store) Delete(token string) error {
	ctx, cancel := st.ctx()
	defer cancel()
	return st.DeleteCtx(ctx, token)
}

// All implements scs.IterableStore.
func (st *Store) All() (map[string][]byte, error) {
	ctx, cancel := st.ctx()
	defer cancel()
	return st.AllCtx(ctx)
}
