package valkeystore

import "github.com/valkey-io/valkey-go"

// useSentinel points the client at the sentinels of cfg.Sentinel, if any:
// valkey-go then asks them for the primary, subscribes to their failover
// announcements and reconnects to the primary they name.
func useSentinel(opt *valkey.ClientOption, cfg Config) {
	s := cfg.Sentinel
	if s == nil {
		return
	}
	opt.InitAddress = s.Addrs
	opt.Sentinel = valkey.SentinelOption{
		MasterSet:  s.MasterSet,
		Username:   s.Username,
		Password:   s.Password,
		ClientName: cfg.ClientName,
		TLSConfig:  s.TLS,
		Dialer:     opt.Dialer,
	}
	switch {
	case s.RefreshInterval == 0:
		opt.Sentinel.TopologyRefreshInterval = DefaultSentinelRefresh
	case s.RefreshInterval > 0:
		opt.Sentinel.TopologyRefreshInterval = s.RefreshInterval
	}
}
