package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/valcache/valcache/config"
	"gopkg.in/yaml.v3"
)

// appConfig is the application's own section of the configuration file.
type appConfig struct {
	Listen   string `yaml:"listen"`
	Sessions struct {
		Storage         string        `yaml:"storage"`
		IdleTimeout     time.Duration `yaml:"idle_timeout"`
		AbsoluteTimeout time.Duration `yaml:"absolute_timeout"`
		// Insecure drops the cookie's Secure flag, for plain-HTTP
		// development only.
		Insecure bool `yaml:"insecure"`
	} `yaml:"sessions"`
	Cache struct {
		Storage string        `yaml:"storage"`
		TTL     time.Duration `yaml:"ttl"`
	} `yaml:"cache"`
	LoginLimit struct {
		Storage   string `yaml:"storage"`
		PerMinute int    `yaml:"per_minute"`
	} `yaml:"login_limit"`
}

// readConfig parses the storages with package config, which checks them
// strictly, and the webapp section with a strict decoder of its own.
func readConfig(path string) (*config.File, appConfig, error) {
	var app appConfig
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, app, err
	}
	f, err := config.Parse(path, data, config.ParseOptions{Sections: []string{"webapp"}})
	if err != nil {
		return nil, app, err
	}
	var whole struct {
		Default  string    `yaml:"default"`
		Storages yaml.Node `yaml:"storages"`
		Webapp   appConfig `yaml:"webapp"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&whole); err != nil {
		return nil, app, fmt.Errorf("%s: webapp: %w", path, err)
	}
	app = whole.Webapp
	for _, ref := range []struct{ field, name string }{
		{"webapp.sessions.storage", app.Sessions.Storage},
		{"webapp.cache.storage", app.Cache.Storage},
		{"webapp.login_limit.storage", app.LoginLimit.Storage},
	} {
		if ref.name == "" {
			continue // the default storage
		}
		if !hasStorage(f, ref.name) {
			return nil, app, fmt.Errorf("%s: %s: storage %q is not defined", path, ref.field, ref.name)
		}
	}
	if app.LoginLimit.PerMinute <= 0 {
		return nil, app, fmt.Errorf("%s: webapp.login_limit.per_minute: must be positive", path)
	}
	return f, app, nil
}

func hasStorage(f *config.File, name string) bool {
	for _, s := range f.Storages {
		if s.Name == name {
			return true
		}
	}
	return false
}
