package config_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/config"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestParseAValidFile(t *testing.T) {
	const file = `
default: sessions
storages:
  sessions:
    use: valkey
    host: cache.internal
    password: ${VK_PASS}
    db: 2
    prefix: sess
    key_prefix: "app:"
    dial_timeout: 3s
    tls:
      server_name: cache.internal
  local:
    use: memory
    max_entries: 500
  shared:
    use: valkey-cluster
    addresses: ["10.0.0.1:7000", "[::1]:7001"]
    username: app
`
	f, err := config.Parse("app.yaml", []byte(file), config.ParseOptions{LookupEnv: env(map[string]string{"VK_PASS": "s3cr$t"})})
	if err != nil {
		t.Fatal(err)
	}
	if f.Default != "sessions" || len(f.Storages) != 3 {
		t.Fatalf("default %q, %d storages", f.Default, len(f.Storages))
	}
	s := f.Storages[0]
	if s.Name != "sessions" || s.Use != config.UseValkey || s.Password != "s3cr$t" || s.DB != 2 ||
		s.Prefix != "sess" || s.KeyPrefix != "app:" || s.DialTimeout != 3*time.Second ||
		s.TLS == nil || s.TLS.ServerName != "cache.internal" || s.Line != 4 {
		t.Fatalf("sessions = %+v", s)
	}
	if got := s.Addrs(); len(got) != 1 || got[0] != "cache.internal:6379" {
		t.Fatalf("default port not applied: %v", got)
	}
	if l := f.Storages[1]; l.Prefix != "local" || l.MaxEntries != 500 {
		t.Fatalf("local = %+v (the prefix defaults to the name)", l)
	}
	if c := f.Storages[2]; len(c.Addrs()) != 2 || c.Addrs()[1] != "[::1]:7001" {
		t.Fatalf("shared = %+v", c)
	}
}

func TestDefaultStorage(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"storages:\n  only:\n    use: memory\n", "only"},
		{"storages:\n  a:\n    use: memory\n  default:\n    use: memory\n", "default"},
		{"default: b\nstorages:\n  a:\n    use: memory\n  b:\n    use: memory\n", "b"},
	} {
		f, err := config.Parse("x.yaml", []byte(tc.file), config.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Default != tc.want {
			t.Fatalf("default of %q = %q, want %q", tc.file, f.Default, tc.want)
		}
	}
}

// TestErrorsNameFileLineAndField checks each kind of mistake gives an
// *Error at the right place, with a message saying what is wrong.
func TestErrorsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		line       int
		field      string
		msg        string
	}{
		{"MissingUse", "storages:\n  s:\n    host: a\n", 2, "storages.s.use", "missing field"},
		{"MissingHost", "storages:\n  s:\n    use: valkey\n    port: 7000\n", 2, "storages.s.host", "missing field"},
		{"MissingAddresses", "storages:\n  c:\n    use: valkey-cluster\n", 2, "storages.c.addresses", "missing field"},
		{"UnknownProvider", "storages:\n  s:\n    use: memcached\n", 3, "storages.s.use", `unknown provider "memcached"`},
		{"UnknownKey", "storages:\n  s:\n    use: valkey\n    host: a\n    hots: b\n", 5, "storages.s.hots", "unknown key"},
		{"KeyOfAnotherProvider", "storages:\n  s:\n    use: memory\n    host: a\n", 4, "storages.s.host", "unknown key for use: memory"},
		{"UnknownTopLevelKey", "storage:\n  s:\n    use: memory\n", 1, "storage", "unknown key"},
		{"UnknownTLSKey", "storages:\n  s:\n    use: valkey\n    host: a\n    tls:\n      verify: no\n", 6, "storages.s.tls.verify", "unknown key"},
		{"BadAddressNoPort", "storages:\n  c:\n    use: valkey-cluster\n    addresses:\n      - 10.0.0.1:7000\n      - 10.0.0.2\n", 6, "storages.c.addresses[1]", "not host:port"},
		{"BadAddressPort", "storages:\n  c:\n    use: valkey-cluster\n    addresses: [\"h:99999\"]\n", 4, "storages.c.addresses[0]", "port"},
		{"BadPort", "storages:\n  s:\n    use: valkey\n    host: a\n    port: http\n", 5, "storages.s.port", "not a whole number"},
		{"HostWithPort", "storages:\n  s:\n    use: valkey\n    host: a:6379\n", 4, "storages.s.host", "give the port in port:"},
		{"DBOnCluster", "storages:\n  c:\n    use: valkey-cluster\n    addresses: [\"a:1\"]\n    db: 1\n", 5, "storages.c.db", "only database 0"},
		{"BadDuration", "storages:\n  s:\n    use: valkey\n    host: a\n    dial_timeout: 5\n", 5, "storages.s.dial_timeout", "duration"},
		{"UnsetEnv", "storages:\n  s:\n    use: valkey\n    host: a\n    password: ${NOPE_UNSET_VAR}\n", 5, "storages.s.password", "NOPE_UNSET_VAR is not set"},
		{"DuplicateKey", "storages:\n  s:\n    use: memory\n    use: valkey\n", 4, "storages.s.use", "duplicate"},
		{"UnknownDefault", "default: nope\nstorages:\n  s:\n    use: memory\n", 1, "default", `"nope"`},
		{"NoDefaultAmongSeveral", "storages:\n  a:\n    use: memory\n  b:\n    use: memory\n", 2, "default", "none is the default"},
		{"NoStoragesSection", "default: a\n", 1, "storages", "missing section"},
		{"MissingMasterSet", "storages:\n  s:\n    use: valkey-sentinel\n    sentinels: [\"a:1\"]\n", 2, "storages.s.master_set", "missing field"},
		{"MissingSentinels", "storages:\n  s:\n    use: valkey-sentinel\n    master_set: m\n", 2, "storages.s.sentinels", "missing field"},
		{"BadSentinelAddress", "storages:\n  s:\n    use: valkey-sentinel\n    master_set: m\n    sentinels: [\"a\"]\n", 5, "storages.s.sentinels[0]", "not host:port"},
		{"HostOnSentinel", "storages:\n  s:\n    use: valkey-sentinel\n    master_set: m\n    sentinels: [\"a:1\"]\n    host: a\n", 6, "storages.s.host", "unknown key for use: valkey-sentinel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("conf/app.yaml", []byte(tc.file), config.ParseOptions{LookupEnv: env(nil)})
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("got %v, want a config.ErrInvalid", err)
			}
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a *config.Error", err)
			}
			if e.File != "conf/app.yaml" || e.Line != tc.line || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("got %s:%d %s %q; want line %d, field %s, message with %q", e.File, e.Line, e.Field, e.Msg, tc.line, tc.field, tc.msg)
			}
			if want := "conf/app.yaml:" + strconv.Itoa(tc.line) + ":"; !strings.Contains(err.Error(), want) {
				t.Fatalf("error text %q does not name %s", err, want)
			}
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	_, err := config.Parse("x.yaml", []byte("storages:\n  a:\n    use: valkey\n    colour: red\n  b:\n    use: nope\n"), config.ParseOptions{})
	for _, want := range []string{"storages.a.colour", "storages.a.host", "storages.b.use"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v does not report %s", err, want)
		}
	}
}

func TestApplicationSectionsAreSkippedWhenDeclared(t *testing.T) {
	file := []byte("app:\n  anything: [1, 2]\nstorages:\n  s:\n    use: memory\n")
	if _, err := config.Parse("x.yaml", file, config.ParseOptions{}); err == nil {
		t.Fatal("an undeclared top-level section was accepted")
	}
	if _, err := config.Parse("x.yaml", file, config.ParseOptions{Sections: []string{"app"}}); err != nil {
		t.Fatalf("a declared section was refused: %v", err)
	}
}

func TestSyntaxErrorIsInvalid(t *testing.T) {
	_, err := config.Parse("x.yaml", []byte("storages:\n  s: [unclosed\n"), config.ParseOptions{})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "x.yaml") {
		t.Fatalf("got %v", err)
	}
}

func TestEnvironmentExpansion(t *testing.T) {
	vars := env(map[string]string{"HOST": "db.local", "PW": "x"})
	f, err := config.Parse("x.yaml", []byte("storages:\n  s:\n    use: valkey\n    host: ${HOST}\n    password: a$$b${PW}$c\n"), config.ParseOptions{LookupEnv: vars})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Storages[0]; s.Host != "db.local" || s.Password != "a$bx$c" {
		t.Fatalf("host %q, password %q", s.Host, s.Password)
	}
	for _, bad := range []string{"${1X}", "${UNCLOSED", "${}"} {
		_, err := config.Parse("x.yaml", []byte("storages:\n  s:\n    use: valkey\n    host: \""+bad+"\"\n"), config.ParseOptions{LookupEnv: vars})
		var e *config.Error
		if !errors.As(err, &e) || e.Field != "storages.s.host" || e.Line != 4 {
			t.Fatalf("host %s: got %v, want an error at storages.s.host, line 4", bad, err)
		}
	}
}

// Errors about a secret never quote it: a literal password that happens to
// contain "${" is reported by the offset of the "${", not by its text.
func TestSecretsAreNotEchoedInErrors(t *testing.T) {
	for _, tc := range []struct {
		name, password, hidden, msg string
	}{
		{"Unclosed", "s3cr${t-Pa55", "t-Pa55", "${ at offset 4 has no closing }"},
		{"InvalidName", "ab${x y}cd", "x y", "${…} at offset 2 is not a valid environment variable name"},
		{"UnsetNameInsideALiteral", "pw${Xyz}tail", "Xyz", "the environment variable named at offset 2 is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := "storages:\n  main:\n    use: valkey\n    host: h\n    password: \"" + tc.password + "\"\n"
			_, err := config.Parse("app.yaml", []byte(file), config.ParseOptions{LookupEnv: env(nil)})
			var e *config.Error
			if !errors.As(err, &e) || e.Field != "storages.main.password" {
				t.Fatalf("got %v, want a *config.Error on the password", err)
			}
			if strings.Contains(err.Error(), tc.password) || strings.Contains(err.Error(), tc.hidden) {
				t.Fatalf("the error quotes the password: %v", err)
			}
			if e.Msg != tc.msg {
				t.Fatalf("message %q, want %q", e.Msg, tc.msg)
			}
		})
	}
	// Fields that are not secret still say which name is wrong, and an
	// unclosed ${ is reported by offset everywhere.
	file := "storages:\n  main:\n    use: valkey\n    host: \"${NOT VALID}\"\n    client_name: \"app${x\"\n"
	_, err := config.Parse("app.yaml", []byte(file), config.ParseOptions{LookupEnv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), "${NOT VALID} at offset 0 is not a valid") || !strings.Contains(err.Error(), "${ at offset 3 has no closing }") || strings.Contains(err.Error(), "app${x") {
		t.Fatalf("got %v", err)
	}
}

// A Storage formatted for a log line or an error keeps its password out.
func TestStorageFormatsWithoutItsPassword(t *testing.T) {
	s := config.Storage{Name: "main", Use: config.UseValkey, Host: "h", Password: "hunter2-s3cret"}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "main") || !strings.Contains(out, "redacted") {
			t.Fatalf("%s: %s", verb, out)
		}
	}
	if out := fmt.Sprintf("%v", &s); strings.Contains(out, "hunter2") {
		t.Fatalf("pointer: %s", out)
	}
}
