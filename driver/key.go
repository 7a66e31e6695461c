package driver

// Key addresses one entry. Namespace and ID are kept apart, rather than joined
// into one string by the facade, for two reasons: an in-process provider can
// use the pair as a map key without building a new string on every lookup, and
// a remote provider can lay the two out however its key space needs (the
// Valkey provider escapes both and wraps them in a hash tag).
//
// ID is the user's key already encoded to a string by the facade's key codec.
// It may contain any bytes, including '{', '}' and ':'; providers must keep
// such IDs from colliding with each other, with other namespaces and with any
// internal keys they keep.
type Key struct {
	Namespace string
	ID        string
}
