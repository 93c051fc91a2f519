package callservice_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/executor/callservice"
)

// TestRedirectsStayOnTheSameHost checks that the default client follows a
// redirect within the service but not to another host, where the step's
// headers (API keys) would follow.
func TestRedirectsStayOnTheSameHost(t *testing.T) {
	t.Parallel()
	leaked := make(chan string, 1)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked <- r.Header.Get("X-Api-Key")
	}))
	t.Cleanup(elsewhere.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"moved":true,"key":"` + r.Header.Get("X-Api-Key") + `"}`))
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := callservice.New(callservice.Options{})
	headers := map[string]any{"X-Api-Key": "secret"}

	out := e.Execute(t.Context(), stepRequest(map[string]any{"url": srv.URL + "/old", "method": "GET", "headers": headers}))
	if out.Err != nil || out.Output.(map[string]any)["moved"] != true || out.Output.(map[string]any)["key"] != "secret" {
		t.Fatalf("same-host redirect: %+v %+v", out.Output, out.Err)
	}

	out = e.Execute(t.Context(), stepRequest(map[string]any{"url": srv.URL + "/away", "method": "GET", "headers": headers}))
	if out.Err == nil || out.Err.Retryable || out.Err.StatusCode != http.StatusFound || !strings.Contains(out.Err.Message, "302") {
		t.Fatalf("cross-host redirect must fail the step with the 302: %+v", out.Err)
	}
	select {
	case key := <-leaked:
		t.Fatalf("the request followed the redirect to another host with key %q", key)
	default:
	}
}
