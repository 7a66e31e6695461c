package config

import "time"

// Providers a storage entry can use.
const (
	UseMemory        = "memory"
	UseValkey        = "valkey"
	UseValkeyCluster = "valkey-cluster"
	// UseValkeySentinel is a primary (with replicas) found through Valkey
	// Sentinel, followed across failovers.
	UseValkeySentinel = "valkey-sentinel"
)

// DefaultValkeyPort is the port of a valkey entry that names a host and no
// port.
const DefaultValkeyPort = 6379

// File is a parsed, validated configuration file.
type File struct {
	// Path is the file's name as given, used in every error.
	Path string
	// Default is the storage used when none is named: the top-level
	// "default" key, else the storage called "default", else the only one.
	Default string
	// Storages in file order.
	Storages []Storage
}

// Storage is one entry of the storages section.
type Storage struct {
	Name string
	// Use is the provider: UseMemory, UseValkey, UseValkeyCluster or
	// UseValkeySentinel.
	Use string
	// Prefix is the storage's namespace; it defaults to Name, so storages
	// sharing a server never share keys by accident.
	Prefix string
	// Line is where the entry starts in the file.
	Line int

	// memory
	MaxEntries int

	// valkey and valkey-cluster. A valkey entry has Host and Port or a
	// single address in Addresses; a cluster entry has seed Addresses.
	Host       string
	Port       int
	Addresses  []string
	Username   string
	Password   string
	DB         int
	KeyPrefix  string
	ClientName string
	TLS        *TLS

	DialTimeout      time.Duration
	OperationTimeout time.Duration

	// valkey-sentinel: the master set, the sentinels' host:port addresses,
	// and the sentinels' own credentials (Username and Password are the
	// data nodes').
	MasterSet        string
	Sentinels        []string
	SentinelUsername string
	SentinelPassword string
}

// TLS configures TLS to a Valkey server.
type TLS struct {
	ServerName         string
	CAFile             string
	CertFile           string
	KeyFile            string
	InsecureSkipVerify bool
}

// Addrs returns the host:port addresses a Valkey entry connects to.
func (s Storage) Addrs() []string {
	if s.Host != "" {
		return []string{joinHostPort(s.Host, s.Port)}
	}
	return s.Addresses
}
