package valkeystore

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/valcache/valcache/internal/sibling"
	"github.com/valkey-io/valkey-go"
)

// Listen registers fn to be told of every invalidation push the client
// receives, parsed into the provider's keys; names that are neither
// entries nor versions of this provider's prefix are left out. It returns
// a function that removes fn.
//
// fn runs on a connection's reader goroutine: it must not call the
// provider or the client (the reply it would wait for is read by the
// goroutine it blocks) and should return quickly.
func (p siblingView) Listen(fn func(sibling.Invalidation)) (remove func()) {
	return p.listeners.add(fn)
}

// TracksAllReads reports whether Config.TrackAllReads is in effect, so that
// every key read is reported when it changes.
func (p siblingView) TracksAllReads() bool { return p.cfg.TrackAllReads && p.tracking }

// listeners holds the registered functions, copied on write so that a push
// reads them without a lock.
type listeners struct {
	keys layout
	mu   sync.Mutex
	fns  atomic.Pointer[[]*func(sibling.Invalidation)]
}

func (l *listeners) add(fn func(sibling.Invalidation)) func() {
	entry := &fn
	l.mu.Lock()
	defer l.mu.Unlock()
	var list []*func(sibling.Invalidation)
	if cur := l.fns.Load(); cur != nil {
		list = slices.Clone(*cur)
	}
	list = append(list, entry)
	l.fns.Store(&list)
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		cur := l.fns.Load()
		if cur == nil {
			return
		}
		list := slices.DeleteFunc(slices.Clone(*cur), func(f *func(sibling.Invalidation)) bool { return f == entry })
		l.fns.Store(&list)
	}
}

func (l *listeners) notify(msgs []valkey.ValkeyMessage) {
	cur := l.fns.Load()
	if cur == nil || len(*cur) == 0 {
		return
	}
	inv := sibling.Invalidation{All: msgs == nil}
	for _, m := range msgs {
		name, err := m.ToString()
		if err != nil {
			continue
		}
		if k, ok := l.keys.parseEntryKey(name); ok {
			inv.Entries = append(inv.Entries, k)
		} else if vk, ok := l.keys.parseVersionKey(name); ok {
			inv.Versions = append(inv.Versions, vk)
		}
	}
	if !inv.All && len(inv.Entries) == 0 && len(inv.Versions) == 0 {
		return
	}
	for _, fn := range *cur {
		(*fn)(inv)
	}
}
