package valcache

import (
	"fmt"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
)

// Entries are stored in the envelope format of package internal/envelope,
// which the valcache command and valkeystore's inspection read too.

// meta is what an entry knows about itself beyond its value: when it was
// written and how long it is fresh (zero: no times kept), and whether it
// records an absence. It is envelope.Meta under the names the cache's code
// uses; metaOf and (meta).envelope convert, at no cost.
type meta struct {
	written  time.Time
	freshFor time.Duration
	negative bool
}

func metaOf(m envelope.Meta) meta {
	return meta{written: m.Written, freshFor: m.FreshFor, negative: m.Negative}
}

func (m meta) envelope() envelope.Meta {
	return envelope.Meta{Written: m.written, FreshFor: m.freshFor, Negative: m.negative}
}

// appendEntry encodes an entry of this cache for dk: the envelope as
// appendEnvelopeMeta writes it, through the cache's transformers if it has
// any.
func (c *Cache[K, V]) appendEntry(dst []byte, dk driver.Key, v any, st *Stamp, m meta) ([]byte, error) {
	if st != nil && (st.byGroup != nil || st.group != c.groupOf(dk)) {
		// A stamp of several groups is written with the versions of dk's.
		view := *st
		view.versions = st.versionsFor(c.groupOf(dk))
		if view.versions == nil {
			return dst, fmt.Errorf("valcache: the stamp holds no versions of the group of key %q", dk.ID)
		}
		view.byGroup, view.group = nil, c.groupOf(dk)
		st = &view
	}
	if len(c.pipe.chain) == 0 {
		return appendEnvelopeMeta(dst, c.codec, v, st, m)
	}
	return c.pipe.appendEntry(dst, dk, c.codec, v, st, m)
}

// appendEnvelope writes the header, the stamps when there are any, and v's
// encoding to dst.
func appendEnvelope(dst []byte, c codec.Codec, v any, st *Stamp) ([]byte, error) {
	return appendEnvelopeMeta(dst, c, v, st, meta{})
}

// appendEnvelopeMeta is appendEnvelope with the optional times and the
// negative mark.
func appendEnvelopeMeta(dst []byte, c codec.Codec, v any, st *Stamp, m meta) ([]byte, error) {
	dst = appendHeader(dst, c.ID(), st, m, nil)
	if m.negative {
		return dst, nil
	}
	return c.Append(dst, v)
}

// appendHeader writes everything of an envelope but the payload, stamped
// with st's tags and versions; chain lists the ids of the transformers the
// payload will go through.
func appendHeader(dst []byte, codecID byte, st *Stamp, m meta, chain []byte) []byte {
	var tags []string
	var versions []driver.Version
	if st != nil {
		tags, versions = st.tags, st.versions
	}
	return envelope.AppendHeader(dst, codecID, tags, versions, m.envelope(), chain)
}
