package lock

import "errors"

var (
	// ErrLocked is returned by TryAcquire when another holder has the lock.
	ErrLocked = errors.New("lock: held by another holder")
	// ErrLockLost is the cause of a lease's context when the lock expired,
	// or was removed or taken while the lease believed it held; Extend and
	// Release return it when the store no longer holds the lease's token.
	ErrLockLost = errors.New("lock: lost")
	// ErrReleased is the cause of a lease's context after Release.
	ErrReleased = errors.New("lock: released")
	// ErrNotHeld is returned by Extend and Release on a lease already
	// released, or already known to be lost (then together with ErrLockLost).
	ErrNotHeld = errors.New("lock: not held")
	// ErrInvalidOptions is wrapped by the errors returned for bad options.
	ErrInvalidOptions = errors.New("lock: invalid options")
)
