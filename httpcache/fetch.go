package httpcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// exchange is one request to the origin and what came of it.
type exchange struct {
	sent, received time.Time
	status         int
	header         http.Header // as the handler wrote it, before any filtering
	body           []byte      // the whole body, when complete
	complete       bool
	// failure says the origin gave no usable answer: it could not be
	// reached, the handler panicked, or its body was cut short.
	failure error
	// streamed reports that the client received the response as it came;
	// clientGone that it left meanwhile.
	streamed   bool
	clientGone bool
	// conditional reports that the request carried a stored response's
	// validators (§4.3.1).
	conditional bool
	// leaderGone is the answer of a request handed an origin request after
	// its client left: the loader sends it itself.
	leaderGone bool
	// slow marks an origin request whose response began but did not end
	// within OriginTimeout: its client is still receiving it.
	slow bool
}

// errCutShort is a response whose body ended before its end.
var errCutShort = errors.New("the response body was cut short")

// clientConditionals are the fields of a client's conditional request.
// Requests the cache makes for itself leave them out: the cache answers
// them from the response it gets (§4.3.2).
var clientConditionals = []string{"If-None-Match", "If-Modified-Since", "If-Range", "If-Match", "If-Unmodified-Since", "Range"}

// originRequest is the request the cache sends for r: r's fields without
// the client's conditionals, with the validators of stale (if any) to make
// it a validation (RFC 9111 §4.3.1), on ctx.
func originRequest(ctx context.Context, r *http.Request, stale *record) (*http.Request, bool) {
	out := r.Clone(ctx)
	for _, f := range clientConditionals {
		out.Header.Del(f)
	}
	conditional := false
	if stale != nil {
		if et := stale.Header.Get("ETag"); et != "" {
			out.Header.Set("If-None-Match", et)
			conditional = true
		}
		if lm := stale.Header.Get("Last-Modified"); lm != "" {
			out.Header.Set("If-Modified-Since", lm)
			conditional = true
		}
	}
	return out, conditional
}

// fetchSpec is one origin request to send.
type fetchSpec struct {
	next        http.Handler
	req         *http.Request
	conditional bool // req carries a stored response's validators
	// client, when set, is the ResponseWriter of the request that asked,
	// and clientCtx its context; decide chooses, once the response's fields
	// are known, what the client sees and whether the body is kept.
	client    http.ResponseWriter
	clientCtx context.Context
	decide    func(*tee) plan
	// dropped, when set, is called once it is known that the body will not
	// be kept (not kept from the start, or larger than MaxBodySize), so
	// that the requests waiting for it need not wait for its end.
	dropped func(*tee)
}

// fetch runs the origin handler on the caller's goroutine. The origin
// request is cancelled as soon as neither the client nor the store needs
// the rest of it; once the client has left, reading the rest for the store
// may take at most OriginTimeout.
func (c *Cache) fetch(s fetchSpec) (ex exchange) {
	req, conditional := s.req, s.conditional
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	if s.clientCtx != nil {
		defer context.AfterFunc(s.clientCtx, func() {
			t := time.NewTimer(c.cfg.OriginTimeout)
			defer t.Stop()
			select {
			case <-t.C:
				cancel()
			case <-ctx.Done():
			}
		})()
	}
	t := &tee{header: http.Header{}, limit: c.cfg.MaxBodySize, client: s.client, decide: s.decide, abandon: cancel, dropped: s.dropped}
	ex.conditional = conditional
	ex.sent = c.now()
	t.headerAt = func() { ex.received = c.now() }
	c.stats.originRequests.Add(1)
	if conditional {
		c.stats.validations.Add(1)
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					c.cfg.Logger.Error("httpcache: origin handler panicked", slog.Any("panic", p), slog.String("url", req.URL.String()))
				}
				ex.failure = fmt.Errorf("the origin handler panicked: %v", p)
			}
		}()
		s.next.ServeHTTP(t, req.WithContext(ctx))
	}()
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	ex.status, ex.header, ex.streamed = t.status, t.snapshot, t.stream
	ex.clientGone = t.clientErr != nil
	if t.failure != nil && ex.failure == nil {
		ex.failure = t.failure
	}
	if ex.failure == nil && t.keep && !t.complete() {
		ex.failure = errCutShort
	}
	if ex.failure == nil && t.complete() {
		ex.body, ex.complete = t.body, true
	}
	if ex.received.IsZero() {
		ex.received = c.now()
	}
	return ex
}
