// Package twolevel is a provider with two levels: typed copies in this
// process (L1, a memory.Provider) in front of a shared Valkey (L2, a
// valkeystore.Provider), kept coherent across instances.
//
// A read is answered from the copy when it is known current, else from L2,
// whose value is kept as the copy; writes go to L2 and drop the writer's
// copy, so a process reads its own writes. Other instances learn of a
// change from the server's invalidation pushes (client tracking), to which
// reads register without a round trip of their own; a lost connection stops
// every copy at once. Where the server refuses client tracking, copies live
// a short, configured time instead (Expiry coherence).
//
// The facade finds the copies through driver.NearCache; see
// docs/twolevel.md for the protocol, its guarantees and its costs.
package twolevel
