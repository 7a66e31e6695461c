package fakestore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/fakestore"
)

// The conformance kit proves the contract; these tests prove the switches
// the facade's tests rely on.

var k = driver.Key{Namespace: "ns", ID: "k"}

func TestViewsShowOnlyTheCapabilitiesAskedFor(t *testing.T) {
	for _, c := range []struct {
		cfg                          fakestore.Config
		batch, followed, cells, near bool
	}{
		{fakestore.Config{}, true, false, false, false},
		{fakestore.Config{NoBatch: true}, false, false, false, false},
		{fakestore.Config{Followed: true}, true, true, false, false},
		{fakestore.Config{Followed: true, NoBatch: true}, false, true, false, false},
		{fakestore.Config{Cells: true}, true, false, true, false},
		{fakestore.Config{Cells: true, NoBatch: true}, false, false, true, false},
		{fakestore.Config{Near: true}, true, false, false, true},
		{fakestore.Config{Near: true, NoBatch: true}, false, false, false, true},
		{fakestore.Config{Near: true, Followed: true}, true, true, false, true},
		{fakestore.Config{Near: true, Followed: true, NoBatch: true}, false, true, false, true},
	} {
		p := fakestore.New(c.cfg).Provider()
		_, batch := p.(driver.BatchGetter)
		_, followed := p.(driver.FollowedVersions)
		_, cells := p.(driver.VersionCells)
		_, near := p.(driver.NearCache)
		_, locks := p.(driver.LoadLocker)
		_, groups := p.(driver.VersionGroups)
		if batch != c.batch || followed != c.followed || cells != c.cells || near != c.near || !locks || !groups {
			t.Errorf("%+v: batch %v followed %v cells %v near %v locks %v groups %v", c.cfg, batch, followed, cells, near, locks, groups)
		}
		_ = p.Close()
	}
}

func TestPeersShareEntriesButNotFaults(t *testing.T) {
	ctx := t.Context()
	a := fakestore.New(fakestore.Config{})
	b := a.Peer()
	if err := a.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	a.Unreachable()
	if _, _, err := a.Get(ctx, k); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Get of the cut-off store: %v", err)
	}
	if v, ok, err := b.Get(ctx, k); err != nil || !ok || string(v) != "v" {
		t.Fatalf("Get of its peer: %q %v %v", v, ok, err)
	}
	_ = a.Close()
	if _, _, err := a.Get(ctx, k); !errors.Is(err, driver.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, ok, err := b.Get(ctx, k); err != nil || !ok {
		t.Fatalf("the peer after the other closed: %v %v", ok, err)
	}
	if a.Calls(fakestore.OpGet) != 2 || b.Calls(fakestore.OpGet) != 2 {
		t.Fatalf("calls counted: %d and %d, want 2 each", a.Calls(fakestore.OpGet), b.Calls(fakestore.OpGet))
	}
}

func TestAKeyFaultFailsThatEntryOfABatchOnly(t *testing.T) {
	ctx := t.Context()
	st := fakestore.New(fakestore.Config{})
	keys := []driver.Key{{Namespace: "ns", ID: "a"}, k, {Namespace: "ns", ID: "c"}}
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpSetMany}, Key: "k", Times: 1})
	items := make([]driver.Item, len(keys))
	for i, key := range keys {
		items[i] = driver.Item{Key: key, Value: []byte(key.ID), TTL: time.Minute}
	}
	err := st.SetMany(ctx, items)
	var be *driver.BatchError
	if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[1] == nil {
		t.Fatalf("SetMany: %v, want item 1 failed", err)
	}
	if ids := st.IDs("ns"); len(ids) != 2 {
		t.Fatalf("stored %q, want a and c", ids)
	}
	if err := st.SetMany(ctx, items); err != nil {
		t.Fatalf("SetMany once the fault fired its once: %v", err)
	}
}

func TestAGroupFaultFailsThoseGroupsOfAVersionCall(t *testing.T) {
	ctx := t.Context()
	st := fakestore.New(fakestore.Config{Groups: 3})
	keys := []driver.VersionKey{{Namespace: "ns", Group: 0}, {Namespace: "ns", Group: 1}, {Namespace: "ns", Group: 2}}
	before, err := st.EnsureVersions(ctx, keys, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st.Inject(fakestore.Fault{Groups: []int{1}})
	_, err = st.Versions(ctx, keys)
	var ge *driver.GroupsError
	if !errors.As(err, &ge) || len(ge.Failed) != 1 || ge.Failed[1] == nil {
		t.Fatalf("Versions with group 1 down: %v, want a *GroupsError naming it", err)
	}
	if err := st.BumpVersions(ctx, keys); !errors.As(err, &ge) {
		t.Fatalf("BumpVersions with group 1 down: %v", err)
	}
	st.Heal()
	after, err := st.Versions(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if after[0] == before[0] || after[1] != before[1] || after[2] == before[2] {
		t.Fatalf("versions %v after %v: want groups 0 and 2 bumped, 1 kept", after, before)
	}
	if _, _, err := st.Get(ctx, driver.Key{Namespace: "ns", ID: "x"}); err != nil {
		t.Fatalf("an entry call after healing: %v", err)
	}
}

func TestALostReplyTakesEffect(t *testing.T) {
	ctx := t.Context()
	st := fakestore.New(fakestore.Config{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpSet}, Lost: true})
	err := st.Set(ctx, k, []byte("v"), time.Minute)
	if !errors.Is(err, driver.ErrUnavailable) || errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("Set with its reply lost: %v, want ErrUnavailable and not ErrUnreachable", err)
	}
	if v, ok := st.Raw(k); !ok || string(v) != "v" {
		t.Fatal("the write whose reply was lost did not land")
	}
}

func TestAHungCallEndsWithItsBudgetOrItsContext(t *testing.T) {
	st := fakestore.New(fakestore.Config{Budgets: driver.Budgets{Single: 50 * time.Millisecond}})
	st.Inject(fakestore.Fault{Hang: true})
	if _, _, err := st.Get(context.Background(), k); !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("hung Get without a deadline: %v, want the provider's own timeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := st.Get(ctx, k); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get on a cancelled context: %v", err)
	}
	unbounded := fakestore.New(fakestore.Config{})
	unbounded.Inject(fakestore.Fault{Hang: true, Err: errors.New("after healing")})
	done := make(chan error, 1)
	go func() { _, _, err := unbounded.Get(context.Background(), k); done <- err }()
	time.Sleep(10 * time.Millisecond) // most likely hung by now; either way Heal ends it
	unbounded.Heal()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a call hung until Heal succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Heal did not release the hung call")
	}
}

func TestNearCopiesAreDroppedByAnyWriteAndRefusedWhileCutOff(t *testing.T) {
	ctx := t.Context()
	a := fakestore.New(fakestore.Config{Near: true, NearStaleIfError: time.Minute})
	b := a.Peer()
	if err := a.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	keep := func() {
		t.Helper()
		_, ok, _, lease, err := a.GetForNear(ctx, k, nil)
		if err != nil || !ok {
			t.Fatalf("GetForNear: %v %v", ok, err)
		}
		a.NearKeep(lease, "copy", 1)
		if !a.Near(k) {
			t.Fatal("no copy kept")
		}
	}
	keep()
	if err := b.Set(ctx, k, []byte("w"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if a.Near(k) {
		t.Fatal("a peer's write left the copy")
	}
	keep()
	a.Unreachable()
	if _, ok := a.NearGet(k); ok {
		t.Fatal("a copy was current while cut off")
	}
	if v, ok := a.NearStale(k); !ok || v != "copy" {
		t.Fatal("no stale copy within the bound")
	}
	a.Heal()
	if _, ok := a.NearGet(k); !ok {
		t.Fatal("the copy is not current after healing")
	}
	// A lease issued before a write keeps nothing.
	_, _, _, lease, _ := a.GetForNear(ctx, k, nil)
	if err := b.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	a.NearKeep(lease, "late", 1)
	if a.Near(k) {
		t.Fatal("a lease older than a write kept a copy")
	}
}
