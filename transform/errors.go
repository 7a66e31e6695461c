package transform

import "errors"

// Errors of Revert, checkable with errors.Is. Each means the stored bytes
// cannot be turned back into a value; a cache treats all of them as a miss.
var (
	// ErrCorrupt: the input is not something Apply produces.
	ErrCorrupt = errors.New("transform: corrupt input")
	// ErrTooLarge: decoding would exceed the configured maximum size.
	ErrTooLarge = errors.New("transform: decoded size exceeds the limit")
	// ErrUnknownKey: the input was sealed with a key the keyring lacks.
	ErrUnknownKey = errors.New("transform: sealed with a key the keyring does not hold")
	// ErrAuthentication: the input, or the context it was bound to, was
	// altered, or it was sealed with another secret under the same key id.
	ErrAuthentication = errors.New("transform: authentication failed")
)

// Errors of construction.
var (
	// ErrInvalidKey: a key has a bad id or length, or a keyring is
	// inconsistent.
	ErrInvalidKey = errors.New("transform: invalid key")
	// ErrInvalidOptions: a transformer's options are out of range.
	ErrInvalidOptions = errors.New("transform: invalid options")
)
