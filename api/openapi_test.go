package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/runbookhq/runbook/api"
)

// Every request the tests send through env.http goes through a validator:
// the request is checked against the OpenAPI document (it must conform,
// unless the test marked it with badRequest, in which case it must not:
// the document then describes the constraint the server enforces), and
// the server's real response must be one the document describes for the
// operation (documented status, headers and body schema, timestamps with
// milliseconds included). The exercised operations and statuses are
// recorded; TestMain fails when one the API promises was never seen.

type badRequestKey struct{}

// badRequest marks the requests sent with ctx as violating the document on
// purpose (malformed JSON, an unknown field, a limit out of range...).
func badRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, badRequestKey{}, true)
}

func loadDocument(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// validator is an http.RoundTripper that checks traffic against the
// OpenAPI document.
type validator struct {
	t      *testing.T
	base   http.RoundTripper
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

func newValidator(t *testing.T, baseURL string, base http.RoundTripper) *validator {
	t.Helper()
	doc := loadDocument(t)
	doc.Servers = nil // match paths wherever the test server listens
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &validator{t: t, base: base, doc: doc, router: router, opts: &openapi3filter.Options{
		IncludeResponseStatus: true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.EnableFormatValidation(),
		},
	}}
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	what := req.Method + " " + req.URL.RequestURI()
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		// A CORS preflight is no operation of the API: 204, or 403 with the
		// error body.
		resp, err := v.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body := readAll(v.t, resp)
		switch resp.StatusCode {
		case http.StatusNoContent:
		case http.StatusForbidden:
			v.checkSchema(what, "Error", body)
		default:
			v.t.Errorf("openapi: preflight %s answered %d", what, resp.StatusCode)
		}
		return resp, nil
	}
	route, params, routeErr := v.router.FindRoute(req)
	var input *openapi3filter.RequestValidationInput
	if routeErr == nil {
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(reqBody))
		input = &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route, Options: v.opts}
		err := openapi3filter.ValidateRequest(req.Context(), input)
		bad, _ := req.Context().Value(badRequestKey{}).(bool)
		switch {
		case bad && err == nil:
			v.t.Errorf("openapi: %s was sent as violating the document, but the document allows it", what)
		case !bad && err != nil:
			v.t.Errorf("openapi: request %s does not conform to the document: %s", what, short(err))
		}
	}
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if routeErr != nil {
		// No documented operation: only 404 and 405 in the error shape.
		body := readAll(v.t, resp)
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			v.t.Errorf("openapi: %s is not in the document but answered %d", what, resp.StatusCode)
		}
		v.checkSchema(what, "Error", body)
		record("unrouted", resp.StatusCode)
		return resp, nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode,
		Header: resp.Header, Options: v.opts}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "text/event-stream" {
		// The stream is read by the test; its events are checked there.
		opts := *v.opts
		opts.ExcludeResponseBody = true
		out.Options = &opts
		out.Body = io.NopCloser(strings.NewReader(""))
	} else {
		out.SetBodyBytes(readAll(v.t, resp))
	}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.t.Errorf("openapi: the response %d to %s does not conform to the document: %s", resp.StatusCode, what, short(err))
	}
	record(route.Operation.OperationID, resp.StatusCode)
	return resp, nil
}

// short keeps validation errors readable: they quote the value checked,
// which may be megabytes.
func short(err error) string {
	msg := err.Error()
	if len(msg) > 3000 {
		msg = msg[:3000] + "…"
	}
	return msg
}

// readAll reads a response body and puts it back for the caller.
func readAll(t *testing.T, resp *http.Response) []byte {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Errorf("read response: %v", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// checkSchema validates JSON data against a component schema.
func (v *validator) checkSchema(what, schema string, data []byte) {
	var value any
	if err := json.Unmarshal(data, &value); err != nil {
		v.t.Errorf("openapi: %s: %s is not JSON: %v: %s", what, schema, err, data)
		return
	}
	ref := v.doc.Components.Schemas[schema]
	if ref == nil {
		v.t.Fatalf("openapi: no schema %s", schema)
	}
	if err := ref.Value.VisitJSON(value, openapi3.VisitAsResponse(), openapi3.EnableFormatValidation()); err != nil {
		v.t.Errorf("openapi: %s does not match %s: %s", what, schema, short(err))
	}
}

// coverage records the operations and statuses the tests exercised.
var coverage = struct {
	mu   sync.Mutex
	seen map[string]bool
}{seen: map[string]bool{}}

func record(operation string, status int) {
	coverage.mu.Lock()
	defer coverage.mu.Unlock()
	coverage.seen[fmt.Sprintf("%s %d", operation, status)] = true
}

// promised lists the answers the tests must have seen: every operation's
// success and the error statuses the API promises.
var promised = []string{
	"live 200", "ready 200", "ready 503", "health 200", "openapi 200", "metrics 200",
	"createRunbook 201", "createRunbook 200", "createRunbook 400", "createRunbook 409", "createRunbook 413", "createRunbook 415",
	"listRunbooks 200", "getRunbook 200", "getRunbook 404", "listRunbookVersions 200", "listRunbookVersions 404",
	"startExecution 201", "startExecution 200", "startExecution 400", "startExecution 404", "startExecution 415",
	"listExecutions 200", "listExecutions 400", "getExecution 200", "getExecution 404",
	"pauseExecution 200", "pauseExecution 404", "pauseExecution 409", "resumeExecution 200", "resumeExecution 409",
	"cancelExecution 200", "cancelExecution 409", "retryStep 200", "retryStep 404", "retryStep 409",
	"replayExecution 201", "replayExecution 404", "executionLogs 200", "executionLogs 400", "executionLogs 404",
	"executionEvidence 200", "executionEvidence 404", "executionHistory 200", "executionHistory 400", "executionHistory 404",
	"streamExecution 200", "streamExecution 400", "streamExecution 404",
	"decide 200", "decide 400", "decide 403", "decide 404", "decide 409",
	"pendingApprovals 200", "pendingApprovals 400", "sendEvent 202", "sendEvent 400", "sendEvent 409", "sendEvent 413",
	"unrouted 404", "unrouted 405",
}

// checkCoverage reports the promised answers no test produced.
func checkCoverage() error {
	coverage.mu.Lock()
	defer coverage.mu.Unlock()
	var missing []string
	for _, p := range promised {
		if !coverage.seen[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("the tests never checked these answers against the OpenAPI document: %s", strings.Join(missing, ", "))
	}
	return nil
}

func TestOpenAPIDocumentDescribesEveryOperation(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	ops := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s %s has no operationId or summary", method, path)
			}
			ops[op.OperationID] = true
			for code, resp := range op.Responses.Map() {
				if code != "200" && code != "201" && code != "202" {
					content := resp.Value.Content.Get("application/json")
					if content == nil || content.Schema == nil {
						t.Errorf("%s %s: %s has no JSON body", method, path, code)
					}
				}
			}
		}
	}
	for _, p := range promised {
		op, _, _ := strings.Cut(p, " ")
		if op != "unrouted" && !ops[op] {
			t.Errorf("operation %s is not in the document", op)
		}
	}
	// The document the server serves is the embedded one.
	e := newEnv(t)
	served, err := e.c.OpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served, api.OpenAPI()) {
		t.Fatal("GET /api/v1/openapi.json does not serve openapi.json")
	}
}
