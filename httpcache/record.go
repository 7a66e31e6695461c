package httpcache

import (
	"net/http"
	"strconv"
	"time"
)

// record is what the cache stores under a key: either a stored response,
// or, under the primary key of a response that varies, the Vary spec that
// says which request fields select among its variants (RFC 9111 §4.1).
//
// It is one plain struct so that every provider can keep it: the memory
// provider as a Go value, Valkey as msgpack. Stored records are shared by
// every reader of an in-process provider and must never be modified; a
// change is a new record.
type record struct {
	// Spec marks a Vary spec. Its variants are stored under keys made from
	// the primary key, Gen and the request's values of the fields in Vary;
	// a new Gen (after the primary key was invalidated) leaves every older
	// variant unreachable.
	Spec bool     `json:"spec,omitempty"`
	Gen  string   `json:"gen,omitempty"`
	Vary []string `json:"vary,omitempty"` // canonical field names, sorted

	// Select is, for a response that varies, the normalised values of the
	// Vary fields in the request that stored it, in Vary's order.
	Select []string `json:"sel,omitempty"`

	Status int         `json:"st,omitempty"`
	Header http.Header `json:"hdr,omitempty"`
	Body   []byte      `json:"body,omitempty"`

	// Sent and Received are request_time and response_time of RFC 9111
	// §4.2.3, in Unix nanoseconds: when the request that produced the
	// response (or last validated it) was sent, and when its answer came.
	Sent     int64 `json:"sent,omitempty"`
	Received int64 `json:"recv,omitempty"`

	// What follows is computed once when the record is made, from the
	// response and the times above, so that a hit parses nothing.

	// InitialAge is corrected_initial_age, and Lifetime freshness_lifetime
	// (§4.2.1), in nanoseconds.
	InitialAge int64 `json:"age,omitempty"`
	Lifetime   int64 `json:"life,omitempty"`
	// SWR and SIE are the response's stale-while-revalidate and
	// stale-if-error windows in nanoseconds, -1 when it has none.
	SWR int64 `json:"swr"`
	SIE int64 `json:"sie"`
	// NoStale marks a response that may never be served stale:
	// must-revalidate, proxy-revalidate or s-maxage (§4.2.4, §5.2.2.10).
	NoStale bool `json:"nostale,omitempty"`
	// NoCache is an unqualified no-cache: every reuse needs validation.
	// NoCacheFields are the fields of a qualified one, never sent without
	// validation.
	NoCache       bool     `json:"nocache,omitempty"`
	NoCacheFields []string `json:"ncf,omitempty"`
	// Tags are the response's tags, as its tag header listed them.
	Tags []string `json:"tags,omitempty"`
}

// age is the response's current_age at now (RFC 9111 §4.2.3).
func (r *record) age(now time.Time) time.Duration {
	resident := now.UnixNano() - r.Received
	return time.Duration(r.InitialAge + max(resident, 0))
}

// lifetime is the response's freshness lifetime.
func (r *record) lifetime() time.Duration { return time.Duration(r.Lifetime) }

// ttl is the remaining freshness at now: negative once stale. It is what
// Cache-Status reports as ttl.
func (r *record) ttl(now time.Time) time.Duration { return r.lifetime() - r.age(now) }

// fresh reports whether the response is fresh at now: its lifetime exceeds
// its age (§4.2).
func (r *record) fresh(now time.Time) bool { return r.ttl(now) > 0 }

// staleness is how long the response has been stale at now (0 when fresh).
func (r *record) staleness(now time.Time) time.Duration { return max(-r.ttl(now), 0) }

// identity names this version of a stored response: the same bytes read by
// any process give the same identity, and a new response or a validation
// gives a new one. Loads of one stale version are coalesced under it.
func (r *record) identity() string {
	if r == nil {
		return "-"
	}
	return strconv.FormatInt(r.Received, 10)
}

// weight is the record's cost against a weight-bounded in-process store:
// its body and, roughly, its header fields.
func (r *record) weight() uint32 {
	n := len(r.Body) + 64
	for k, vs := range r.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v) + 4
		}
	}
	return uint32(min(n, 1<<31))
}
