package rules

import (
	"regexp"
	"strings"
)

// Scrubbed replaces a secret that ScrubSecrets removed.
const Scrubbed = "[scrubbed]"

// secretKeys are the names under which web WeChat carries session secrets:
// query parameters, cookies, the login XML and the BaseRequest JSON. Any of
// them lets a reader act as the office's account until the session ends.
var secretKeys = []string{
	"pass_ticket", "passticket", "skey", "sid", "wxsid", "uin", "wxuin",
	"webwx_data_ticket", "webwx_auth_ticket", "ticket", "deviceid", "device_id",
	"synckey", "uuid", "token", "password", "passwd", "secret",
}

var secretSet = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range secretKeys {
		m[k] = true
	}
	return m
}()

// IsSecretKey reports whether a parameter or attribute name carries a
// session secret (case-insensitive).
func IsSecretKey(name string) bool { return secretSet[strings.ToLower(name)] }

var (
	// urlRe is a URL up to a space, quote or bracket; its query and
	// fragment are cut.
	urlRe = regexp.MustCompile(`(?i)\b(?:https?|wss?)://[^\s"'<>\x60]+`)
	keys  = strings.Join(secretKeys, "|")
	// kvRe is key=value or key: value (JSON's "Key":"value" included),
	// value up to a separator.
	kvRe = regexp.MustCompile(`(?i)(["']?\b(?:` + keys + `)\b["']?\s*[=:]\s*)(\[scrubbed\]|"[^"]*"|'[^']*'|[^\s&;,"'<>)}\]]+)`)
	// xmlRe is <key>value</key> (the login answer).
	xmlRe = regexp.MustCompile(`(?i)(<(?:` + keys + `)>)[^<]*`)
	// cryptRe is a bare skey ("@crypt_…"), %-encoded or not.
	cryptRe = regexp.MustCompile(`(?i)(?:@|%40)crypt_[0-9a-z_]+`)
)

// ScrubSecrets removes session secrets from a text bound for a log line or
// the database (an error's text, usually): every URL loses its query string
// and fragment, and every known secret parameter (pass_ticket, skey, sid,
// uin, webwx_data_ticket, … — as key=value, "key":"value" or <key>value</key>)
// loses its value. The rest of the text is kept, so the error still says
// what failed and where.
func ScrubSecrets(s string) string {
	if s == "" {
		return s
	}
	s = urlRe.ReplaceAllStringFunc(s, func(u string) string {
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			return u[:i] + "?" + Scrubbed
		}
		return u
	})
	s = kvRe.ReplaceAllString(s, "${1}"+Scrubbed)
	s = xmlRe.ReplaceAllString(s, "${1}"+Scrubbed)
	s = cryptRe.ReplaceAllString(s, Scrubbed)
	return s
}
