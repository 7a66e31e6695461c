package httpcache

import (
	"net/http"
	"time"
)

// heuristicStatus lists the status codes RFC 9110 §15.1 defines as
// heuristically cacheable, less 206, which this cache does not store.
var heuristicStatus = map[int]bool{
	200: true, 203: true, 204: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true,
}

// expiry is what a response's fields say about its freshness.
type expiry struct {
	lifetime time.Duration
	// explicit reports an expiration time given by the origin (s-maxage,
	// max-age or Expires, valid or not); heuristics then never apply.
	explicit bool
}

// freshnessLifetime computes a shared cache's freshness_lifetime (RFC 9111
// §4.2.1): s-maxage, else max-age, else Expires minus Date, else a
// heuristic (§4.2.2) when the configuration allows one and the status code
// is heuristically cacheable or the response is public.
//
// date is date_value: the Date field, or the time the response was
// received when it has none.
func (c *Cache) freshnessLifetime(status int, header http.Header, cc directives, date time.Time) expiry {
	switch {
	case cc.badExpiry:
		// An invalid max-age or s-maxage leaves the response stale.
		return expiry{explicit: true}
	case cc.sMaxAge >= 0:
		return expiry{lifetime: seconds(cc.sMaxAge), explicit: true}
	case cc.maxAge >= 0:
		return expiry{lifetime: seconds(cc.maxAge), explicit: true}
	}
	if values := header.Values("Expires"); len(values) > 0 {
		// An invalid date, such as 0, means already expired.
		exp, err := http.ParseTime(values[0])
		if err != nil || !exp.After(date) {
			return expiry{explicit: true}
		}
		return expiry{lifetime: exp.Sub(date), explicit: true}
	}
	if c.cfg.HeuristicFraction <= 0 || !(heuristicStatus[status] || cc.public) {
		return expiry{}
	}
	lm, err := http.ParseTime(header.Get("Last-Modified"))
	if err != nil || !lm.Before(date) {
		return expiry{}
	}
	life := time.Duration(c.cfg.HeuristicFraction * float64(date.Sub(lm)))
	return expiry{lifetime: min(life, c.cfg.HeuristicMax)}
}

// seconds turns delta-seconds into a duration.
func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// dateValue is the response's Date, or received when it has no valid one.
func dateValue(header http.Header, received time.Time) time.Time {
	if d, err := http.ParseTime(header.Get("Date")); err == nil {
		return d
	}
	return received
}

// initialAge computes corrected_initial_age (RFC 9111 §4.2.3):
//
//	apparent_age          = max(0, response_time - date_value)
//	corrected_age_value   = age_value + (response_time - request_time)
//	corrected_initial_age = max(apparent_age, corrected_age_value)
//
// age_value is the Age field (0 when absent or invalid).
func initialAge(header http.Header, date, sent, received time.Time) time.Duration {
	var ageValue time.Duration
	if n, ok := parseDelta(header.Get("Age")); ok {
		ageValue = seconds(n)
	}
	apparent := max(received.Sub(date), 0)
	corrected := ageValue + max(received.Sub(sent), 0)
	return max(apparent, corrected)
}

// window returns a directive's stale window in nanoseconds, or -1.
func window(n int64) int64 {
	if n < 0 {
		return -1
	}
	return int64(seconds(n))
}
