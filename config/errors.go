package config

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is matched (errors.Is) by every *Error.
	ErrInvalid = errors.New("config: invalid")
	// ErrUnknownStorage is returned for a storage name the file does not
	// define.
	ErrUnknownStorage = errors.New("config: unknown storage")
)

// Error is a problem in a configuration file, at a line and field of it.
type Error struct {
	File   string
	Line   int
	Column int
	// Field is the dotted path of the field, such as
	// "storages.sessions.port".
	Field string
	Msg   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %s:%d:%d: %s: %s", e.File, e.Line, e.Column, e.Field, e.Msg)
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
