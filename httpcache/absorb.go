package httpcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// absorb decides what an origin exchange made for q means for the cache
// and for the requests waiting for it, and stores what may be stored.
//
// It returns the response the waiters may reuse (and the key it was
// stored under, "" when it was not), or, when they may not, an
// *originError (the origin failed; stale-if-error may apply) or a
// *notSharedError (each waiter must ask the origin itself).
func (c *Cache) absorb(ctx context.Context, q *request, ex exchange, stale *record) (*record, string, error) {
	switch {
	case ex.slow:
		return nil, "", &notSharedError{why: "the response took longer than OriginTimeout"}
	case ex.failure != nil:
		c.stats.originErrors.Add(1)
		c.cfg.Logger.Warn("httpcache: origin request failed", slog.String("url", q.r.URL.String()), slog.Any("error", ex.failure))
		return nil, "", &originError{cause: ex.failure.Error(), timeout: errors.Is(ex.failure, errTimeout)}
	case ex.status == http.StatusNotModified && ex.conditional && stale != nil:
		// §4.3.3: the stored response is still good; §4.3.4: freshen it.
		rec, ok := c.freshen(stale, ex.header, ex.sent, ex.received)
		if !ok {
			return nil, "", &notSharedError{why: whyForeign304}
		}
		c.stats.freshened.Add(1)
		key, _ := c.keep(ctx, q, rec)
		return &rec, key, nil
	}
	cc := parseDirectives(ex.header)
	st := c.storable(q.r, q.cc, ex.status, ex.header, cc)
	if st.personal {
		c.stats.notStored.Add(1)
		return nil, "", &notSharedError{why: st.why}
	}
	if !ex.complete {
		c.stats.notStored.Add(1)
		return nil, "", &notSharedError{why: "body larger than MaxBodySize"}
	}
	rec := c.newRecord(q.r.Header, ex.status, ex.header, ex.body, ex.sent, ex.received, cc)
	if ex.status >= 500 && (stale != nil || !st.ok) {
		// §4.3.3: a server error met while validating may be treated as a
		// failure to respond, and stale-if-error serves the stored
		// response; either way the waiters get this answer rather than
		// each asking a failing origin.
		c.stats.originErrors.Add(1)
		return nil, "", &originError{cause: "status " + strconv.Itoa(ex.status), resp: &rec}
	}
	if !st.ok {
		c.stats.notStored.Add(1)
		return nil, "", &notSharedError{why: st.why}
	}
	key, _ := c.keep(ctx, q, rec)
	return &rec, key, nil
}

// worthKeeping reports, when a response's fields arrive, whether its body
// should be held: only a response that may be stored or passed to other
// requests needs it.
func (c *Cache) worthKeeping(q *request, t *tee) bool {
	if t.status == http.StatusNotModified {
		return true
	}
	st := c.storable(q.r, q.cc, t.status, t.snapshot, parseDirectives(t.snapshot))
	return !st.personal && (st.ok || t.status >= 500)
}

// newRecord makes the record of a response received for a request with
// fields reqHeader, computing its age and freshness now.
func (c *Cache) newRecord(reqHeader http.Header, status int, header http.Header, body []byte, sent, received time.Time, cc directives) record {
	stored := c.storedHeader(header, cc, received.UTC().Format(http.TimeFormat))
	date := dateValue(stored, received)
	exp := c.freshnessLifetime(status, stored, cc, date)
	rec := record{
		Status:        status,
		Header:        stored,
		Body:          body,
		Sent:          sent.UnixNano(),
		Received:      received.UnixNano(),
		InitialAge:    int64(initialAge(header, date, sent, received)),
		Lifetime:      int64(exp.lifetime),
		SWR:           window(cc.swr),
		SIE:           window(cc.sie),
		NoStale:       cc.mustRevalid || cc.proxyRevalid || cc.sMaxAge >= 0,
		NoCache:       cc.noCache && len(cc.noCacheFields) == 0,
		NoCacheFields: cc.noCacheFields,
		Tags:          c.tagsOf(header),
	}
	if names, _ := varyNames(header); len(names) > 0 {
		rec.Vary = names
		rec.Select = selection(reqHeader, names)
	}
	return rec
}

// keepFor is how long rec is kept in the store: its remaining freshness and
// then its longest stale window (or KeepStale, when it has a validator and
// can be revalidated), at least flightTTL (so that the waiters of other
// processes can read it), at most MaxTTL.
func (c *Cache) keepFor(rec *record, now time.Time) time.Duration {
	stale := max(c.swrWindow(rec), c.sieWindow(rec))
	if rec.Header.Get("ETag") != "" || rec.Header.Get("Last-Modified") != "" {
		stale = max(stale, c.cfg.KeepStale)
	}
	d := max(rec.ttl(now)+stale, flightTTL)
	if c.cfg.MaxTTL > 0 {
		d = min(d, c.cfg.MaxTTL)
	}
	return d
}

// specTTL is the least a Vary spec is kept: it outlives its variants
// rather than hide them, and is small.
const specTTL = time.Hour

// keep stores rec for q and returns the key it is under. A response that
// varies is stored under its variant key, with the Vary spec under the
// primary key. A store that fails is logged and counted: the response is
// still served, to its client and to the waiters of this process.
func (c *Cache) keep(ctx context.Context, q *request, rec record) (string, error) {
	if q.cc.noStore {
		// §5.2.1.5: nothing of a no-store request's exchange is stored, not
		// even the freshening of what is stored already.
		return "", nil
	}
	key, err := c.put(ctx, q.key, rec)
	if err != nil {
		c.stats.storeErrors.Add(1)
		c.warnStore("httpcache: cannot store a response", slog.String("url", q.r.URL.String()), slog.Any("error", err))
		return "", err
	}
	c.stats.stored.Add(1)
	return key, nil
}

func (c *Cache) put(ctx context.Context, primary string, rec record) (string, error) {
	ttl := c.keepFor(&rec, c.now())
	if len(rec.Vary) == 0 {
		return primary, c.store.put(ctx, primary, rec, ttl, rec.Tags)
	}
	gen := ""
	if spec, ok, err := c.store.get(ctx, primary); err == nil && ok && spec.Spec && slices.Equal(spec.Vary, rec.Vary) {
		gen = spec.Gen
	}
	if gen == "" {
		gen = newGen()
	}
	specLife := max(ttl, specTTL)
	if c.cfg.MaxTTL > 0 {
		specLife = min(specLife, max(c.cfg.MaxTTL, ttl))
	}
	if err := c.store.put(ctx, primary, record{Spec: true, Gen: gen, Vary: rec.Vary, SWR: -1, SIE: -1}, specLife, nil); err != nil {
		return "", err
	}
	vk := variantKey(primary, gen, rec.Select)
	return vk, c.store.put(ctx, vk, rec, ttl, rec.Tags)
}

// newGen is a random generation for a Vary spec.
func newGen() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
