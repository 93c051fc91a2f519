package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

func TestErrorsCarryTheServerCode(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/executions/x":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":"Conflict","message":"execution x is completed","code":"conflict","requestId":"r1"}`))
		case "/api/v1/runbooks":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"Bad Request","message":"invalid runbook: 2 problems","code":"invalid",` +
				`"details":[{"field":"steps[a].config.url","message":"missing"},{"field":"id","message":"required"}]}`))
		default:
			w.Header().Set("X-Request-Id", "proxy-9")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>\n<body>502 Bad Gateway</body></html>"))
		}
	}))
	defer srv.Close()
	c := client.New(srv.URL+"/", srv.Client())
	ctx := context.Background()

	_, err := c.GetExecution(ctx, "x")
	var he *client.HTTPError
	if runbook.ErrorCode(err) != runbook.ECONFLICT || runbook.ErrorMessage(err) != "execution x is completed" ||
		!errors.As(err, &he) || he.StatusCode != 409 || he.RequestID != "r1" || client.StatusCode(err) != 409 {
		t.Fatalf("conflict: %v", err)
	}
	_, err = c.PutRunbook(ctx, []byte("{}"), "application/json")
	if d := runbook.ErrorDetails(err); runbook.ErrorCode(err) != runbook.EINVALID || len(d) != 2 || d[0].Field != "steps[a].config.url" {
		t.Fatalf("validation details: %v %v", err, d)
	}
	_, err = c.ListRunbookVersions(ctx, "y")
	if runbook.ErrorCode(err) != runbook.EUNAVAILABLE || !strings.Contains(err.Error(), "502") || client.StatusCode(err) != 502 ||
		!errors.As(err, &he) || he.RequestID != "proxy-9" {
		t.Fatalf("a proxy's page: %v", err)
	}
}

func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = client.New("http://"+addr, nil).ListRunbooks(context.Background())
	if runbook.ErrorCode(err) != runbook.EUNAVAILABLE || !strings.Contains(err.Error(), "cannot reach the runbook server at http://"+addr) {
		t.Fatalf("unreachable: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = client.New("http://"+addr, nil).ListRunbooks(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestCodeOf(t *testing.T) {
	t.Parallel()
	for status, code := range map[int]string{400: runbook.EINVALID, 401: runbook.EUNAUTHORIZED, 403: runbook.EFORBIDDEN,
		404: runbook.ENOTFOUND, 409: runbook.ECONFLICT, 413: runbook.ETOOLARGE, 415: runbook.EUNSUPPORTED,
		503: runbook.EUNAVAILABLE, 504: runbook.ETIMEOUT, 500: runbook.EINTERNAL, 418: runbook.EINTERNAL} {
		if got := client.CodeOf(status); got != code {
			t.Errorf("CodeOf(%d) = %s, want %s", status, got, code)
		}
	}
}
