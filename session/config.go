package session

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Defaults of Config.
const (
	DefaultNamespace       = "session"
	DefaultCookieName      = "vc_session"
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 24 * time.Hour
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config.
var ErrInvalidConfig = errors.New("session: invalid config")

// Config configures a Manager. The zero value is usable.
type Config struct {
	// Namespace is the provider namespace sessions live in; user
	// generations live in Namespace+".users". Empty means DefaultNamespace.
	Namespace string

	// Cookie settings. Secure is on unless Insecure is set (for plain-HTTP
	// development only); SameSite defaults to Lax, which keeps the cookie
	// off cross-site POSTs while keeping top-level links working.
	CookieName   string
	CookiePath   string
	CookieDomain string
	Insecure     bool
	SameSite     http.SameSite

	// IdleTimeout ends a session unused that long; AbsoluteTimeout ends any
	// session that old. Zero means the default.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration

	// TouchInterval is how often a request records activity (a write).
	// Zero means a tenth of IdleTimeout; it must be below IdleTimeout.
	TouchInterval time.Duration

	// ErrorHandler answers a request whose session could not be loaded
	// because the store failed. Nil answers 503 Service Unavailable.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Logger receives store errors met by the middleware; nil means
	// slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() error {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
	}
	if c.CookiePath == "" {
		c.CookiePath = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.AbsoluteTimeout == 0 {
		c.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if c.TouchInterval == 0 {
		c.TouchInterval = c.IdleTimeout / 10
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
		}
	}
	switch {
	case c.IdleTimeout < 0 || c.AbsoluteTimeout < 0 || c.TouchInterval < 0:
		return fmt.Errorf("%w: timeouts must be positive", ErrInvalidConfig)
	case c.TouchInterval >= c.IdleTimeout:
		return fmt.Errorf("%w: TouchInterval %v must be below IdleTimeout %v", ErrInvalidConfig, c.TouchInterval, c.IdleTimeout)
	case c.IdleTimeout > c.AbsoluteTimeout:
		return fmt.Errorf("%w: IdleTimeout %v is above AbsoluteTimeout %v", ErrInvalidConfig, c.IdleTimeout, c.AbsoluteTimeout)
	case c.SameSite == http.SameSiteNoneMode && c.Insecure:
		return fmt.Errorf("%w: SameSite=None needs a Secure cookie; browsers refuse it otherwise", ErrInvalidConfig)
	}
	return nil
}
