package httpcache

import (
	"net/http"
	"slices"
	"testing"
)

// TestRFC9111_5_2_DirectiveSyntax checks the parsing of Cache-Control:
// names without case, quoted arguments (commas inside them included), the
// first of repeated directives, delta-seconds capped at 2^31, invalid
// expiry values, and several field lines.
func TestRFC9111_5_2_DirectiveSyntax(t *testing.T) {
	h := http.Header{}
	h.Add("Cache-Control", `MAX-AGE=10, no-cache="Set-Cookie, X-A", private="X-B"`)
	h.Add("Cache-Control", `max-age=99, S-MaxAge="20", stale-if-error=99999999999, Max-Stale`)
	d := parseDirectives(h)
	switch {
	case d.maxAge != 10 || d.sMaxAge != 20 || d.sie != maxDelta || !d.maxStaleAny:
		t.Fatalf("values: %+v", d)
	case !d.noCache || !slices.Equal(d.noCacheFields, []string{"Set-Cookie", "X-A"}):
		t.Fatalf("no-cache fields: %v", d.noCacheFields)
	case !d.private || !slices.Equal(d.privateFields, []string{"X-B"}):
		t.Fatalf("private fields: %v", d.privateFields)
	case d.badExpiry:
		t.Fatal("valid expiry marked bad")
	}
	for _, bad := range []string{"max-age=-1", "max-age", "max-age=1.5", "s-maxage=x"} {
		if d := parseDirectives(http.Header{"Cache-Control": {bad}}); !d.badExpiry {
			t.Fatalf("%q not marked bad", bad)
		}
	}
	if d := parseDirectives(http.Header{"Cache-Control": {"min-fresh=x, max-stale=5"}}); d.minFresh != -1 || d.maxStale != 5 || d.maxStaleAny {
		t.Fatalf("request directives: %+v", d)
	}
}

// TestRFC9110_8_8_3_EntityTagComparison checks strong and weak comparison
// and the parsing of entity-tag lists (commas inside tags included).
func TestRFC9110_8_8_3_EntityTagComparison(t *testing.T) {
	for _, tc := range []struct {
		a, b         string
		strong, weak bool
	}{
		{`W/"1"`, `W/"1"`, false, true},
		{`W/"1"`, `W/"2"`, false, false},
		{`W/"1"`, `"1"`, false, true},
		{`"1"`, `"1"`, true, true},
	} {
		a, _ := parseETag(tc.a)
		b, _ := parseETag(tc.b)
		if strongMatch(a, b) != tc.strong || weakMatch(a, b) != tc.weak {
			t.Fatalf("%s vs %s: strong %v weak %v", tc.a, tc.b, strongMatch(a, b), weakMatch(a, b))
		}
	}
	tags, any, present := etagList(http.Header{"If-None-Match": {`"a,b", W/"c"`, `bad, "d"`}}, "If-None-Match")
	if !present || any || len(tags) != 3 || tags[0].opaque != `"a,b"` || !tags[1].weak {
		t.Fatalf("list: %+v %v %v", tags, any, present)
	}
}
