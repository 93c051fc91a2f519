package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/runbookhq/runbook"
)

// RunbookSummary is one stored version of a runbook, without its steps.
type RunbookSummary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	StepCount   int       `json:"stepCount"`
	CreatedAt   time.Time `json:"createdAt"`
	Hash        string    `json:"hash"`
}

// PutRunbookResult is the answer to PutRunbook.
type PutRunbookResult struct {
	Runbook *runbook.Runbook `json:"runbook"`
	// Hash is the sha256 of the stored canonical definition.
	Hash string `json:"hash"`
	// CreatedAt is when this version was first stored.
	CreatedAt time.Time `json:"createdAt"`
	// Created is false when the same content was already stored.
	Created bool `json:"created"`
}

// PutRunbook stores a definition. contentType is "application/json" or
// "application/yaml" (or another YAML media type). Re-sending the same
// content is accepted (Created false); other content under a stored id and
// version is a runbook.ECONFLICT error, an invalid definition a
// runbook.EINVALID error whose Details list every problem.
func (c *Client) PutRunbook(ctx context.Context, definition []byte, contentType string) (*PutRunbookResult, error) {
	if definition == nil {
		definition = []byte{}
	}
	var out PutRunbookResult
	status, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/runbooks", raw: definition, contentType: contentType}, &out)
	if err != nil {
		return nil, err
	}
	out.Created = status == http.StatusCreated
	return &out, nil
}

// ListRunbooks returns the latest version of every runbook, by id.
func (c *Client) ListRunbooks(ctx context.Context) ([]RunbookSummary, error) {
	var out struct {
		Runbooks []RunbookSummary `json:"runbooks"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/runbooks"}, &out); err != nil {
		return nil, err
	}
	return out.Runbooks, nil
}

// GetRunbook returns a stored definition; an empty version means the
// latest.
func (c *Client) GetRunbook(ctx context.Context, id, version string) (*runbook.Runbook, error) {
	var q url.Values
	if version != "" {
		q = url.Values{"version": {version}}
	}
	var out struct {
		Runbook *runbook.Runbook `json:"runbook"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/runbooks" + pathOf(id), query: q}, &out); err != nil {
		return nil, err
	}
	return out.Runbook, nil
}

// ListRunbookVersions returns every stored version of a runbook, oldest
// first.
func (c *Client) ListRunbookVersions(ctx context.Context, id string) ([]RunbookSummary, error) {
	var out struct {
		Versions []RunbookSummary `json:"versions"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/runbooks" + pathOf(id, "versions")}, &out); err != nil {
		return nil, err
	}
	return out.Versions, nil
}
