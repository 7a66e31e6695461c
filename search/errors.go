package search

import (
	"errors"

	"github.com/valcache/valcache"
)

// Errors, checkable with errors.Is. Messages say which field or value was
// at fault.
var (
	// ErrBadSchema is wrapped by New for a schema it cannot use.
	ErrBadSchema = errors.New("search: bad schema")
	// ErrBadDocument is wrapped by writes whose value yields a document
	// that does not fit the schema; nothing is written.
	ErrBadDocument = errors.New("search: bad document")
	// ErrUnknownField is wrapped for a query naming a field the schema lacks.
	ErrUnknownField = errors.New("search: unknown field")
	// ErrWrongType is wrapped for a filter or sort that does not suit the
	// field's kind (a range on a tag field, sorting by a text field).
	ErrWrongType = errors.New("search: wrong field type")
	// ErrBadRange is wrapped for a malformed or empty numeric range.
	ErrBadRange = errors.New("search: malformed range")
	// ErrBadQuery is wrapped for other unusable queries: negative offset,
	// a limit out of bounds, a full-text query with no term, a tag filter
	// with no value.
	ErrBadQuery = errors.New("search: bad query")
	// ErrNotSupported is returned by New when the cache's provider keeps no
	// index (it lacks index.Backend).
	ErrNotSupported = valcache.ErrNotSupported
)
