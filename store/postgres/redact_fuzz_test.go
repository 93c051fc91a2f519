package postgres

import (
	"net/url"
	"strings"
	"testing"
)

// A connection string's password never reaches a message or a log: what
// Redact returns, and the error of a URL that does not parse, are the same
// whatever the password. Whatever the string, neither panics.
func FuzzRedactHidesThePassword(f *testing.F) {
	f.Add("u", "secret", "db:5432", "/x?sslmode=disable", false)
	f.Add("a@b", "p:w", "db", "/x", false)
	f.Add("u", "pw", "db:notaport", "/x", false)
	f.Add("", "secret", "db", "/x?sslmode=require", true)
	f.Add("u", "s%41cret", "[::1]:5432", "/x?search_path=runbook", true)
	f.Add("0", "0\x00", "", "?0", true)
	f.Fuzz(func(t *testing.T, user, password, host, rest string, inQuery bool) {
		uri := func(password string) string {
			if inQuery {
				sep := "?"
				if strings.Contains(rest, "?") {
					sep = "&"
				}
				return "postgres://" + url.User(user).String() + "@" + host + rest + sep + "password=" + url.QueryEscape(password)
			}
			return "postgres://" + url.UserPassword(user, password).String() + "@" + host + rest
		}
		const other = "another-password"
		if password == other {
			return
		}
		if got, want := Redact(uri(password)), Redact(uri(other)); got != want {
			t.Fatalf("Redact(%q) = %q, but %q with another password: the password shows", uri(password), got, want)
		}
		_, err := parseConfig(uri(password))
		_, otherErr := parseConfig(uri(other))
		switch {
		case err != nil && otherErr != nil && err.Error() != otherErr.Error():
			t.Fatalf("parseConfig(%q): %v, but %v with another password: the password shows", uri(password), err, otherErr)
		case err != nil && otherErr == nil:
			// Only this password is at fault (a NUL character, say).
			escaped := url.QueryEscape(password)
			if len(password) >= 3 && (strings.Contains(err.Error(), password) || strings.Contains(err.Error(), escaped)) {
				t.Fatalf("parseConfig(%q): %v shows the password", uri(password), err)
			}
		}
	})
}
