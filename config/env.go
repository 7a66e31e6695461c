package config

import (
	"fmt"
	"strings"
)

// envError is a problem with one ${ of a value. Its message names the
// offset of the ${ in the value and never quotes the value, which may be a
// password; the variable's name is shown only where it cannot be part of a
// secret (see redact).
type envError struct {
	offset int    // of the '$', in bytes from the start of the value
	name   string // what stands between ${ and }, "" when unclosed
	whole  bool   // the value is exactly this one ${NAME}
	reason string // "unclosed", "invalid", "unset"
}

func (e *envError) Error() string { return e.message(true) }

// redacted is the message for a secret field: the name of the variable is
// kept only when the whole value is one reference, where it is a name the
// file's author chose and not a piece of a literal password.
func (e *envError) redacted() string { return e.message(e.whole) }

func (e *envError) message(showName bool) string {
	switch e.reason {
	case "unclosed":
		return fmt.Sprintf("${ at offset %d has no closing }", e.offset)
	case "invalid":
		if showName {
			return fmt.Sprintf("${%s} at offset %d is not a valid environment variable name", e.name, e.offset)
		}
		return fmt.Sprintf("${…} at offset %d is not a valid environment variable name", e.offset)
	default:
		if showName {
			return fmt.Sprintf("environment variable %s is not set", e.name)
		}
		return fmt.Sprintf("the environment variable named at offset %d is not set", e.offset)
	}
}

// expandEnv replaces each ${NAME} in s with the variable's value. "$$"
// stands for a literal '$'; any other '$' is kept as it is, so passwords
// containing '$' need no escaping unless a '{' follows. A variable that is
// not set is an error: an empty password or host silently put in its place
// would fail later and far less clearly. Errors are *envError.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", &envError{offset: i, reason: "unclosed"}
			}
			name := s[i+2 : i+2+end]
			whole := i == 0 && i+3+end == len(s)
			if !validEnvName(name) {
				return "", &envError{offset: i, name: name, whole: whole, reason: "invalid"}
			}
			v, ok := lookup(name)
			if !ok {
				return "", &envError{offset: i, name: name, whole: whole, reason: "unset"}
			}
			b.WriteString(v)
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// secretField reports whether field (a dotted path) holds a secret, whose
// value no error may quote.
func secretField(field string) bool {
	key := strings.ToLower(field[strings.LastIndexByte(field, '.')+1:])
	for _, s := range []string{"password", "secret", "token"} {
		if strings.Contains(key, s) {
			return true
		}
	}
	return false
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
