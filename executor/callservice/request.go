package callservice

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/runbookhq/runbook"
)

// Headers the executor sets on every request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTenantID       = "X-Tenant-Id"
	HeaderInitiatedBy    = "X-Initiated-By"
	HeaderExecutionID    = "X-Execution-Id"
	HeaderStepID         = "X-Runbook-Step-Id"
	HeaderAttempt        = "X-Runbook-Attempt"
)

// DefaultAccept is the Accept header sent unless the step's headers set one.
const DefaultAccept = "application/json, */*;q=0.5"

// call is one attempt in flight: what the outcome's messages and logs name.
type call struct {
	req    *runbook.StepRequest
	cfg    *runbook.CallServiceConfig
	method string
	// url is the target with any password redacted, for messages and logs.
	url string
}

// newRequest builds the HTTP request of an attempt.
func (e *Executor) newRequest(ctx context.Context, c *call, target *url.URL) (*http.Request, error) {
	body, contentType, err := requestBody(c.cfg.Body)
	if err != nil {
		return nil, err
	}
	// The target was parsed once, from the config: the request takes it
	// as it is instead of printing and parsing it again (NewRequest would).
	r, err := http.NewRequestWithContext(ctx, c.method, "", body)
	if err != nil {
		return nil, err
	}
	target.Host = strings.TrimSuffix(target.Host, ":") // an empty port, as NewRequest drops it
	r.URL, r.Host = target, target.Host
	// Accept, User-Agent and Content-Type are defaults the step may override;
	// the identity headers below are not, so that a definition cannot speak
	// for another tenant or reuse another step's idempotency key.
	//
	// The map is sized exactly (up to 8 entries fit a map's smallest
	// layout: one allocation, half the bytes of the next), and the keys
	// set here, already canonical, share one array of values: at most the
	// 3 defaults and the 6 identity headers.
	n := 8 + len(c.cfg.Headers)
	if contentType != "" {
		n++
	}
	h := make(http.Header, n)
	values := make([]string, 0, 9)
	set := func(key, value string) {
		values = append(values, value)
		h[key] = values[len(values)-1 : len(values) : len(values)]
	}
	set("Accept", DefaultAccept)
	set("User-Agent", e.userAgent)
	if contentType != "" {
		set("Content-Type", contentType)
	}
	for k, v := range c.cfg.Headers {
		h.Set(k, v)
	}
	key := c.cfg.IdempotencyKey
	if key == "" {
		key = c.req.IdempotencyKey
	}
	for _, id := range [...]struct{ key, value string }{
		{HeaderIdempotencyKey, key},
		{HeaderTenantID, c.req.Context.TenantID},
		{HeaderInitiatedBy, c.req.Context.InitiatedBy},
		{HeaderExecutionID, c.req.ExecutionID},
		{HeaderStepID, c.req.StepID},
		{HeaderAttempt, strconv.Itoa(c.req.Attempt)},
	} {
		if id.value == "" {
			delete(h, id.key)
			continue
		}
		set(id.key, id.value)
	}
	r.Header = h
	return r, nil
}

// requestBody encodes the config's body: none for nil, a string as it is,
// anything else as JSON. It returns the body's default Content-Type.
func requestBody(v any) (io.Reader, string, error) {
	switch b := v.(type) {
	case nil:
		return nil, "", nil
	case string:
		return bytes.NewReader([]byte(b)), "text/plain; charset=utf-8", nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, "", fmt.Errorf("encode body: %w", err)
	}
	return bytes.NewReader(data), "application/json", nil
}
