package valkeystore

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/valkey-io/valkey-go"
)

// deniedCheck says, at Info, that a best-effort check New makes was skipped
// because the server refused one of its commands to this ACL user (NOPERM),
// naming the check, what goes unchecked and the grant that would enable it,
// and reports whether err was such a refusal. Each check calls it at most
// once per provider and stops, since every node has the same users: an
// operator who chose a minimal user then learns, once, what it costs, where
// a Debug line would have left the check silently undone.
func (p *Provider) deniedCheck(check, unchecked, addr string, err error) bool {
	var ve *valkey.ValkeyError
	if !errors.As(err, &ve) || !strings.HasPrefix(ve.Error(), "NOPERM") {
		return false
	}
	attrs := []any{slog.String("check", check)}
	if addr != "" {
		attrs = append(attrs, slog.String("addr", addr))
	}
	msg := "valkeystore: start-up check of " + check + " skipped: the ACL user may not run a command it needs"
	if cmd := deniedCommand(ve.Error()); cmd != "" {
		msg = "valkeystore: start-up check of " + check + " skipped: the ACL user may not run " +
			strings.ToUpper(strings.ReplaceAll(cmd, "|", " ")) + " (grant +" + cmd + " to enable it)"
		attrs = append(attrs, slog.String("grant", "+"+cmd))
	}
	p.log.Info(msg+"; "+unchecked, append(attrs, slog.Any("error", err))...)
	return true
}

// deniedCommand returns the command a NOPERM reply names, in ACL form
// ("config|get"), or "" when the reply names none. Valkey and Redis 7 both
// quote it: "... no permissions to run the 'config|get' command".
func deniedCommand(reply string) string {
	_, rest, ok := strings.Cut(reply, "run the '")
	if !ok {
		return ""
	}
	cmd, _, ok := strings.Cut(rest, "'")
	if !ok || cmd == "" || strings.ContainsAny(cmd, " \t\r\n") {
		return ""
	}
	return strings.ToLower(cmd)
}
