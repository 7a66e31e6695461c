package config

import (
	"fmt"
	"math"
	"net"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// fieldsOf lists the keys each provider accepts besides use and prefix.
var fieldsOf = map[string][]string{
	UseMemory: {"max_entries"},
	UseValkey: {"host", "port", "username", "password", "db", "key_prefix", "client_name",
		"tls", "dial_timeout", "operation_timeout"},
	UseValkeyCluster: {"addresses", "username", "password", "key_prefix", "client_name",
		"tls", "dial_timeout", "operation_timeout"},
	UseValkeySentinel: {"master_set", "sentinels", "sentinel_username", "sentinel_password",
		"username", "password", "db", "key_prefix", "client_name", "tls", "dial_timeout", "operation_timeout"},
}

var providers = []string{UseMemory, UseValkey, UseValkeyCluster, UseValkeySentinel}

// storage decodes one entry of the storages section.
func (d *decoder) storage(name string, keyNode, n *yaml.Node) Storage {
	path := "storages." + name
	s := Storage{Name: name, Prefix: name, Line: keyNode.Line}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping with at least use:")
		return s
	}
	var useNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "use" {
			useNode = n.Content[i+1]
		}
	}
	if useNode == nil {
		d.fail(keyNode, path+".use", "missing field: say which provider to use ("+strings.Join(providers, ", ")+")")
		return s
	}
	s.Use = d.str(useNode, path+".use")
	allowed, known := fieldsOf[s.Use]
	if !known {
		if s.Use != "" {
			d.fail(useNode, path+".use", fmt.Sprintf("unknown provider %q (expected one of %s)", s.Use, strings.Join(providers, ", ")))
		}
		return s
	}
	fields := map[string]*yaml.Node{}
	d.mapping(n, path, func(key string, k, v *yaml.Node) {
		field := path + "." + key
		switch {
		case key == "use":
		case key == "prefix":
			s.Prefix = d.str(v, field)
			if s.Prefix == "" {
				d.fail(v, field, "is empty; leave it out to use the storage's name")
			}
		case key == "db" && s.Use == UseValkeyCluster:
			d.fail(k, field, "a cluster has only database 0; remove db")
		case key == "host" && s.Use == UseValkeyCluster:
			d.fail(k, field, "a cluster entry lists its nodes in addresses, not host")
		case !slices.Contains(allowed, key):
			d.fail(k, field, fmt.Sprintf("unknown key for use: %s (expected one of use, prefix, %s)", s.Use, strings.Join(allowed, ", ")))
		default:
			fields[key] = v
			d.field(&s, field, key, v)
		}
	})
	d.required(&s, keyNode, path, fields)
	return s
}

// field decodes one provider key into s.
func (d *decoder) field(s *Storage, field, key string, v *yaml.Node) {
	switch key {
	case "max_entries":
		s.MaxEntries = d.integer(v, field, 1, math.MaxInt32)
	case "host":
		s.Host = d.str(v, field)
		if msg := checkHost(s.Host); msg != "" {
			d.fail(v, field, fmt.Sprintf("%q: %s", s.Host, msg))
		} else if strings.Contains(s.Host, ":") && net.ParseIP(s.Host) == nil {
			d.fail(v, field, fmt.Sprintf("%q is not a host name; give the port in port:", s.Host))
		}
	case "port":
		s.Port = d.integer(v, field, 1, 65535)
	case "addresses":
		s.Addresses = d.strings(v, field)
		for i, a := range s.Addresses {
			d.address(v.Content[min(i, len(v.Content)-1)], fmt.Sprintf("%s[%d]", field, i), a)
		}
	case "sentinels":
		s.Sentinels = d.strings(v, field)
		for i, a := range s.Sentinels {
			d.address(v.Content[min(i, len(v.Content)-1)], fmt.Sprintf("%s[%d]", field, i), a)
		}
	case "master_set":
		s.MasterSet = d.str(v, field)
		if s.MasterSet == "" {
			d.fail(v, field, "is empty: the name the sentinels monitor the primary under")
		}
	case "sentinel_username":
		s.SentinelUsername = d.str(v, field)
	case "sentinel_password":
		s.SentinelPassword = d.str(v, field)
	case "username":
		s.Username = d.str(v, field)
	case "password":
		s.Password = d.str(v, field)
	case "db":
		s.DB = d.integer(v, field, 0, 15)
	case "key_prefix":
		s.KeyPrefix = d.str(v, field)
		if strings.ContainsAny(s.KeyPrefix, "{}") {
			d.fail(v, field, "may not contain { or }, which would take the hash tag from the provider")
		}
	case "client_name":
		s.ClientName = d.str(v, field)
	case "tls":
		s.TLS = d.tls(v, field)
	case "dial_timeout":
		s.DialTimeout = d.duration(v, field)
	case "operation_timeout":
		s.OperationTimeout = d.duration(v, field)
	}
}

// required reports the fields a provider cannot do without.
func (d *decoder) required(s *Storage, keyNode *yaml.Node, path string, fields map[string]*yaml.Node) {
	switch s.Use {
	case UseValkey:
		if fields["host"] == nil {
			d.fail(keyNode, path+".host", "missing field: the server's host name or IP address")
		}
		if fields["port"] == nil {
			s.Port = DefaultValkeyPort
		}
	case UseValkeyCluster:
		if n := fields["addresses"]; n == nil {
			d.fail(keyNode, path+".addresses", "missing field: a list of host:port seed nodes")
		} else if len(n.Content) == 0 && n.Kind == yaml.SequenceNode {
			d.fail(n, path+".addresses", "is empty: list at least one host:port seed node")
		}
	case UseValkeySentinel:
		if fields["master_set"] == nil {
			d.fail(keyNode, path+".master_set", "missing field: the name the sentinels monitor the primary under")
		}
		if n := fields["sentinels"]; n == nil {
			d.fail(keyNode, path+".sentinels", "missing field: a list of the sentinels' host:port addresses")
		} else if len(n.Content) == 0 && n.Kind == yaml.SequenceNode {
			d.fail(n, path+".sentinels", "is empty: list at least one sentinel's host:port")
		}
	}
}

func (d *decoder) tls(n *yaml.Node, path string) *TLS {
	t := &TLS{}
	enabled := true
	d.mapping(n, path, func(key string, k, v *yaml.Node) {
		field := path + "." + key
		switch key {
		case "enabled":
			enabled = d.boolean(v, field)
		case "server_name":
			t.ServerName = d.str(v, field)
		case "ca_file":
			t.CAFile = d.str(v, field)
		case "cert_file":
			t.CertFile = d.str(v, field)
		case "key_file":
			t.KeyFile = d.str(v, field)
		case "insecure_skip_verify":
			t.InsecureSkipVerify = d.boolean(v, field)
		default:
			d.fail(k, field, "unknown key (expected enabled, server_name, ca_file, cert_file, key_file, insecure_skip_verify)")
		}
	})
	if (t.CertFile == "") != (t.KeyFile == "") {
		d.fail(n, path, "cert_file and key_file go together")
	}
	if !enabled {
		return nil
	}
	return t
}
