package httpcache

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// TestRFC9211_CacheStatus checks this cache's member of Cache-Status for
// each way a request is handled, after the members of caches nearer the
// origin.
func TestRFC9211_CacheStatus(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/upstream" {
				w.Header().Set("Cache-Status", "OriginCache; hit")
			}
			if r.Header.Get("If-None-Match") == `"e"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Cache-Control", "max-age=100")
			w.Header().Set("ETag", `"e"`)
			w.Header().Set("Content-Length", "1")
			w.Header().Set("Vary", "Accept")
			_, _ = io.WriteString(w, "x")
		})
		f := newFront(t, k.open(t), o, Config{CacheStatusName: "edge"})
		for _, step := range []struct {
			do   func() reply
			want string
		}{
			{func() reply { return f.fetch("/s") }, "edge; fwd=uri-miss; fwd-status=200; stored"},
			{func() reply { clk.advance(40 * time.Second); return f.fetch("/s") }, "edge; hit; ttl=60"},
			{func() reply { return f.fetch("/s", "Accept", "text/plain") }, "edge; fwd=vary-miss; fwd-status=200; stored"},
			{func() reply { return f.fetch("/s", "Cache-Control", "max-age=10") }, "edge; fwd=request; fwd-status=304; ttl=100"},
			{func() reply { clk.advance(101 * time.Second); return f.fetch("/s") }, "edge; fwd=stale; fwd-status=304; ttl=100"},
			{func() reply { return f.do(http.MethodPost, "/s") }, "edge; fwd=method; fwd-status=200"},
			{func() reply { return f.do(http.MethodOptions, "/s") }, "edge; fwd=method; fwd-status=200"},
			{func() reply { return f.fetch("/upstream") }, "OriginCache; hit, edge; fwd=uri-miss; fwd-status=200; stored"},
			{func() reply { return f.fetch("/upstream") }, "OriginCache; hit, edge; hit; ttl=100"},
			{func() reply { return f.fetch("/none", "Cache-Control", "only-if-cached") }, "edge; fwd=uri-miss; detail=only-if-cached"},
		} {
			if got := step.do().header.Get("Cache-Status"); got != step.want {
				t.Fatalf("Cache-Status %q, want %q", got, step.want)
			}
		}
	})
}
