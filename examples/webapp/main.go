// Command webapp is a small web application built from a configuration
// file: sessions, a rate limit on login attempts and a read-through cache,
// each on a storage named in config.yaml.
//
//	VALKEY_HOST=127.0.0.1 VALKEY_PORT=6379 VALKEY_PASSWORD= go run ./examples/webapp -config examples/webapp/config.yaml
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"
)

func main() {
	path := flag.String("config", "config.yaml", "configuration file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *path); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, path string) error {
	a, err := open(ctx, path)
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{Addr: a.cfg.Listen, Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("webapp: listening on %s", a.cfg.Listen)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
