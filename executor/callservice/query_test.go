package callservice_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/executor/callservice"
)

func TestQueryParametersAreEncodedIntoTheURL(t *testing.T) {
	t.Parallel()
	var got string
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query().Get("value") + "|" + r.URL.Query().Get("type") + "|" + r.URL.Query().Get("limit") + "|" + r.URL.Query().Get("keep")
		reply(http.StatusOK, "application/json", `{}`)(w, r)
	})
	e := newExecutor(t, callservice.Options{})
	out := e.Execute(t.Context(), stepRequest(map[string]any{
		"url":    srv.URL + "/lookup?keep=yes",
		"method": "GET",
		"query":  map[string]any{"value": "hxxp://evil.example/a b&c=d", "type": "url", "limit": float64(10)},
	}))
	if out.Err != nil {
		t.Fatal(out.Err.Message)
	}
	if want := "hxxp://evil.example/a b&c=d|url|10|yes"; got != want {
		t.Fatalf("server saw %q, want %q", got, want)
	}
}

// TestTheTargetArrivesAsWritten checks that the request goes to the URL of
// the config as parsed, escaped path and host included.
func TestTheTargetArrivesAsWritten(t *testing.T) {
	t.Parallel()
	var path, host, query string
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		path, host, query = r.URL.EscapedPath(), r.Host, r.URL.RawQuery
		reply(http.StatusOK, "application/json", `{}`)(w, r)
	})
	e := newExecutor(t, callservice.Options{})
	out := e.Execute(t.Context(), stepRequest(map[string]any{"url": srv.URL + "/hosts/a%2Fb/scan?x=1", "method": "POST"}))
	if out.Err != nil {
		t.Fatal(out.Err.Message)
	}
	if want := strings.TrimPrefix(srv.URL, "http://"); path != "/hosts/a%2Fb/scan" || host != want || query != "x=1" {
		t.Fatalf("server saw path %q, host %q, query %q; want /hosts/a%%2Fb/scan, %s, x=1", path, host, query, want)
	}
}
