package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/httpcache"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
)

// proxyConfig is what the proxy command's flags say.
type proxyConfig struct {
	origin, listen, admin string
	srv                   server
	provider              string
	maxMemory             uint64
	cache                 httpcache.Config
}

// shutdownGrace is how long requests in progress may take to finish once
// the proxy is asked to stop.
const shutdownGrace = 10 * time.Second

func runProxy(ctx context.Context, args []string, con console) int {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(con.stderr)
	var c proxyConfig
	fs.StringVar(&c.origin, "origin", "", "the origin `URL` requests are forwarded to (required)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "`ADDR` (host:port) the proxy listens on")
	fs.StringVar(&c.admin, "admin", "", "`ADDR` of an admin listener: POST /purge?tag=T&url=U, GET /stats (off unless set)")
	c.srv.register(fs, "")
	fs.StringVar(&c.provider, "provider", "", "`KIND` of store: memory, valkey or twolevel (default memory, or twolevel when a server is named)")
	fs.Uint64Var(&c.maxMemory, "max-memory", 256<<20, "`BYTES` of responses the in-process store holds (memory, and twolevel's L1)")
	fs.Int64Var(&c.cache.MaxBodySize, "max-body", httpcache.DefaultMaxBodySize, "largest body stored, in `BYTES`; larger ones are streamed and not stored")
	fs.StringVar(&c.cache.Namespace, "namespace", httpcache.DefaultNamespace, "`NAME` of the namespace responses are stored in")
	fs.StringVar(&c.cache.TagHeader, "tag-header", httpcache.DefaultTagHeader, "response `FIELD` whose space-separated members tag the response")
	fs.DurationVar(&c.cache.StaleWhileRevalidate, "stale-while-revalidate", 0, "stale-while-revalidate `D` for responses that state none")
	fs.DurationVar(&c.cache.StaleIfError, "stale-if-error", 0, "stale-if-error `D` for responses that state none")
	fs.DurationVar(&c.cache.KeepStale, "keep-stale", 0, "keep responses with a validator `D` past their freshness, to revalidate them")
	fs.Float64Var(&c.cache.HeuristicFraction, "heuristic", 0, "heuristic freshness: this `FRACTION` of the time since Last-Modified (0: off)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: valcache proxy --origin URL [--listen ADDR] [--valkey ADDR | --cluster ADDR,...] [flags]\n\n"+
			"A caching reverse proxy (RFC 9111 shared cache) in front of the origin: in process by\n"+
			"default, shared by every proxy on the same Valkey when a server is named.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	target, err := c.validate(fs)
	if err != nil {
		return usageError(con, "proxy", "%v", err)
	}
	logger := slog.New(slog.NewTextHandler(con.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c.cache.Logger = logger
	p, where, err := c.open(ctx, con.stderr)
	if err != nil {
		return fail(con, "proxy", err)
	}
	defer p.Close()
	hc, err := httpcache.New(p, c.cache)
	if err != nil {
		return fail(con, "proxy", err)
	}
	defer hc.Close()
	if err := serveProxy(ctx, &c, hc, target, where, con, logger); err != nil {
		return fail(con, "proxy", err)
	}
	return exitOK
}

// validate checks what the flag package cannot.
func (c *proxyConfig) validate(fs *flag.FlagSet) (*url.URL, error) {
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.origin == "" {
		return nil, errors.New("--origin URL is required")
	}
	target, err := url.Parse(c.origin)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("--origin %q: want an absolute http or https URL", c.origin)
	}
	if _, err := c.srv.addrs(); c.srv.set() && err != nil {
		return nil, err
	}
	if c.provider == "" {
		c.provider = "memory"
		if c.srv.set() {
			c.provider = "twolevel"
		}
	}
	switch {
	case c.provider != "memory" && c.provider != "valkey" && c.provider != "twolevel":
		return nil, fmt.Errorf("--provider %q: want memory, valkey or twolevel", c.provider)
	case c.provider == "memory" && c.srv.set():
		return nil, errors.New("--provider memory runs in process: drop --valkey/--cluster")
	case c.provider != "memory" && !c.srv.set():
		return nil, fmt.Errorf("--provider %s needs --valkey ADDR or --cluster ADDR,...", c.provider)
	case c.maxMemory == 0:
		return nil, errors.New("--max-memory must be positive")
	case c.cache.MaxBodySize <= 0:
		return nil, errors.New("--max-body must be positive")
	}
	return target, nil
}

// open builds the store the flags name.
func (c *proxyConfig) open(ctx context.Context, stderr io.Writer) (driver.Provider, string, error) {
	if c.provider == "memory" {
		p, err := memory.New(memory.Config{MaxWeight: c.maxMemory})
		return p, "in-process store", err
	}
	l2, err := c.srv.connect(ctx, "valcache-proxy", c.provider == "twolevel", stderr)
	if err != nil {
		return nil, "", err
	}
	where := c.srv.describe(l2)
	if c.provider == "valkey" {
		return l2, where, nil
	}
	l1, err := memory.New(memory.Config{MaxWeight: c.maxMemory})
	if err != nil {
		_ = l2.Close()
		return nil, "", err
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{StaleIfError: c.cache.StaleIfError})
	if err != nil {
		_ = l1.Close()
		_ = l2.Close()
		return nil, "", err
	}
	return p, "in-process copies over the " + where, nil
}

// serveProxy listens, serves until ctx ends, then lets requests in progress
// finish (for at most shutdownGrace).
func serveProxy(ctx context.Context, c *proxyConfig, hc *httpcache.Cache, target *url.URL, where string, con console, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	servers := []*http.Server{{Handler: httpcache.NewProxy(hc, target), ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}}
	listeners := []net.Listener{ln}
	fmt.Fprintf(con.stdout, "valcache proxy: listening on http://%s, caching %s on the %s\n", ln.Addr(), target, where)
	if c.admin != "" {
		aln, err := net.Listen("tcp", c.admin)
		if err != nil {
			_ = ln.Close()
			return err
		}
		servers = append(servers, &http.Server{Handler: adminHandler(hc), ErrorLog: servers[0].ErrorLog})
		listeners = append(listeners, aln)
		fmt.Fprintf(con.stdout, "valcache proxy: admin on http://%s (POST /purge?tag=T&url=U, GET /stats)\n", aln.Addr())
	}
	errs := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errs <- s.Serve(listeners[i]) }()
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	for range len(servers) - btoi(serveErr != nil) {
		if err := <-errs; serveErr == nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// adminHandler serves purges and counters, on a listener of its own so that
// it is never reachable through the proxy.
func adminHandler(hc *httpcache.Cache) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /purge", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		tags, urls := q["tag"], q["url"]
		if len(tags) == 0 && len(urls) == 0 {
			http.Error(w, "name tag=T or url=U", http.StatusBadRequest)
			return
		}
		if err := hc.Purge(r.Context(), tags...); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, u := range urls {
			if err := hc.PurgeURL(r.Context(), u); err != nil {
				status := http.StatusInternalServerError
				if errors.Is(err, httpcache.ErrInvalidURL) {
					status = http.StatusBadRequest
				}
				http.Error(w, err.Error(), status)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(hc.Stats())
	})
	return mux
}
