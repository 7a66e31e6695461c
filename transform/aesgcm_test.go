package transform_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/valcache/valcache/transform"
)

func TestKeyringValidation(t *testing.T) {
	for name, keys := range map[string][]transform.Key{
		"id zero":     {{ID: 0, Secret: secret(1)}},
		"short":       {{ID: 1, Secret: secret(1)[:16]}},
		"long":        {{ID: 1, Secret: append(secret(1), 0)}},
		"no secret":   {{ID: 1}},
		"duplicate":   {{ID: 1, Secret: secret(1)}, {ID: 1, Secret: secret(2)}},
		"bad old key": {{ID: 1, Secret: secret(1)}, {ID: 2, Secret: secret(2)[:31]}},
	} {
		if _, err := transform.NewKeyring(keys[0], keys[1:]...); !errors.Is(err, transform.ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", name, err)
		}
	}
	kr, err := transform.NewKeyring(transform.Key{ID: 7, Secret: secret(7)}, transform.Key{ID: 3, Secret: secret(3)})
	if err != nil {
		t.Fatal(err)
	}
	if kr.Current() != 7 || len(kr.IDs()) != 2 || kr.IDs()[0] != 3 {
		t.Fatalf("current %d, ids %v", kr.Current(), kr.IDs())
	}
	if _, err := transform.NewAESGCM(nil); err == nil {
		t.Fatal("NewAESGCM(nil) succeeded")
	}
}

func TestKeyringKeepsNoSecret(t *testing.T) {
	s := secret(9)
	a := newAES(t, transform.Key{ID: 1, Secret: s})
	sealed, _ := a.Apply(nil, []byte("value"), []byte("aad"))
	for i := range s {
		s[i] = 0 // the caller wipes its copy
	}
	if back, err := a.Revert(nil, sealed, []byte("aad")); err != nil || string(back) != "value" {
		t.Fatalf("after wiping the caller's secret: %q, %v", back, err)
	}
}

func TestAESGCMRoundTrip(t *testing.T) {
	a := newAES(t, transform.Key{ID: 1, Secret: secret(1)})
	aad := []byte("ns\x00key\x00header")
	for _, in := range [][]byte{{}, []byte("v"), noise(4 << 10), noise(256 << 10)} {
		out, err := a.Apply([]byte("hdr"), in, aad)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 3+len(in)+transform.GCMOverhead {
			t.Fatalf("%d bytes sealed to %d", len(in), len(out)-3)
		}
		if len(in) > 16 && bytes.Contains(out, in[:16]) {
			t.Fatal("the plaintext shows in the sealed value")
		}
		back, err := a.Revert(nil, out[3:], aad)
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("%d bytes: %v", len(in), err)
		}
	}
}

func TestAESGCMFreshNonces(t *testing.T) {
	a := newAES(t, transform.Key{ID: 1, Secret: secret(1)})
	x, _ := a.Apply(nil, []byte("same"), nil)
	y, _ := a.Apply(nil, []byte("same"), nil)
	if bytes.Equal(x[4:16], y[4:16]) || bytes.Equal(x, y) {
		t.Fatal("two seals of one value share a nonce")
	}
}

func TestAESGCMRefusesTampering(t *testing.T) {
	a := newAES(t, transform.Key{ID: 1, Secret: secret(1)}, transform.Key{ID: 2, Secret: secret(2)})
	aad := []byte("namespace/key/header")
	good, _ := a.Apply(nil, noise(300), aad)
	tamper := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 1
		return b
	}
	for name, tc := range map[string]struct {
		in, aad []byte
		want    error
	}{
		"ciphertext bit":  {tamper(40), aad, transform.ErrAuthentication},
		"nonce bit":       {tamper(5), aad, transform.ErrAuthentication},
		"tag bit":         {tamper(len(good) - 1), aad, transform.ErrAuthentication},
		"other key id":    {append([]byte{0, 0, 0, 2}, good[4:]...), aad, transform.ErrAuthentication},
		"unknown key id":  {append([]byte{0, 0, 0, 9}, good[4:]...), aad, transform.ErrUnknownKey},
		"other aad":       {good, []byte("namespace/other/header"), transform.ErrAuthentication},
		"no aad":          {good, nil, transform.ErrAuthentication},
		"truncated":       {good[:len(good)-1], aad, transform.ErrAuthentication},
		"shorter than iv": {good[:20], aad, transform.ErrCorrupt},
		"empty":           {nil, aad, transform.ErrCorrupt},
	} {
		if out, err := a.Revert(nil, tc.in, tc.aad); !errors.Is(err, tc.want) || len(out) != 0 {
			t.Errorf("%s: %d bytes, %v; want nothing and %v", name, len(out), err, tc.want)
		}
	}
}

func TestAESGCMRotation(t *testing.T) {
	k1 := transform.Key{ID: 1, Secret: secret(1)}
	k2 := transform.Key{ID: 2, Secret: secret(2)}
	a := newAES(t, k1)
	old, _ := a.Apply(nil, []byte("old"), nil)

	// Rolled out first as a key to read with, then made current.
	kr, _ := transform.NewKeyring(k1, k2)
	if err := a.SetKeyring(kr); err != nil {
		t.Fatal(err)
	}
	kr, _ = transform.NewKeyring(k2, k1)
	if err := a.SetKeyring(kr); err != nil {
		t.Fatal(err)
	}
	fresh, _ := a.Apply(nil, []byte("new"), nil)
	if fresh[3] != 2 {
		t.Fatalf("sealed with key %d after rotating to 2", fresh[3])
	}
	for in, want := range map[string]string{string(old): "old", string(fresh): "new"} {
		if back, err := a.Revert(nil, []byte(in), nil); err != nil || string(back) != want {
			t.Fatalf("%q: %q, %v", want, back, err)
		}
	}
	// Once key 1 is retired, its entries are refused, not misread.
	kr, _ = transform.NewKeyring(k2)
	_ = a.SetKeyring(kr)
	if _, err := a.Revert(nil, old, nil); !errors.Is(err, transform.ErrUnknownKey) {
		t.Fatalf("an entry of a retired key: %v, want ErrUnknownKey", err)
	}
	// Another secret under the same id does not open it either.
	other := newAES(t, transform.Key{ID: 2, Secret: secret(3)})
	if _, err := other.Revert(nil, fresh, nil); !errors.Is(err, transform.ErrAuthentication) {
		t.Fatalf("same id, other secret: %v, want ErrAuthentication", err)
	}
}
