// Package valkeystore is the provider for Valkey, single node or Valkey
// Cluster, built on valkey-go. Redis OSS 7 speaks the same protocol and works
// too.
//
// # Key layout
//
// An entry of namespace N under key K is stored at
//
//	<prefix>{<esc(N)>:<esc(K)>}
//
// where esc replaces '%', '{' and '}' by %25, %7B and %7D, and, in the
// namespace only, ':' by %3A. The
// braces are a hash tag chosen by the provider, never by user data: since
// neither escaped part can contain '}', the whole "N:K" is the tag, so entries
// spread over every slot, and any key the provider keeps beside an entry can
// be put in the entry's slot by reusing its tag. Because ':' is escaped in
// the namespace, the first ':' inside the braces separates namespace from
// key, so no (namespace, key) pair can spell another's entry key, whatever
// bytes the key holds. docs/key-layout.md has the full layout.
//
// # Cluster safety
//
// No command spans two slots. Bulk reads are grouped by slot (one MGET per
// slot) and all groups are pipelined at once; bulk writes are pipelined
// per-key SETs. A failure of some keys is reported as a *driver.BatchError.
// Clearing a namespace scans every primary with SCAN MATCH and unlinks what it
// finds: never KEYS, never FLUSHDB.
package valkeystore
