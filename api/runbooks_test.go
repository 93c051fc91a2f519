package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

const contactJSON = `{
  "id": "contact",
  "name": "Contact the owner",
  "version": "1.0.0",
  "description": "calls one service",
  "steps": [{"id": "call", "type": "call-service", "config": {"url": "http://127.0.0.1:1/ok", "method": "POST"}}]
}`

const contactYAMLv2 = `
id: contact
name: Contact the owner
version: 2.0.0
steps:
  - {id: call, type: call-service, config: {url: "http://127.0.0.1:1/ok", method: POST}}
  - {id: again, type: call-service, dependsOn: [call], config: {url: "http://127.0.0.1:1/ok", method: POST}}
`

func TestRunbooksStoreAndRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	status, _, body := e.call(ctx, "POST", "/api/v1/runbooks", "application/json", contactJSON)
	if status != http.StatusCreated || body["version"] != "v1" || body["hash"] == "" || body["createdAt"] == nil {
		t.Fatalf("first store: %d %v", status, body)
	}
	if rb := body["runbook"].(map[string]any); rb["id"] != "contact" || rb["version"] != "1.0.0" || len(rb["steps"].([]any)) != 1 {
		t.Fatalf("stored runbook %v", rb)
	}
	firstHash := body["hash"]

	// The same content again is accepted and changes nothing.
	status, _, body = e.call(ctx, "POST", "/api/v1/runbooks", "application/json; charset=utf-8", contactJSON)
	if status != http.StatusOK || body["hash"] != firstHash {
		t.Fatalf("same content again: %d %v", status, body)
	}

	// A new version, in YAML, is stored beside the first.
	for i, ct := range []string{"application/yaml", "application/x-yaml", "text/yaml"} {
		status, _, body = e.call(ctx, "POST", "/api/v1/runbooks", ct, contactYAMLv2)
		want := http.StatusOK
		if i == 0 {
			want = http.StatusCreated
		}
		if status != want {
			t.Fatalf("YAML as %s: %d %v", ct, status, body)
		}
	}

	list, err := e.c.ListRunbooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "contact" || list[0].Version != "2.0.0" || list[0].StepCount != 2 || list[0].Name != "Contact the owner" {
		t.Fatalf("list shows the latest version of each runbook: %+v", list)
	}
	latest, err := e.c.GetRunbook(ctx, "contact", "")
	if err != nil || latest.Version != "2.0.0" {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	first, err := e.c.GetRunbook(ctx, "contact", "1.0.0")
	if err != nil || first.Version != "1.0.0" || first.Description != "calls one service" {
		t.Fatalf("version 1.0.0: %+v %v", first, err)
	}
	versions, err := e.c.ListRunbookVersions(ctx, "contact")
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].Version != "1.0.0" || versions[1].Version != "2.0.0" || versions[0].Hash != firstHash {
		t.Fatalf("versions oldest first: %+v", versions)
	}
	if versions[0].CreatedAt.IsZero() || versions[1].CreatedAt.Before(versions[0].CreatedAt) {
		t.Fatalf("creation times: %+v", versions)
	}
}

func TestRunbooksErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.c.PutRunbook(ctx, []byte(contactJSON), "application/json"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		contentType string
		body        string
		bad         bool // violates the OpenAPI document
		status      int
		code        string
		details     []string // substrings of the details' fields
	}{
		{"different content for a stored version", "application/json", strings.Replace(contactJSON, "calls one service", "changed", 1), false,
			http.StatusConflict, runbook.ECONFLICT, nil},
		{"invalid definition lists every problem", "application/yaml", `
id: broken
version: "1"
steps:
  - {id: call, type: call-service, config: {method: GET}}
  - {id: ask, type: human-approval, approvalConfig: {approvers: [a], minApprovals: 3}}
`, false, http.StatusBadRequest, runbook.EINVALID, []string{"steps[call].config.url", "steps[ask]"}},
		{"unknown field", "application/json", `{"id": "x", "version": "1", "steps": [], "stepz": []}`, false,
			http.StatusBadRequest, runbook.EINVALID, []string{"stepz"}},
		{"malformed JSON", "application/json", `{"id": "x", "version": `, true, http.StatusBadRequest, runbook.EINVALID, nil},
		{"empty body", "application/json", ``, true, http.StatusBadRequest, runbook.EINVALID, nil},
		{"text/plain", "text/plain", contactJSON, true, http.StatusUnsupportedMediaType, runbook.EUNSUPPORTED, nil},
		{"form content type", "application/x-www-form-urlencoded", "id=x", true, http.StatusUnsupportedMediaType, runbook.EUNSUPPORTED, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			ctx := context.Background()
			if c.bad {
				ctx = badRequest(ctx)
			}
			status, _, body := e.call(ctx, "POST", "/api/v1/runbooks", c.contentType, c.body)
			wantError(t, status, body, c.status, c.code)
			details, _ := body["details"].([]any)
			for _, want := range c.details {
				found := false
				for _, d := range details {
					if strings.Contains(d.(map[string]any)["field"].(string), want) {
						found = true
					}
				}
				if !found {
					t.Errorf("details lack %q: %v", want, details)
				}
			}
			if c.details == nil && details != nil && c.code != runbook.EINVALID {
				t.Errorf("details on a non-validation error: %v", details)
			}
		})
	}

	for _, path := range []string{"/api/v1/runbooks/ghost", "/api/v1/runbooks/contact?version=9.9.9", "/api/v1/runbooks/ghost/versions"} {
		status, _, body := e.call(ctx, "GET", path, "", "")
		wantError(t, status, body, http.StatusNotFound, runbook.ENOTFOUND)
	}
	_, err := e.c.GetRunbook(ctx, "ghost", "")
	wantCode(t, err, runbook.ENOTFOUND)
}
