package spec

import (
	"net/url"
	"strings"

	"github.com/runbookhq/runbook"
)

// httpMethods are the methods a call-service step may use.
func httpMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

// checkCallService checks the config of a call-service step; path is the
// config's path.
func checkCallService(p *problems, path string, cfg *runbook.CallServiceConfig) {
	switch strings.ToLower(cfg.Protocol) {
	case "", "http":
	case "grpc":
		p.add(field(path, "protocol"), "grpc is not supported yet; use \"http\"")
	default:
		p.add(field(path, "protocol"), "unknown protocol %q; use \"http\"", cfg.Protocol)
	}
	if cfg.URL == "" {
		p.add(field(path, "url"), "missing required config: url")
	} else if msg := urlProblem(cfg.URL); msg != "" {
		p.add(field(path, "url"), "%s", msg)
	}
	if cfg.Method == "" {
		p.add(field(path, "method"), "missing required config: method; one of %s", strings.Join(httpMethods(), ", "))
	} else if !containsString(httpMethods(), strings.ToUpper(cfg.Method)) {
		p.add(field(path, "method"), "unknown method %q; expected one of %s", cfg.Method, strings.Join(httpMethods(), ", "))
	}
	for _, name := range sortedKeys(anyMap(cfg.Headers)) {
		if !isHeaderName(name) {
			p.add(field(field(path, "headers"), name), "%q is not a valid HTTP header name", name)
		}
	}
	nonNegative(p, field(path, "timeoutMs"), cfg.TimeoutMs)
	nonNegative(p, field(path, "maxResponseBytes"), cfg.MaxResponseBytes)
	if ev := cfg.Evidence; ev != nil {
		epath := field(path, "evidence")
		if ev.Type == "" {
			p.add(field(epath, "type"), "missing evidence type; say what the response is, such as \"threat-intel\"")
		}
		if ev.Confidence < 0 || ev.Confidence > 1 {
			p.add(field(epath, "confidence"), "confidence must be between 0 and 1, got %g", ev.Confidence)
		}
	}
}

// urlProblem says what is wrong with a call-service URL, or returns "".
// Placeholders may stand for any part of it; only a literal scheme is
// checked then.
func urlProblem(raw string) string {
	if hasPlaceholder(raw) {
		prefix := raw[:strings.IndexByte(raw, '{')]
		if prefix == "" {
			return ""
		}
		scheme, _, found := strings.Cut(prefix, "://")
		if !found {
			if lower := strings.ToLower(prefix); strings.HasPrefix("https://", lower) || strings.HasPrefix("http://", lower) {
				return ""
			}
			return "url must start with http:// or https:// (or with a placeholder)"
		}
		if s := strings.ToLower(scheme); s != "http" && s != "https" {
			return "url scheme " + scheme + " is not supported; use http or https"
		}
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid url: " + strings.TrimPrefix(err.Error(), "parse ")
	}
	switch {
	case u.Scheme == "":
		return "url must be absolute, starting with http:// or https://"
	case u.Scheme != "http" && u.Scheme != "https":
		return "url scheme " + u.Scheme + " is not supported; use http or https"
	case u.Host == "":
		return "url has no host"
	}
	return ""
}

// isHeaderName reports whether s is an HTTP token (RFC 9110).
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// anyMap widens a string map for sortedKeys.
func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
