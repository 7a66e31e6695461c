package httpcache

import (
	"errors"
	"net/http"
	"strconv"
)

// errAbandoned is what an origin handler's writes return once nobody needs
// the rest of the response: its client left and the body is not kept.
var errAbandoned = errors.New("httpcache: response no longer needed")

// plan is what to do with a response once its fields are known: whether
// its client gets the body as it arrives (the plan then wrote the client's
// header itself), and whether the body is kept, for the store and for the
// requests waiting for it.
type plan struct {
	stream bool
	keep   bool
}

// tee is the ResponseWriter an origin handler writes into. It keeps the
// status, the fields as they were when the header was written, and the body
// up to a limit, and streams the body to the client when the plan says so,
// so that a response is stored while its client receives it and a large one
// is passed on without being held in memory.
type tee struct {
	header   http.Header
	status   int
	wrote    bool
	snapshot http.Header
	body     []byte
	limit    int64
	n        int64 // body bytes written by the handler
	keep     bool
	over     bool // the body outgrew limit and was dropped

	client    http.ResponseWriter
	stream    bool
	clientErr error

	// decide makes the plan when the header is written; abandon cancels the
	// origin request when nothing needs the rest of it.
	decide  func(t *tee) plan
	abandon func()
	// failure is set when the origin could not be reached (see
	// ProxyErrorHandler): what the handler wrote is a gateway error of its
	// own, not the origin's answer.
	failure error
	// headerAt is called when the header is written: response_time.
	headerAt func()
	// dropped, when set, is called once when the body turns out not to be
	// kept.
	dropped func(*tee)
}

// drop notes that the body is not kept.
func (t *tee) drop() {
	t.keep = false
	if d := t.dropped; d != nil && t.failure == nil {
		t.dropped = nil
		d(t)
	}
}

func (t *tee) Header() http.Header { return t.header }

func (t *tee) WriteHeader(code int) {
	if t.wrote || code < 200 {
		return // informational responses are not passed on by the cache
	}
	t.wrote, t.status = true, code
	t.snapshot = t.header.Clone()
	if t.headerAt != nil {
		t.headerAt()
	}
	if cl, err := strconv.ParseInt(t.snapshot.Get("Content-Length"), 10, 64); err == nil && cl > t.limit {
		t.over = true
	}
	p := t.decide(t)
	t.stream = p.stream && t.client != nil
	t.keep = p.keep && !t.over && t.failure == nil
	if !t.keep {
		t.drop()
	}
}

func (t *tee) Write(b []byte) (int, error) {
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	t.n += int64(len(b))
	if t.keep {
		if int64(len(t.body)+len(b)) > t.limit {
			t.over, t.body = true, nil
			t.drop()
		} else {
			t.body = append(t.body, b...)
		}
	}
	if t.stream && t.clientErr == nil {
		if _, err := t.client.Write(b); err != nil {
			t.clientErr = err
		}
	}
	if !t.keep && (!t.stream || t.clientErr != nil) {
		t.abandon()
		return 0, errAbandoned
	}
	return len(b), nil
}

// Flush passes the handler's flushes on to a client that receives the
// response as it arrives.
func (t *tee) Flush() {
	if t.stream && t.clientErr == nil {
		_ = http.NewResponseController(t.client).Flush()
	}
}

// complete reports whether the kept body is the whole response: the
// handler ended, its body fit within the limit, and matched its
// Content-Length.
func (t *tee) complete() bool {
	if !t.keep || t.over || t.failure != nil {
		return false
	}
	if cl, err := strconv.ParseInt(t.snapshot.Get("Content-Length"), 10, 64); err == nil && cl != t.n {
		return false
	}
	return true
}

// ProxyErrorHandler is an httputil.ReverseProxy ErrorHandler that answers
// 502 and tells the cache in front of the proxy that the origin could not
// be reached, rather than that it answered 502: the cache then serves a
// stale response where stale-if-error allows one, and the requests
// coalesced onto the failed one share the failure instead of each trying
// the origin again. NewProxy installs it; set it on proxies of your own.
func ProxyErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	if t, ok := w.(*tee); ok {
		t.failure = err
	}
	w.WriteHeader(http.StatusBadGateway)
}
