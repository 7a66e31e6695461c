package config

import "fmt"

// storageFields is Storage without its methods, for formatting.
type storageFields Storage

func (s Storage) redacted() storageFields {
	if s.Password != "" {
		s.Password = "[redacted]"
	}
	if s.SentinelPassword != "" {
		s.SentinelPassword = "[redacted]"
	}
	return storageFields(s)
}

// String formats the entry with its password redacted, so that logging or
// wrapping a Storage (%v, %+v, %s) never writes the secret.
func (s Storage) String() string { return fmt.Sprintf("%+v", s.redacted()) }

// GoString is String for %#v.
func (s Storage) GoString() string { return fmt.Sprintf("%#v", s.redacted()) }
