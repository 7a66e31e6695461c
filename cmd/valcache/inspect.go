package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/internal/sibling"
	"github.com/valcache/valcache/valkeystore"
)

// defaultInspectAddr is where inspect looks when no server is named.
const defaultInspectAddr = "127.0.0.1:6379"

// inspectCommand is one subcommand of inspect: its arguments, and whether
// it changes the store (and so asks first).
type inspectCommand struct {
	args        string
	about       string
	minArgs     int
	maxArgs     int // -1: no limit
	destructive bool
	run         func(in *inspection, ctx context.Context) error
}

var inspectCommands = map[string]inspectCommand{
	"namespaces": {"", "list namespaces: entries, field entries (sessions), tags, locks, rate limits, index keys, memory", 0, 0, false, (*inspection).namespaces},
	"show":       {"NAMESPACE KEY", "show one entry: TTL, codec, stamps (current or not), times, value; a session's fields", 2, 2, false, (*inspection).show},
	"invalidate": {"NAMESPACE TAG...", "invalidate tags: every entry carrying one becomes a miss", 2, -1, true, (*inspection).invalidate},
	"clear":      {"NAMESPACE", "clear a namespace: invalidate every entry, then delete its keys", 1, 1, true, (*inspection).clear},
	"server":     {"", "server facts that matter to a cache: version, eviction policy, memory, tracking", 0, 0, false, (*inspection).server},
}

var inspectOrder = []string{"namespaces", "show", "invalidate", "clear", "server"}

// inspection is one inspect subcommand's state.
type inspection struct {
	p       *valkeystore.Provider
	store   sibling.Valkey // p's view for inspecting what it holds
	where   string
	args    []string
	jsonOut bool
	yes     bool
	con     console
}

func inspectUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: valcache inspect <subcommand> [flags] [args]\n\nsubcommands:\n")
	for _, name := range inspectOrder {
		c := inspectCommands[name]
		fmt.Fprintf(w, "  %-10s %-17s %s\n", name, c.args, c.about)
	}
	fmt.Fprintf(w, "\nRun 'valcache inspect <subcommand> -h' for its flags.\n")
}

func runInspect(ctx context.Context, args []string, con console) int {
	if len(args) == 0 {
		inspectUsage(con.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		inspectUsage(con.stdout)
		return exitOK
	}
	cmd, ok := inspectCommands[name]
	if !ok {
		fmt.Fprintf(con.stderr, "valcache inspect: unknown subcommand %q\n", name)
		inspectUsage(con.stderr)
		return exitUsage
	}
	label := "inspect " + name
	fs := flag.NewFlagSet(label, flag.ContinueOnError)
	fs.SetOutput(con.stderr)
	var srv server
	srv.register(fs, defaultInspectAddr)
	in := &inspection{con: con}
	fs.BoolVar(&in.jsonOut, "json", false, "print JSON")
	if cmd.destructive {
		fs.BoolVar(&in.yes, "yes", false, "do it without asking for confirmation")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: valcache inspect %s [flags] %s\n\n%s.\n\nflags:\n", name, cmd.args, cmd.about)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	in.args = fs.Args()
	if len(in.args) < cmd.minArgs || (cmd.maxArgs >= 0 && len(in.args) > cmd.maxArgs) {
		return usageError(con, label, "want arguments %q, got %d", cmd.args, len(in.args))
	}
	if srv.cluster != "" && srv.addr == defaultInspectAddr {
		srv.addr = "" // --cluster replaces the default address
	}
	if _, err := srv.addrs(); err != nil {
		return usageError(con, label, "%v", err)
	}
	p, err := srv.connect(ctx, "valcache-inspect", false, con.stderr)
	if err != nil {
		return fail(con, label, err)
	}
	defer p.Close()
	in.p, in.where = p, srv.describe(p)
	in.store, _ = sibling.ValkeyOf(p)
	if err := cmd.run(in, ctx); err != nil {
		return fail(con, label, err)
	}
	return exitOK
}

func (in *inspection) printJSON(v any) error {
	enc := json.NewEncoder(in.con.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// confirm asks on stdin unless --yes was given; anything but y or yes is no.
func (in *inspection) confirm(question string) error {
	if in.yes {
		return nil
	}
	fmt.Fprintf(in.con.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(in.con.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("not confirmed; nothing changed (pass --yes to skip the question)")
}

func (in *inspection) namespaces(ctx context.Context) error {
	list, err := in.store.Namespaces(ctx)
	if err != nil {
		return err
	}
	if in.jsonOut {
		type nsJSON struct {
			Name         string `json:"name"`
			Entries      int    `json:"entries"`
			ValueBytes   int64  `json:"value_bytes"`
			FieldEntries int    `json:"field_entries"`
			Fields       int64  `json:"fields"`
			Tags         int    `json:"tags"`
			Versioned    bool   `json:"versioned"`
			Locks        int    `json:"locks"`
			RateLimits   int    `json:"rate_limits"`
			IndexKeys    int    `json:"index_keys"`
			Other        int    `json:"other"`
			MemoryBytes  *int64 `json:"memory_bytes"` // null when the server would not say
		}
		out := make([]nsJSON, 0, len(list))
		for _, n := range list {
			j := nsJSON{n.Name, n.Entries, n.ValueBytes, n.FieldEntries, n.Fields, n.Tags, n.Versioned, n.Locks, n.RateLimits, n.IndexKeys, n.Other, nil}
			if n.MemoryBytes >= 0 {
				j.MemoryBytes = &n.MemoryBytes
			}
			out = append(out, j)
		}
		return in.printJSON(out)
	}
	if len(list) == 0 {
		fmt.Fprintf(in.con.stdout, "no namespaces on the %s\n", in.where)
		return nil
	}
	width := len("NAMESPACE")
	for _, n := range list {
		width = max(width, len(n.Name))
	}
	const row = "%-*s  %10s  %14s  %6s  %13s  %6s  %11s  %10s  %10s\n"
	fmt.Fprintf(in.con.stdout, row, width, "NAMESPACE", "ENTRIES", "VALUE BYTES", "TAGS", "FIELD ENTRIES", "LOCKS", "RATE LIMITS", "INDEX KEYS", "MEMORY")
	for _, n := range list {
		memory := "?"
		if n.MemoryBytes >= 0 {
			memory = bytesText(n.MemoryBytes)
		}
		fmt.Fprintf(in.con.stdout, row, width, n.Name, grouped(int64(n.Entries)), grouped(n.ValueBytes), grouped(int64(n.Tags)),
			grouped(int64(n.FieldEntries)), grouped(int64(n.Locks)), grouped(int64(n.RateLimits)), grouped(int64(n.IndexKeys)), strings.ReplaceAll(memory, " ", ""))
	}
	return nil
}

// shownEntry is what show prints, also as JSON.
type shownEntry struct {
	Namespace    string       `json:"namespace"`
	Key          string       `json:"key"`
	ValkeyKey    string       `json:"valkey_key"`
	Found        bool         `json:"found"`
	TTL          string       `json:"ttl,omitempty"`
	Marker       string       `json:"marker,omitempty"`
	Current      *bool        `json:"current,omitempty"`
	Codec        string       `json:"codec,omitempty"`
	Negative     bool         `json:"negative,omitempty"`
	Written      string       `json:"written,omitempty"`
	FreshFor     string       `json:"fresh_for,omitempty"`
	Stamps       []shownStamp `json:"stamps,omitempty"`
	Transformers []string     `json:"transformers,omitempty"`
	PayloadBytes int          `json:"payload_bytes"`
	Value        any          `json:"value,omitempty"`
	// Type is the key's Valkey type when it is not a value: "hash" for a
	// field entry (a session), whose Fields follow.
	Type   string       `json:"type,omitempty"`
	Fields []shownField `json:"fields,omitempty"`
	Note   string       `json:"note,omitempty"`
}

// shownField is one field of a field entry, in name order.
type shownField struct {
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
	// Value is the field's bytes as text when they are UTF-8, cut at
	// shownFieldMax bytes; Base64 holds them otherwise.
	Value  string `json:"value,omitempty"`
	Base64 []byte `json:"base64,omitempty"`
}

// shownFieldMax bounds how much of one field show prints.
const shownFieldMax = 256

type shownStamp struct {
	Tag     string `json:"tag"` // "" is the namespace's own version
	Stamped string `json:"stamped"`
	Now     string `json:"now"`
	Current bool   `json:"current"`
}

func (in *inspection) show(ctx context.Context) error {
	ns, key := in.args[0], in.args[1]
	e, err := in.store.Entry(ctx, ns, key)
	if err != nil {
		return err
	}
	out := shownEntry{Namespace: ns, Key: key, ValkeyKey: e.Key, Found: e.Found, Marker: e.Marker}
	if e.Found {
		out.TTL = "none"
		if e.TTL != driver.NoExpiry {
			out.TTL = e.TTL.String()
		}
	}
	switch {
	case e.Value != nil:
		if err := in.describe(ctx, ns, e.Value, &out); err != nil {
			return err
		}
	case e.Fields != nil:
		out.Type = e.Type
		out.Fields = shownFields(e.Fields)
		for _, f := range out.Fields {
			out.PayloadBytes += len(f.Name) + f.Bytes
		}
		out.Note = "a field entry: one hash field per field (package session stores sessions so)"
	case e.Found && e.Type != "string":
		out.Type = e.Type
		out.Note = "a " + e.Type + ", which valcache does not write at an entry's key (a cache reads it as a miss)"
	}
	if in.jsonOut {
		return in.printJSON(out)
	}
	w := in.con.stdout
	fmt.Fprintf(w, "key        %s\n", out.ValkeyKey)
	switch {
	case !out.Found:
		fmt.Fprintf(w, "absent     no such entry\n")
		return nil
	case out.Marker != "":
		fmt.Fprintf(w, "ttl        %s\nmarker     %s\n", out.TTL, out.Marker)
		return nil
	}
	if out.Fields != nil {
		fmt.Fprintf(w, "ttl        %s\ntype       %s, %s, %d bytes\n", out.TTL, out.Type, plural(len(out.Fields), "field", "fields"), out.PayloadBytes)
		for _, f := range out.Fields {
			v := strconv.Quote(f.Value)
			if f.Base64 != nil {
				v = fmt.Sprintf("%d bytes, not text", f.Bytes)
			} else if len(f.Value) < f.Bytes {
				v += fmt.Sprintf(" (first %d of %d bytes)", len(f.Value), f.Bytes)
			}
			fmt.Fprintf(w, "field      %s = %s\n", strconv.Quote(f.Name), v)
		}
		fmt.Fprintf(w, "note       %s\n", out.Note)
		return nil
	}
	if out.Codec == "" {
		fmt.Fprintf(w, "ttl        %s\nsize       %d bytes\nnote       %s\n", out.TTL, out.PayloadBytes, out.Note)
		return nil
	}
	current := "yes"
	if out.Current != nil && !*out.Current {
		current = "no: a tag or the namespace was invalidated since it was written (read as a miss)"
	}
	fmt.Fprintf(w, "ttl        %s\ncurrent    %s\ncodec      %s\n", out.TTL, current, out.Codec)
	if out.Written != "" {
		fmt.Fprintf(w, "written    %s\nfresh for  %s\n", out.Written, out.FreshFor)
	}
	for _, s := range out.Stamps {
		what := "tag " + s.Tag
		if s.Tag == "" {
			what = "namespace"
		}
		state := "current"
		if !s.Current {
			state = "invalidated (now " + s.Now + ")"
		}
		fmt.Fprintf(w, "stamp      %s %s: %s\n", what, s.Stamped, state)
	}
	if len(out.Transformers) > 0 {
		fmt.Fprintf(w, "transforms %s\n", strings.Join(out.Transformers, ", "))
	}
	fmt.Fprintf(w, "payload    %d bytes\n", out.PayloadBytes)
	if out.Negative {
		fmt.Fprintf(w, "value      (a recorded absence)\n")
	} else if out.Value != nil {
		v, _ := json.Marshal(out.Value)
		fmt.Fprintf(w, "value      %s\n", v)
	}
	if out.Note != "" {
		fmt.Fprintf(w, "note       %s\n", out.Note)
	}
	return nil
}

// shownFields lists a field entry's fields in name order, each value as
// text when it is UTF-8 (cut at shownFieldMax bytes), else in base64.
func shownFields(fields map[string][]byte) []shownField {
	out := make([]shownField, 0, len(fields))
	for name, v := range fields {
		f := shownField{Name: name, Bytes: len(v)}
		if utf8.Valid(v) {
			cut := v[:min(len(v), shownFieldMax)]
			for !utf8.Valid(cut) { // do not split a character
				cut = cut[:len(cut)-1]
			}
			f.Value = string(cut)
		} else {
			f.Base64 = v[:min(len(v), shownFieldMax)]
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b shownField) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// describe fills out from the stored bytes, and compares the entry's stamps
// with the versions stored now.
func (in *inspection) describe(ctx context.Context, ns string, b []byte, out *shownEntry) error {
	info, err := envelope.Describe(b)
	if err != nil {
		out.Note = "not readable as an entry (a cache reads it as a miss): " + err.Error()
		out.PayloadBytes = len(b)
		return nil
	}
	out.Codec, out.Negative, out.PayloadBytes, out.Transformers = info.CodecName, info.Negative, info.PayloadBytes, info.TransformNames
	out.Note = info.ValueNote
	if info.Value != "" {
		out.Value = json.RawMessage(info.Value)
		if !json.Valid([]byte(info.Value)) { // cut short
			out.Value = info.Value
		}
	}
	if !info.Written.IsZero() {
		out.Written = info.Written.UTC().Format(time.RFC3339Nano)
		out.FreshFor = info.FreshFor.String()
	}
	if len(info.Stamps) == 0 {
		return nil
	}
	keys := make([]driver.VersionKey, len(info.Stamps))
	for i, s := range info.Stamps {
		keys[i] = driver.VersionKey{Namespace: ns, Tag: s.Tag, Group: in.p.VersionGroup(driver.Key{Namespace: ns, ID: out.Key})}
	}
	now, err := in.p.Versions(ctx, keys)
	if err != nil {
		return err
	}
	current := true
	for i, s := range info.Stamps {
		ok := now[i] == s.Version
		current = current && ok
		out.Stamps = append(out.Stamps, shownStamp{Tag: s.Tag, Stamped: fmt.Sprintf("%016x", s.Version), Now: fmt.Sprintf("%016x", now[i]), Current: ok})
	}
	out.Current = &current
	return nil
}

// facade opens a byte cache on ns: invalidation and Clear go through the
// same code as the application's, so they bump the same versions.
func (in *inspection) facade(ns string) (*valcache.Cache[string, []byte], error) {
	return valcache.New(in.p, valcache.Options[string, []byte]{Namespace: ns})
}

func (in *inspection) invalidate(ctx context.Context) error {
	ns, tags := in.args[0], in.args[1:]
	if err := in.confirm(fmt.Sprintf("Invalidate tag(s) %s of namespace %q on the %s?", strings.Join(tags, ", "), ns, in.where)); err != nil {
		return err
	}
	c, err := in.facade(ns)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.InvalidateTags(ctx, tags...); err != nil {
		return err
	}
	if in.jsonOut {
		return in.printJSON(map[string]any{"namespace": ns, "invalidated": tags})
	}
	fmt.Fprintf(in.con.stdout, "invalidated %d tag(s) of namespace %q: %s\n", len(tags), ns, strings.Join(tags, ", "))
	return nil
}

func (in *inspection) clear(ctx context.Context) error {
	ns := in.args[0]
	entries := -1
	if list, err := in.store.Namespaces(ctx); err == nil {
		entries = 0
		for _, n := range list {
			if n.Name == ns {
				entries = n.Entries + n.FieldEntries
			}
		}
	}
	what := fmt.Sprintf("namespace %q", ns)
	if entries >= 0 {
		what = fmt.Sprintf("namespace %q (%s)", ns, plural(entries, "entry", "entries"))
	}
	if err := in.confirm(fmt.Sprintf("Clear %s on the %s?", what, in.where)); err != nil {
		return err
	}
	c, err := in.facade(ns)
	if err != nil {
		return err
	}
	defer c.Close()
	// The version bump makes every entry a miss at once, for readers with
	// in-process copies too; deleting the keys then frees the memory.
	if err := c.Clear(ctx); err != nil {
		return err
	}
	if err := in.p.Clear(ctx, ns); err != nil {
		return err
	}
	if in.jsonOut {
		return in.printJSON(map[string]any{"namespace": ns, "cleared": true, "entries": entries})
	}
	fmt.Fprintf(in.con.stdout, "cleared %s\n", what)
	return nil
}

func (in *inspection) server(ctx context.Context) error {
	nodes, err := in.store.Servers(ctx)
	if err != nil {
		return err
	}
	if in.jsonOut {
		return in.printJSON(nodes)
	}
	w := in.con.stdout
	fmt.Fprintf(w, "%s\n", in.where)
	for _, n := range nodes {
		limit := "none"
		if n.Maxmemory > 0 {
			limit = bytesText(n.Maxmemory)
		}
		fmt.Fprintf(w, "\n%s (%s)\n", n.Addr, n.Role)
		fmt.Fprintf(w, "  server            %s %s\n", n.Server, n.Version)
		fmt.Fprintf(w, "  memory            %s used, limit %s\n", bytesText(n.UsedMemory), limit)
		fmt.Fprintf(w, "  eviction policy   %s%s\n", n.MaxmemoryPolicy, policyNote(n.MaxmemoryPolicy, n.Maxmemory))
		fmt.Fprintf(w, "  keys              %s (evicted %s, expired %s)\n", grouped(n.Keys), grouped(n.EvictedKeys), grouped(n.ExpiredKeys))
		fmt.Fprintf(w, "  clients           %d connected, %d tracking (%s keys tracked)\n", n.ConnectedClients, n.TrackingClients, grouped(n.TrackedKeys))
		if total := n.KeyspaceHits + n.KeyspaceMisses; total > 0 {
			fmt.Fprintf(w, "  server hit ratio  %.2f%% of %s key lookups\n", 100*float64(n.KeyspaceHits)/float64(total), grouped(total))
		}
	}
	return nil
}

// policyNote warns about a policy under which a full server refuses writes.
func policyNote(policy string, limit int64) string {
	if policy == "noeviction" && limit > 0 {
		return " (when memory is full, writes fail instead of evicting: prefer allkeys-lru or allkeys-lfu for a cache)"
	}
	return ""
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return grouped(int64(n)) + " " + many
}
