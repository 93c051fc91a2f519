// Package client is the Go client of the runbook REST API (package api):
// one method per endpoint, typed values in and out. Errors the server
// answers come back as *runbook.Error with the server's code ("not_found",
// "conflict", ...), message and field details, so callers branch on
// runbook.ErrorCode exactly as they would in-process; the HTTP status and
// request id are in the error's cause, an *HTTPError. A server that cannot
// be reached is a runbook.EUNAVAILABLE error.
//
// The CLI's client commands (runbook runbooks|executions|approve|...) and
// the end-to-end tests are built on it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/runbookhq/runbook"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

// Client calls one runbook server. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client
	user string
}

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:3000"). httpClient may be nil for http.DefaultClient; a
// client with a Timeout also cuts event streams off after that time.
func New(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: httpClient}
}

// WithUser returns a copy of the client that sends userID in the
// X-User-Id header: the user the server records as the actor of starts,
// lifecycle operations and decisions that do not name one.
func (c *Client) WithUser(userID string) *Client {
	cp := *c
	cp.user = userID
	return &cp
}

// BaseURL returns the server's base URL.
func (c *Client) BaseURL() string { return c.base }

// HTTPError is the cause of an error the server answered: its status and
// the id of the request in the server's logs.
type HTTPError struct {
	StatusCode int
	// Summary is the body's "error" (the status text).
	Summary   string
	RequestID string
}

// Error returns the status and the request id.
func (e *HTTPError) Error() string {
	if e.RequestID != "" {
		return fmt.Sprintf("HTTP %d %s (request id %s)", e.StatusCode, e.Summary, e.RequestID)
	}
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, e.Summary)
}

// StatusCode returns the HTTP status of an error the server answered, or 0.
func StatusCode(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// request is one call to the server.
type request struct {
	method string
	path   string
	query  url.Values
	// body is encoded as JSON unless raw is set.
	body        any
	raw         []byte
	contentType string
	header      http.Header
}

// do sends req and decodes a success body into out (when not nil). It
// returns the HTTP status.
func (c *Client) do(ctx context.Context, req request, out any) (int, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode response: %w", req.method, req.path, err)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	return resp.StatusCode, nil
}

// send sends req and returns a 2xx response, or the error the server
// answered.
func (c *Client) send(ctx context.Context, req request) (*http.Response, error) {
	u := c.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	contentType := req.contentType
	switch {
	case req.raw != nil:
		body = bytes.NewReader(req.raw)
	case req.body != nil:
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
		contentType = "application/json"
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, runbook.Errorf(runbook.EINVALID, "bad server URL %q: %v", c.base, err)
	}
	for k, vs := range req.header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	if c.user != "" && hr.Header.Get("X-User-Id") == "" {
		hr.Header.Set("X-User-Id", c.user)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", req.method, req.path, ctx.Err())
		}
		return nil, &runbook.Error{Code: runbook.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("cannot reach the runbook server at %s: %s", c.base, transportReason(err))}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// transportReason is the short cause of a failed round trip.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "dial") {
		return msg[i+2:]
	}
	return msg
}

// errorBody is the server's error body.
type errorBody struct {
	Error     string               `json:"error"`
	Message   string               `json:"message"`
	Code      string               `json:"code"`
	Details   []runbook.FieldError `json:"details"`
	RequestID string               `json:"requestId"`
}

// decodeError turns an error response into a *runbook.Error.
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body errorBody
	if json.Unmarshal(data, &body) != nil || body.Message == "" {
		// Not our server's error body (a proxy's page): keep its first line.
		text := strings.TrimSpace(string(data))
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[:i]
		}
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		body.Message = fmt.Sprintf("the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if text != "" {
			body.Message += ": " + text
		}
	}
	if body.Code == "" {
		body.Code = CodeOf(resp.StatusCode)
	}
	if body.Error == "" {
		body.Error = http.StatusText(resp.StatusCode)
	}
	if body.RequestID == "" {
		body.RequestID = resp.Header.Get("X-Request-Id")
	}
	return &runbook.Error{Code: body.Code, Message: body.Message, Details: body.Details,
		Err: &HTTPError{StatusCode: resp.StatusCode, Summary: body.Error, RequestID: body.RequestID}}
}

// CodeOf returns the runbook error code of an HTTP status, for answers that
// carry none: the inverse of the server's mapping.
func CodeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return runbook.EINVALID
	case http.StatusUnauthorized:
		return runbook.EUNAUTHORIZED
	case http.StatusForbidden:
		return runbook.EFORBIDDEN
	case http.StatusNotFound:
		return runbook.ENOTFOUND
	case http.StatusConflict:
		return runbook.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return runbook.ETOOLARGE
	case http.StatusUnsupportedMediaType:
		return runbook.EUNSUPPORTED
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return runbook.EUNAVAILABLE
	case http.StatusGatewayTimeout:
		return runbook.ETIMEOUT
	}
	return runbook.EINTERNAL
}

// pathOf joins escaped path segments.
func pathOf(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
