package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTermBytes bounds a term: longer runs of letters are cut, so that one
// value cannot make a posting key of arbitrary length.
const maxTermBytes = 64

// tokenize splits s into lower-case terms: maximal runs of letters and
// digits. Query text goes through the same function as indexed text, so a
// term matches exactly when its word appears.
func tokenize(s string, out []string) []string {
	start := -1
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			out = appendTerm(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = appendTerm(out, s[start:])
	}
	return out
}

func appendTerm(out []string, w string) []string {
	w = strings.ToLower(w)
	if len(w) > maxTermBytes {
		cut := maxTermBytes
		for cut > 0 && !utf8.RuneStart(w[cut]) {
			cut--
		}
		w = w[:cut]
	}
	return append(out, w)
}
