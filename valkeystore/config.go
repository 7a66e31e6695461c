package valkeystore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/valkey-io/valkey-go"
)

// Defaults of Config.
const (
	DefaultKeyPrefix        = "vc:"
	DefaultOperationTimeout = 2 * time.Second
	DefaultAtomicTimeout    = 5 * time.Second
	DefaultBulkTimeout      = 10 * time.Second
	DefaultFlushTimeout     = 30 * time.Second
	DefaultDialTimeout      = 5 * time.Second
	DefaultMaxValueBytes    = 64 << 20
	DefaultIndexPrefix      = "index:"
	DefaultSearchTimeout    = 5 * time.Second
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config.
var ErrInvalidConfig = errors.New("valkeystore: invalid config")

// Config says how to reach the server and how to behave against it.
type Config struct {
	// Addrs are host:port addresses. One address may be a single node or any
	// node of a cluster: the mode is detected. Several addresses are seeds of
	// a cluster. Leave it empty with Sentinel, which has addresses of its own.
	Addrs []string

	// Sentinel, when set, finds the primary through Valkey Sentinel instead
	// of Addrs, and follows it across failovers.
	Sentinel *SentinelConfig

	// Username and Password authenticate (ACL user, or the default user when
	// Username is empty).
	Username string
	Password string

	// DB selects a logical database on a single node. A cluster has only
	// database 0, and a non-zero DB against one is an error.
	DB int

	// KeyPrefix starts every key the provider writes, so that a database can
	// be shared and inspected. Empty means DefaultKeyPrefix. It may not
	// contain '{' or '}', which would take the hash tag from the provider.
	KeyPrefix string

	// IndexPrefix starts the keys of search indexes (package search), kept
	// apart from entries so they can be inspected and sized on their own.
	// Empty means DefaultIndexPrefix. It may not contain '{' or '}'.
	IndexPrefix string

	// ClientName is sent with CLIENT SETNAME, to tell connections apart in
	// CLIENT LIST.
	ClientName string

	// TLS enables TLS with this configuration.
	TLS *tls.Config

	// DefaultTTL is the TTL of caches over this provider that set none. Zero
	// leaves the facade's default (one hour).
	DefaultTTL time.Duration

	// Deadlines applied to calls whose context has none, or a later one:
	// single-key reads and writes (an entry with its namespace version
	// included); the version steps tags and Clear are built on (reading,
	// creating and bumping versions); bulk calls; clearing a namespace by
	// scanning and flushing. Zero means the default.
	OperationTimeout time.Duration
	AtomicTimeout    time.Duration
	BulkTimeout      time.Duration
	FlushTimeout     time.Duration
	// SearchTimeout bounds each call on a search index (indexing a batch,
	// querying every shard). Zero means DefaultSearchTimeout.
	SearchTimeout time.Duration

	// DialTimeout bounds connecting, including at New. Zero means the default.
	DialTimeout time.Duration

	// ReplicaReads sends reads of a cluster's entries to replicas, spreading
	// load at the price of reading a value a replica has not yet received.
	// Versions are still read from primaries, so an invalidation or Clear
	// that has returned is never missed. Give primaries
	// (or a single node) as Addrs: valkey-go reuses its connection to a seed
	// address for that node's later role, without READONLY, so reads sent to a
	// replica that was a seed are redirected to its primary.
	ReplicaReads bool

	// TrackAllReads puts every connection in client tracking mode OPTOUT
	// NOLOOP: the server then pushes an invalidation for every later change
	// (write, delete, expiry, eviction, flush) of any key this client has
	// read, except changes made by this same connection. The two-level
	// provider needs it to keep its in-process copies coherent. It costs the
	// server an entry in its tracking table per key read (bounded by
	// tracking-table-max-keys) and one push per change of a key read. Off by
	// default; managed services that disable CLIENT TRACKING refuse it at New.
	TrackAllReads bool

	// ReadVersionsEachTime reads the version copies that guard an entry
	// with every read of it (in the same MGET), instead of following them in
	// process. Following them, the default, makes a hit one GET; it needs
	// client tracking (RESP3 client-side caching, on unless ClientOption
	// disables it) and one connection per node, and is off with
	// ReplicaReads. Either way reads are strict: after an invalidation
	// returns, no read in any process returns what it invalidated.
	ReadVersionsEachTime bool

	// AllowUnsafeFLUSHDB lets Flush wipe the whole database (every primary's,
	// on a cluster), other applications' keys included. Off by default.
	AllowUnsafeFLUSHDB bool

	// MaxValueBytes is the largest value accepted; zero means
	// DefaultMaxValueBytes. New lowers it to the server's proto-max-bulk-len
	// when that is smaller (and CONFIG GET is allowed), since the server
	// drops the connection of a command with a larger argument.
	MaxValueBytes int

	// SkipPolicyCheck stops New from reading maxmemory-policy (with CONFIG
	// GET) to warn about a policy under which a full server fails writes.
	SkipPolicyCheck bool

	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger

	// ClientOption, when set, may adjust the valkey-go options just before the
	// client is created, for settings this Config does not cover.
	ClientOption func(*valkey.ClientOption)
}

// DefaultSentinelRefresh is how often the sentinels are asked for the
// primary when SentinelConfig.RefreshInterval is zero.
const DefaultSentinelRefresh = 5 * time.Second

// SentinelConfig reaches a primary (with its replicas) managed by Valkey
// Sentinel. The client asks the sentinels for the primary of MasterSet,
// connects to it with Config's credentials, TLS and DB, and moves to the
// new primary when the sentinels announce a failover (and, in case such an
// announcement was missed, when a periodic check finds another primary).
type SentinelConfig struct {
	// MasterSet is the name the sentinels monitor the primary under.
	MasterSet string
	// Addrs are the host:port addresses of one or more sentinels.
	Addrs []string
	// Username and Password authenticate to the sentinels, which may have
	// credentials of their own; Config's are used for the data nodes.
	Username string
	Password string
	// TLS, when set, is used for the connections to the sentinels.
	TLS *tls.Config
	// RefreshInterval is how often the sentinels are asked whether the
	// primary changed, besides following their announcements. Zero means
	// DefaultSentinelRefresh; negative turns the check off.
	RefreshInterval time.Duration
}

func (c *Config) withDefaults() {
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if c.IndexPrefix == "" {
		c.IndexPrefix = DefaultIndexPrefix
	}
	c.OperationTimeout = orDefault(c.OperationTimeout, DefaultOperationTimeout)
	c.AtomicTimeout = orDefault(c.AtomicTimeout, DefaultAtomicTimeout)
	c.BulkTimeout = orDefault(c.BulkTimeout, DefaultBulkTimeout)
	c.FlushTimeout = orDefault(c.FlushTimeout, DefaultFlushTimeout)
	c.SearchTimeout = orDefault(c.SearchTimeout, DefaultSearchTimeout)
	c.DialTimeout = orDefault(c.DialTimeout, DefaultDialTimeout)
	if c.MaxValueBytes == 0 {
		c.MaxValueBytes = DefaultMaxValueBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (c *Config) validate() error {
	if err := c.validateSentinel(); err != nil {
		return err
	}
	addrs := c.Addrs
	if c.Sentinel != nil {
		addrs = c.Sentinel.Addrs
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%w: Addrs is empty", ErrInvalidConfig)
	}
	for _, a := range addrs {
		if a == "" || !strings.Contains(a, ":") {
			return fmt.Errorf("%w: address %q is not host:port", ErrInvalidConfig, a)
		}
	}
	if c.DB < 0 {
		return fmt.Errorf("%w: DB %d is negative", ErrInvalidConfig, c.DB)
	}
	if strings.ContainsAny(c.KeyPrefix, "{}") {
		return fmt.Errorf("%w: KeyPrefix %q contains '{' or '}'", ErrInvalidConfig, c.KeyPrefix)
	}
	if strings.ContainsAny(c.IndexPrefix, "{}") {
		return fmt.Errorf("%w: IndexPrefix %q contains '{' or '}'", ErrInvalidConfig, c.IndexPrefix)
	}
	for name, d := range map[string]time.Duration{
		"OperationTimeout": c.OperationTimeout, "AtomicTimeout": c.AtomicTimeout,
		"BulkTimeout": c.BulkTimeout, "FlushTimeout": c.FlushTimeout, "DialTimeout": c.DialTimeout, "SearchTimeout": c.SearchTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("%w: %s %v is negative", ErrInvalidConfig, name, d)
		}
	}
	if c.DefaultTTL < 0 && c.DefaultTTL != -1 {
		return fmt.Errorf("%w: DefaultTTL %v: must be positive, zero or NoExpiry", ErrInvalidConfig, c.DefaultTTL)
	}
	if c.MaxValueBytes < 0 {
		return fmt.Errorf("%w: MaxValueBytes %d is negative", ErrInvalidConfig, c.MaxValueBytes)
	}
	return nil
}

func (c *Config) validateSentinel() error {
	if c.Sentinel == nil {
		return nil
	}
	switch {
	case len(c.Addrs) > 0:
		return fmt.Errorf("%w: both Addrs and Sentinel are set: with Sentinel, give the sentinels' addresses as Sentinel.Addrs", ErrInvalidConfig)
	case c.Sentinel.MasterSet == "":
		return fmt.Errorf("%w: Sentinel.MasterSet is empty", ErrInvalidConfig)
	case len(c.Sentinel.Addrs) == 0:
		return fmt.Errorf("%w: Sentinel.Addrs is empty", ErrInvalidConfig)
	case c.ReplicaReads:
		return fmt.Errorf("%w: ReplicaReads is for a cluster, not for Sentinel", ErrInvalidConfig)
	}
	return nil
}
