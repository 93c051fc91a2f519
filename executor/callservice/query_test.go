package callservice_test

import (
	"net/http"
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
