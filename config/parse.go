package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseOptions adjusts Parse.
type ParseOptions struct {
	// LookupEnv resolves ${NAME}; nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Sections are further top-level keys the application reads itself
	// (with its own decoder); Parse accepts and skips them instead of
	// reporting them as unknown.
	Sections []string
}

// ReadFile reads and parses the file at path.
func ReadFile(path string, opts ParseOptions) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse checks data, the contents of the file named path, and returns it
// parsed. Every problem found is reported, each as an *Error, joined.
func Parse(path string, data []byte, opts ParseOptions) (*File, error) {
	d := &decoder{file: path, lookup: opts.LookupEnv}
	if d.lookup == nil {
		d.lookup = os.LookupEnv
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: %s: %w: %w", path, ErrInvalid, err)
	}
	f := &File{Path: path}
	if len(doc.Content) == 0 {
		d.fail(&doc, "storages", "the file is empty; it needs a storages section")
		return nil, d.err()
	}
	root := doc.Content[0]
	var storagesNode, defaultNode *yaml.Node
	d.mapping(root, "", func(key string, k, v *yaml.Node) {
		switch {
		case key == "storages":
			storagesNode = v
		case key == "default":
			defaultNode = v
			f.Default = d.str(v, "default")
		case contains(opts.Sections, key):
		default:
			d.fail(k, key, "unknown key (expected storages or default)")
		}
	})
	if storagesNode == nil {
		if root.Kind == yaml.MappingNode {
			d.fail(root, "storages", "missing section")
		}
		return nil, d.err()
	}
	d.mapping(storagesNode, "storages", func(name string, k, v *yaml.Node) {
		f.Storages = append(f.Storages, d.storage(name, k, v))
	})
	if len(f.Storages) == 0 && storagesNode.Kind == yaml.MappingNode {
		d.fail(storagesNode, "storages", "no storage defined")
	}
	d.pickDefault(f, defaultNode, storagesNode)
	if err := d.err(); err != nil {
		return nil, err
	}
	return f, nil
}

func (d *decoder) pickDefault(f *File, defaultNode, storagesNode *yaml.Node) {
	if len(f.Storages) == 0 {
		return
	}
	if f.Default != "" {
		if _, ok := f.storage(f.Default); !ok {
			d.fail(defaultNode, "default", fmt.Sprintf("names storage %q, which is not defined", f.Default))
		}
		return
	}
	if _, ok := f.storage("default"); ok {
		f.Default = "default"
		return
	}
	if len(f.Storages) == 1 {
		f.Default = f.Storages[0].Name
		return
	}
	d.fail(storagesNode, "default", "several storages and none is the default: add a top-level default: <name> or a storage named default")
}

func (f *File) storage(name string) (Storage, bool) {
	for _, s := range f.Storages {
		if s.Name == name {
			return s, true
		}
	}
	return Storage{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// decoder walks yaml nodes, collecting every problem with its position.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	errs   []error
}

func (d *decoder) fail(n *yaml.Node, field, msg string) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Field: field, Msg: msg})
}

func (d *decoder) err() error { return errors.Join(d.errs...) }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping calls each for every key of n, a mapping, in order, reporting
// duplicate keys and non-mappings.
func (d *decoder) mapping(n *yaml.Node, path string, each func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.fail(k, join(path, k.Value), "duplicate key")
			continue
		}
		seen[k.Value] = true
		each(k.Value, k, v)
	}
}

// scalar returns n's value with ${NAME} expanded, or false after reporting
// why it has none.
func (d *decoder) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, field, "must be a single value")
		return "", false
	}
	if n.Tag == "!!null" {
		d.fail(n, field, "has no value")
		return "", false
	}
	v, err := expandEnv(n.Value, d.lookup)
	if err != nil {
		msg := err.Error()
		var e *envError
		if errors.As(err, &e) && secretField(field) {
			msg = e.redacted()
		}
		d.fail(n, field, msg)
		return "", false
	}
	return v, true
}

func (d *decoder) str(n *yaml.Node, field string) string {
	v, _ := d.scalar(n, field)
	return v
}

func (d *decoder) integer(n *yaml.Node, field string, lo, hi int) int {
	v, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < lo || i > hi {
		d.fail(n, field, fmt.Sprintf("%q is not a whole number from %d to %d", v, lo, hi))
		return 0
	}
	return i
}

func (d *decoder) boolean(n *yaml.Node, field string) bool {
	v, ok := d.scalar(n, field)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		d.fail(n, field, fmt.Sprintf("%q is not true or false", v))
	}
	return b
}

func (d *decoder) duration(n *yaml.Node, field string) time.Duration {
	v, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	t, err := time.ParseDuration(v)
	if err != nil || t <= 0 {
		d.fail(n, field, fmt.Sprintf("%q is not a positive duration such as 500ms or 2s", v))
		return 0
	}
	return t
}

func (d *decoder) strings(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		if v, ok := d.scalar(item, fmt.Sprintf("%s[%d]", field, i)); ok {
			out = append(out, v)
		}
	}
	return out
}

// address checks a host:port value.
func (d *decoder) address(n *yaml.Node, field, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		d.fail(n, field, fmt.Sprintf("%q is not host:port", addr))
		return
	}
	if msg := checkHost(host); msg != "" {
		d.fail(n, field, fmt.Sprintf("%q: %s", addr, msg))
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		d.fail(n, field, fmt.Sprintf("%q: port %q is not from 1 to 65535", addr, port))
	}
}

func checkHost(host string) string {
	switch {
	case host == "":
		return "the host is empty"
	case strings.ContainsAny(host, " \t/@?#"):
		return "the host contains a character no host name has"
	}
	return ""
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
