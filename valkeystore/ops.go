package valkeystore

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// Get implements driver.Provider with one GET.
func (p *Provider) Get(ctx context.Context, key driver.Key) ([]byte, bool, error) {
	if err := p.gate(); err != nil {
		return nil, false, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	return p.getEntry(ctx, p.keys.entryKey(key))
}

// getEntry reads an entry with one GET.
func (p *Provider) getEntry(ctx context.Context, name string) ([]byte, bool, error) {
	return entryReply(p.client.Do(ctx, p.client.B().Get().Key(name).Build()))
}

// entryReply reads a GET reply of an entry: nil and a load's placeholder
// are misses.
func entryReply(resp valkey.ValkeyResult) ([]byte, bool, error) {
	b, err := resp.AsBytes()
	if err != nil {
		if valkey.IsValkeyNil(err) {
			return nil, false, nil
		}
		return nil, false, wrap("get", err)
	}
	if isPlaceholder(b) { // a load is running: no value yet
		return nil, false, nil
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

// Set implements driver.Provider with one SET … PX, so sub-second TTLs are
// kept to the millisecond.
func (p *Provider) Set(ctx context.Context, key driver.Key, value []byte, ttl time.Duration) error {
	if err := p.gate(); err != nil {
		return err
	}
	cmd, err := p.setCommand(key, value, ttl)
	if err != nil {
		return err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	if err := p.client.Do(ctx, cmd).Error(); err != nil {
		return wrap("set", err)
	}
	p.wrote(key)
	return nil
}

// wrote wakes this process's load waiters on key, which a write may have
// freed of a placeholder: under NOLOOP the server does not push this
// connection's own writes back to it.
func (p *Provider) wrote(key driver.Key) {
	if p.waiters.n.Load() > 0 {
		p.waiters.wake(p.keys.entryKey(key))
	}
}

// setCommand builds SET key value [PX ms]. The value is copied into the
// command: a call abandoned on its context may still be written afterwards,
// and the caller is free to reuse its buffer once Set returns.
func (p *Provider) setCommand(key driver.Key, value []byte, ttl time.Duration) (valkey.Completed, error) {
	if err := p.checkWrite(value, ttl); err != nil {
		return valkey.Completed{}, err
	}
	set := p.client.B().Set().Key(p.keys.entryKey(key)).Value(string(value))
	if ttl == driver.NoExpiry {
		return set.Build(), nil
	}
	return set.PxMilliseconds(millis(ttl)).Build(), nil
}

// checkWrite refuses a TTL the contract forbids and a value over the
// limit, before anything is sent.
func (p *Provider) checkWrite(value []byte, ttl time.Duration) error {
	if !driver.ValidTTL(ttl) {
		return fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	if len(value) > p.cfg.MaxValueBytes {
		return &driver.ValueTooLargeError{Size: len(value), Limit: p.cfg.MaxValueBytes}
	}
	return nil
}

// millis rounds up, so that a TTL under a millisecond still expires rather
// than becoming an invalid zero (and without adding first, which would
// overflow the longest TTLs).
func millis(ttl time.Duration) int64 {
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// Delete implements driver.Provider with UNLINK, which frees large values
// off the server's main thread.
func (p *Provider) Delete(ctx context.Context, key driver.Key) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	if err := p.client.Do(ctx, p.client.B().Unlink().Key(p.keys.entryKey(key)).Build()).Error(); err != nil {
		return wrap("delete", err)
	}
	p.wrote(key)
	return nil
}
