package config

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/storage"
	"github.com/valcache/valcache/valkeystore"
)

// Registry holds the providers of a file's storages, built and connected.
// Middlewares and caches take their storage or provider from it by name.
type Registry struct {
	file      *File
	providers map[string]driver.Provider
	closeOnce sync.Once
	closeErr  error
}

// Load reads, checks and opens the file at path.
func Load(ctx context.Context, path string) (*Registry, error) {
	f, err := ReadFile(path, ParseOptions{})
	if err != nil {
		return nil, err
	}
	return Open(ctx, f)
}

// Open builds every storage of f, connecting to each server. If one cannot
// be built, the ones already built are closed and the error names the
// storage and where the file defines it.
func Open(ctx context.Context, f *File) (*Registry, error) {
	if _, ok := f.storage(f.Default); !ok {
		return nil, fmt.Errorf("config: %s: %w: default storage %q is not defined", f.Path, ErrUnknownStorage, f.Default)
	}
	r := &Registry{file: f, providers: make(map[string]driver.Provider, len(f.Storages))}
	for _, s := range f.Storages {
		p, err := build(ctx, s)
		if err != nil {
			_ = r.Close()
			return nil, fmt.Errorf("config: %s:%d: storage %q: %w", f.Path, s.Line, s.Name, err)
		}
		r.providers[s.Name] = p
	}
	return r, nil
}

func build(ctx context.Context, s Storage) (driver.Provider, error) {
	switch s.Use {
	case UseMemory:
		return memory.New(memory.Config{MaxEntries: s.MaxEntries})
	case UseValkey, UseValkeyCluster, UseValkeySentinel:
		cfg := valkeystore.Config{
			Addrs:            s.Addrs(),
			Username:         s.Username,
			Password:         s.Password,
			DB:               s.DB,
			KeyPrefix:        s.KeyPrefix,
			ClientName:       s.ClientName,
			DialTimeout:      s.DialTimeout,
			OperationTimeout: s.OperationTimeout,
		}
		if s.TLS != nil {
			t, err := tlsConfig(s.TLS)
			if err != nil {
				return nil, err
			}
			cfg.TLS = t
		}
		if s.Use == UseValkeySentinel {
			cfg.Addrs = nil
			cfg.Sentinel = &valkeystore.SentinelConfig{
				MasterSet: s.MasterSet, Addrs: s.Sentinels,
				Username: s.SentinelUsername, Password: s.SentinelPassword, TLS: cfg.TLS,
			}
		}
		p, err := valkeystore.New(ctx, cfg)
		if err != nil {
			return nil, err
		}
		if s.Use == UseValkeyCluster && !p.Cluster() {
			_ = p.Close()
			return nil, fmt.Errorf("use: %s, but %v is a single node (use: valkey)", s.Use, cfg.Addrs)
		}
		if s.Use == UseValkey && p.Cluster() {
			_ = p.Close()
			return nil, fmt.Errorf("use: %s, but %v is a cluster node (use: valkey-cluster)", s.Use, cfg.Addrs)
		}
		return p, nil
	}
	return nil, fmt.Errorf("unknown provider %q", s.Use) // Parse refuses these
}

func tlsConfig(t *TLS) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate in it", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// File returns the parsed file the registry was opened from.
func (r *Registry) File() *File { return r.file }

// Names lists the storages in file order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.file.Storages))
	for i, s := range r.file.Storages {
		out[i] = s.Name
	}
	return out
}

// DefaultName is the name of the default storage.
func (r *Registry) DefaultName() string { return r.file.Default }

// Provider returns the provider of storage name, so that caches can be
// built on it (valcache.New(p, …)); give them namespaces of their own. The
// registry closes it.
func (r *Registry) Provider(name string) (driver.Provider, error) {
	p, ok := r.providers[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (defined: %v)", ErrUnknownStorage, name, r.Names())
	}
	return p, nil
}

// Storage returns storage name with its configured prefix. Each call
// returns a new view: closing it stops that view only, and the registry
// keeps the provider until its own Close.
func (r *Registry) Storage(name string) (*storage.ProviderStorage, error) {
	p, err := r.Provider(name)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(r.file.Storages, func(s Storage) bool { return s.Name == name })
	return storage.New(p, storage.Options{Prefix: r.file.Storages[i].Prefix})
}

// Default returns the default storage.
func (r *Registry) Default() *storage.ProviderStorage {
	s, _ := r.Storage(r.file.Default) // Open checked that it exists
	return s
}

// Close closes every provider. It is safe to call more than once.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		var errs []error
		for _, name := range r.Names() {
			if p, ok := r.providers[name]; ok {
				if err := p.Close(); err != nil {
					errs = append(errs, fmt.Errorf("config: close storage %q: %w", name, err))
				}
			}
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}
