// Package session is net/http session middleware over any driver.Provider:
// in process, or on Valkey, single node or cluster.
//
// # Storage
//
// A session is one field entry (FieldStore): a Valkey hash per
// session, one field per session key, plus a few fields of its own
// (creation and last-activity times, the user). A write sends only the
// fields it changes (HSET and HDEL in one script), so two requests of one
// session writing different keys at the same time both persist; writing the
// whole session back, as most session libraries do, would let the later
// request erase the earlier one's key. Each session is a single key, so on
// a cluster everything of one session is in one slot. Providers without
// FieldStore but with driver.Swapper keep each session as one value merged
// by compare-and-swap, which keeps the same guarantee at the cost of
// retries under contention.
//
// # Expiry
//
// A session ends after IdleTimeout without activity, and after
// AbsoluteTimeout whatever happens. The store's own expiry enforces both
// (each write sets the entry's TTL to the nearer of the two), and reads check
// them again. Activity is recorded at most once per TouchInterval, so a busy
// session costs one read per request, not a write: a session therefore
// ends between IdleTimeout−TouchInterval and IdleTimeout after its last
// request.
//
// # Identity
//
// Ids are 256 random bits. Login and Renew move the session to a new id
// and delete the old one, so an id planted in a victim's browser before
// login (session fixation) is worthless after it. Cookies are HttpOnly,
// Secure and SameSite=Lax unless configured otherwise.
//
// # Logging out everywhere
//
// Every user has a generation, a random value kept in the store (created
// by the user's first login, atomically, so concurrent logins agree). Login
// records it in the session; Manager.LogoutEverywhere replaces it, and
// every session holding the old one is refused and deleted at its next
// request. A session is accepted only while the generation it holds is the
// stored one, so losing the stored generation (eviction, flush, failover)
// logs the user out, never back in. On a provider with driver.Versioner the
// generation is a version: read from primaries, and expiring AbsoluteTimeout
// after the user's last login. A logged-in request costs one more read, of
// the generation.
package session
