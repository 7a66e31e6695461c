package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/config"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit"
	"github.com/valcache/valcache/session"
)

// webapp holds what the handlers share. Everything lives on storages of
// the registry, which Close closes.
type webapp struct {
	cfg        appConfig
	reg        *config.Registry
	sessions   *session.Manager
	loginLimit *ratelimit.Limiter
	products   *valcache.Cache[int, product]
	catalogue  *catalogue
}

func open(ctx context.Context, path string) (*webapp, error) {
	f, cfg, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	reg, err := config.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	a := &webapp{cfg: cfg, reg: reg, catalogue: newCatalogue()}
	if err := a.build(); err != nil {
		_ = reg.Close()
		return nil, err
	}
	return a, nil
}

func (a *webapp) provider(name string) (driver.Provider, error) {
	if name == "" {
		name = a.reg.DefaultName()
	}
	return a.reg.Provider(name)
}

func (a *webapp) build() error {
	p, err := a.provider(a.cfg.Sessions.Storage)
	if err != nil {
		return err
	}
	a.sessions, err = session.New(p, session.Config{
		Namespace:       "webapp-sessions",
		IdleTimeout:     a.cfg.Sessions.IdleTimeout,
		AbsoluteTimeout: a.cfg.Sessions.AbsoluteTimeout,
		Insecure:        a.cfg.Sessions.Insecure,
	})
	if err != nil {
		return err
	}
	if p, err = a.provider(a.cfg.LoginLimit.Storage); err != nil {
		return err
	}
	a.loginLimit, err = ratelimit.New(p, ratelimit.Config{Namespace: "webapp-login", Limit: ratelimit.PerMinute(a.cfg.LoginLimit.PerMinute)})
	if err != nil {
		return err
	}
	if p, err = a.provider(a.cfg.Cache.Storage); err != nil {
		return err
	}
	a.products, err = valcache.New(p, valcache.Options[int, product]{Namespace: "webapp-products", TTL: a.cfg.Cache.TTL, NegativeTTL: a.cfg.Cache.TTL})
	return err
}

// Close closes the cache and every storage.
func (a *webapp) Close() error {
	return errors.Join(a.products.Close(), a.reg.Close())
}

// Handler routes requests. Every route runs inside the session middleware;
// login attempts are limited per client address, against password
// guessing.
func (a *webapp) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.Handle("POST /login", a.loginLimit.Middleware(ratelimit.MiddlewareOptions{})(http.HandlerFunc(a.login)))
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /logout-everywhere", a.logoutEverywhere)
	mux.HandleFunc("GET /products/{id}", a.product)
	return a.sessions.Middleware(mux)
}

// home greets the user and counts the session's visits.
func (a *webapp) home(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	visits, _ := strconv.Atoi(s.GetString("visits"))
	visits++
	if err := s.SetString(r.Context(), "visits", strconv.Itoa(visits)); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	user := s.User()
	if user == "" {
		user = "guest"
	}
	fmt.Fprintf(w, "hello %s; visits: %d\n", user, visits)
}

// users is the demonstration's account list.
var users = map[string]string{"alice": "wonderland", "bob": "builder"}

func (a *webapp) login(w http.ResponseWriter, r *http.Request) {
	user, password := r.PostFormValue("user"), r.PostFormValue("password")
	want, ok := users[user]
	if !ok || subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		http.Error(w, "wrong user or password", http.StatusUnauthorized)
		return
	}
	if err := session.From(r.Context()).Login(r.Context(), user); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "logged in as %s\n", user)
}

func (a *webapp) logout(w http.ResponseWriter, r *http.Request) {
	if err := session.From(r.Context()).Destroy(r.Context()); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "logged out")
}

func (a *webapp) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	user := session.From(r.Context()).User()
	if user == "" {
		http.Error(w, "not logged in", http.StatusUnauthorized)
		return
	}
	if err := a.sessions.LogoutEverywhere(r.Context(), user); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "logged out everywhere")
}

// product serves a product through the cache: the catalogue is asked once
// per product per TTL, whatever the traffic.
func (a *webapp) product(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad product id", http.StatusBadRequest)
		return
	}
	p, err := a.products.Get(r.Context(), id, a.catalogue.load)
	switch {
	case errors.Is(err, valcache.ErrNotFound):
		http.Error(w, "no such product", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}

type product struct {
	ID    int    `json:"id" msgpack:"id"`
	Name  string `json:"name" msgpack:"name"`
	Cents int    `json:"cents" msgpack:"cents"`
}

// catalogue stands for the database the cache saves trips to; it counts
// them.
type catalogue struct {
	items map[int]product
	loads atomic.Int64
}

func newCatalogue() *catalogue {
	return &catalogue{items: map[int]product{
		1: {1, "teapot", 2500},
		2: {2, "cup", 600},
	}}
}

func (c *catalogue) load(_ context.Context, id int) (product, error) {
	c.loads.Add(1)
	p, ok := c.items[id]
	if !ok {
		return product{}, valcache.ErrNotFound
	}
	return p, nil
}
