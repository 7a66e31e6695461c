package httpcache

import (
	"hash/fnv"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The cache key of a request is its primary key: the method whose stored
// responses it may use (GET, for GET and HEAD alike), the normalised
// target URI, and the partition from Config.Key. Each part is length-
// prefixed, so no choice of partition or URI can produce another
// request's key. Responses that vary are stored under secondary keys (see
// variantKey).

// primaryKey returns the key of r, or an error when Config.Key fails.
func (c *Cache) primaryKey(r *http.Request) (string, error) {
	partition := ""
	if c.cfg.Key != nil {
		p, err := c.cfg.Key(r)
		if err != nil {
			return "", err
		}
		partition = p
	}
	return keyOf(partition, requestScheme(r), r.Host, r.URL), nil
}

func keyOf(partition, scheme, host string, u *url.URL) string {
	uri := normaliseURI(scheme, host, u)
	var b strings.Builder
	b.Grow(len(partition) + len(uri) + 16)
	b.WriteString(strconv.Itoa(len(partition)))
	b.WriteByte(':')
	b.WriteString(partition)
	b.WriteString("GET ")
	b.WriteString(uri)
	return b.String()
}

// requestScheme is the scheme the client used: the request's own when it
// is in absolute form, else https over TLS and http otherwise.
func requestScheme(r *http.Request) string {
	if s := strings.ToLower(r.URL.Scheme); s == "http" || s == "https" {
		return s
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// normaliseURI applies the normalisations RFC 9110 §4.2.3 allows: scheme
// and host in lowercase, the default port omitted, an empty path as "/",
// percent-encodings in uppercase, and unreserved characters decoded. Query
// order is kept: it is significant.
func normaliseURI(scheme, host string, u *url.URL) string {
	if u.Host != "" {
		host = u.Host
	}
	host = strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil {
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") || port == "" {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
	}
	host = strings.TrimSuffix(host, ".")
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	writeNormalisedPercent(&b, path)
	if u.RawQuery != "" {
		b.WriteByte('?')
		writeNormalisedPercent(&b, u.RawQuery)
	}
	return b.String()
}

// writeNormalisedPercent copies s, decoding percent-encoded unreserved
// characters and writing other percent-encodings in uppercase.
func writeNormalisedPercent(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			b.WriteByte(c)
			continue
		}
		v := unhex(s[i+1])<<4 | unhex(s[i+2])
		if isUnreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(s[i+1 : i+3]))
		}
		i += 2
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// variantKey is the secondary key of the variant of primary that a request
// with the given selected field values uses, under the spec's generation.
func variantKey(primary, gen string, selection []string) string {
	var b strings.Builder
	b.WriteString(primary)
	b.WriteString("\x00v")
	b.WriteString(gen)
	for _, s := range selection {
		b.WriteByte('\x00')
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}

// flightKey names the coordinated origin request for a key, per version
// of what is stored there (its identity, or "-" when nothing is): every
// process that finds the same stale response, or none, joins the same
// request, and a later version starts a new one.
func flightKey(key, identity string) string { return key + "\x00@" + identity }

// urlBuckets is how many tags group coordinated origin requests by URL. An
// invalidation of a URL invalidates the running requests of its bucket,
// about 1/urlBuckets of them, so that none of them stores a response
// produced before it; a small, fixed number keeps the tags few.
const urlBuckets = 256

// bucketTag is the tag of a primary key's bucket.
func bucketTag(primary string) string {
	f := fnv.New32a()
	_, _ = f.Write([]byte(primary))
	return "u" + strconv.Itoa(int(f.Sum32()%urlBuckets))
}

// purgeTag is the tag every coordinated origin request carries: a purge by
// tag invalidates it first, so that no request running meanwhile stores a
// response produced before the purge.
const purgeTag = "purge"
