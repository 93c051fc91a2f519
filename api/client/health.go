package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Health is the answer of GET /api/v1/health.
type Health struct {
	Status    string    `json:"status"`
	Version   string    `json:"version"`
	Timestamp time.Time `json:"timestamp"`
	// Build is the server's build version.
	Build string `json:"build,omitempty"`
}

// Health asks the server how it is.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var out Health
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/health"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Live reports whether the server answers at all (GET /health/live).
func (c *Client) Live(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/health/live"}, nil)
	return err
}

// Ready reports whether the server's store answers (GET /health/ready); a
// runbook.EUNAVAILABLE error when it does not.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/health/ready"}, nil)
	return err
}

// OpenAPI returns the server's OpenAPI document.
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/api/v1/openapi.json"})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
