// Package config builds named storages from a YAML file, so that an
// application's middlewares and caches refer to a storage by name and the
// file decides where each one lives:
//
//	default: sessions
//	storages:
//	  sessions:
//	    use: valkey
//	    host: 127.0.0.1
//	    port: 6379
//	    password: ${VALKEY_PASSWORD}
//	  local:
//	    use: memory
//	    max_entries: 10000
//
// The file is checked strictly before anything connects: an unknown key, a
// missing field, an unknown provider or a malformed address is an *Error
// naming the file, the line and the field. Strings may refer to
// environment variables as ${NAME}, which keeps secrets out of the file; a
// variable that is not set is an error too, not an empty string.
//
// docs/config.md lists every field.
package config
