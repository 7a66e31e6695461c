package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/valcache/valcache/valkeystore"
)

// passwordEnv names the environment variable the password is read from;
// a flag would leave it in the shell history and the process list.
const passwordEnv = "VALCACHE_PASSWORD"

// server holds the flags that say where Valkey is.
type server struct {
	addr    string
	cluster string
	user    string
	db      int
	prefix  string
	index   string
}

func (s *server) register(fs *flag.FlagSet, defaultAddr string) {
	fs.StringVar(&s.addr, "valkey", defaultAddr, "Valkey server (or any cluster node) at `ADDR` (host:port)")
	fs.StringVar(&s.cluster, "cluster", "", "Valkey Cluster seed nodes `ADDR,...` (instead of --valkey)")
	fs.StringVar(&s.user, "user", "", "ACL user `NAME` (the password is read from $"+passwordEnv+")")
	fs.IntVar(&s.db, "db", 0, "database `N` on a single node")
	fs.StringVar(&s.prefix, "prefix", valkeystore.DefaultKeyPrefix, "key `PREFIX` of the caches")
	fs.StringVar(&s.index, "index-prefix", valkeystore.DefaultIndexPrefix, "key `PREFIX` of the caches' search indexes")
}

// set reports whether a server was named.
func (s *server) set() bool { return s.addr != "" || s.cluster != "" }

func (s *server) addrs() ([]string, error) {
	if s.addr != "" && s.cluster != "" {
		return nil, errors.New("give --valkey or --cluster, not both")
	}
	if s.cluster == "" {
		return []string{s.addr}, nil
	}
	var out []string
	for _, a := range strings.Split(s.cluster, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--cluster names no address")
	}
	return out, nil
}

// describe names the server for output.
func (s *server) describe(p *valkeystore.Provider) string {
	addrs, _ := s.addrs()
	mode := "single node"
	if p.Cluster() {
		mode = "cluster"
	}
	return fmt.Sprintf("Valkey %s at %s", mode, strings.Join(addrs, ","))
}

// connect opens a Valkey provider; warnings go to stderr, and only
// warnings, so that command output stays readable.
func (s *server) connect(ctx context.Context, name string, track bool, stderr io.Writer) (*valkeystore.Provider, error) {
	addrs, err := s.addrs()
	if err != nil {
		return nil, err
	}
	return valkeystore.New(ctx, valkeystore.Config{
		Addrs:         addrs,
		Username:      s.user,
		Password:      os.Getenv(passwordEnv),
		DB:            s.db,
		KeyPrefix:     s.prefix,
		IndexPrefix:   s.index,
		ClientName:    name,
		TrackAllReads: track,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
}
