package httpcache

import (
	"net/http"
	"slices"
	"strings"
)

// varyNames returns the canonical field names a response's Vary lists,
// sorted and without duplicates, and whether it lists "*" (RFC 9111 §4.1:
// such a response never matches a later request).
func varyNames(h http.Header) (names []string, star bool) {
	for _, line := range h.Values("Vary") {
		for _, n := range splitList(line) {
			if n == "*" {
				return nil, true
			}
			names = append(names, http.CanonicalHeaderKey(n))
		}
	}
	slices.Sort(names)
	return slices.Compact(names), false
}

// absentField stands for a field the request did not have: it matches
// only another request without it (RFC 9111 §4.1). No field value can
// contain a NUL byte, so it can never be mistaken for one.
const absentField = "\x00"

// caseInsensitive lists fields whose values may be compared without case,
// per their own specifications (RFC 9110 §12.5: content codings, language
// tags and charsets are case-insensitive).
var caseInsensitive = map[string]bool{
	"Accept-Encoding": true,
	"Accept-Language": true,
	"Accept-Charset":  true,
}

// listFields lists the fields known to be comma-separated lists, whose
// members may be separated by any whitespace. Other fields are compared as
// they are, lines joined, ends trimmed.
var listFields = map[string]bool{
	"Accept":          true,
	"Accept-Encoding": true,
	"Accept-Language": true,
	"Accept-Charset":  true,
}

// selection returns a request's normalised values of the fields names,
// in the same order. Normalising does what RFC 9111 §4.1 allows: field
// lines combined, whitespace around list members removed, and case folded
// where the field's values are case-insensitive. Values whose order
// matters are kept in order.
func selection(h http.Header, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		lines := h.Values(n)
		if len(lines) == 0 {
			out[i] = absentField
			continue
		}
		var members []string
		for _, line := range lines {
			if listFields[n] {
				members = append(members, splitList(line)...)
			} else {
				members = append(members, strings.TrimSpace(line))
			}
		}
		v := strings.Join(members, ",")
		if caseInsensitive[n] {
			v = strings.ToLower(v)
		}
		out[i] = v
	}
	return out
}
