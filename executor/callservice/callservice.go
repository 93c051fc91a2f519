package callservice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
)

// DefaultMaxResponseBytes is the largest response body read when neither the
// options nor the step's config set a limit.
const DefaultMaxResponseBytes = 10 << 20

// DefaultUserAgent is the User-Agent sent when the options name none.
const DefaultUserAgent = "runbook"

// defaultTimeout bounds an attempt when neither the config nor the engine
// sets a timeout.
const defaultTimeout = runbook.DefaultStepTimeoutMs * time.Millisecond

// Options configures an Executor.
type Options struct {
	// Client sends the requests; nil builds one with a transport tuned for
	// many concurrent calls to few hosts.
	Client *http.Client
	// MaxResponseBytes limits the body read from a response (default
	// DefaultMaxResponseBytes); a step's maxResponseBytes overrides it.
	MaxResponseBytes int64
	// UserAgent is sent with every request (default DefaultUserAgent).
	UserAgent string
}

// Executor runs call-service steps. It is safe for concurrent use.
type Executor struct {
	client    *http.Client
	maxBytes  int64
	userAgent string
}

var _ runbook.Executor = (*Executor)(nil)

// New returns an Executor configured by opts.
func New(opts Options) *Executor {
	e := &Executor{client: opts.Client, maxBytes: opts.MaxResponseBytes, userAgent: opts.UserAgent}
	if e.client == nil {
		e.client = newClient()
	}
	if e.maxBytes <= 0 {
		e.maxBytes = DefaultMaxResponseBytes
	}
	if e.userAgent == "" {
		e.userAgent = DefaultUserAgent
	}
	return e
}

// newClient returns a client whose transport keeps enough idle connections
// for hundreds of concurrent steps calling the same few services, and that
// follows redirects only within the same scheme and host (see
// sameHostRedirects).
func newClient() *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{CheckRedirect: sameHostRedirects, Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

// sameHostRedirects follows at most 10 redirects, and none to another
// scheme or host: net/http forwards a step's custom headers (API keys such
// as X-Api-Key) on redirects, and a service must not be able to send them
// elsewhere. The redirect response is then the step's answer: a 3xx, which
// fails the attempt without retry and says where it pointed.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after 10 redirects")
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// Execute sends the step's request and turns the response into an outcome.
func (e *Executor) Execute(ctx context.Context, req *runbook.StepRequest) *runbook.Outcome {
	cfg, target, fail := parseConfig(req.Config)
	if fail != nil {
		return &runbook.Outcome{Err: fail}
	}
	limit := e.maxBytes
	if cfg.MaxResponseBytes > 0 {
		limit = cfg.MaxResponseBytes
	}
	timeout := attemptTimeout(cfg, req)
	attemptCtx, cancel := context.WithTimeoutCause(ctx, timeout, errAttemptTimeout)
	defer cancel()

	c := &call{req: req, cfg: cfg, method: strings.ToUpper(cfg.Method), url: target.Redacted()}
	httpReq, err := e.newRequest(attemptCtx, c, target)
	if err != nil {
		return &runbook.Outcome{Err: &runbook.StepError{
			Message: fmt.Sprintf("build request to %s: %v", c.url, err),
			Code:    runbook.EINVALID,
		}}
	}
	start := time.Now()
	resp, err := e.client.Do(httpReq)
	if err != nil {
		return c.transportFailure(ctx, attemptCtx, err, timeout, time.Since(start))
	}
	defer func() { _ = resp.Body.Close() }()
	body, tooLarge, err := readBody(resp, limit)
	if err != nil {
		return c.transportFailure(ctx, attemptCtx, err, timeout, time.Since(start))
	}
	return c.responseOutcome(resp, body, tooLarge, limit, time.Since(start))
}

// errAttemptTimeout is the cause of the attempt context's cancellation when
// the attempt's own timeout passes.
var errAttemptTimeout = errors.New("attempt timed out")

// attemptTimeout is the step's timeoutMs, else the engine's attempt timeout,
// else the default.
func attemptTimeout(cfg *runbook.CallServiceConfig, req *runbook.StepRequest) time.Duration {
	switch {
	case cfg.TimeoutMs > 0:
		return time.Duration(cfg.TimeoutMs) * time.Millisecond
	case req.Timeout > 0:
		return req.Timeout
	}
	return defaultTimeout
}

// parseConfig decodes and checks the rendered config. The failure it returns
// is never retryable: the same config fails the same way every time.
func parseConfig(m map[string]any) (*runbook.CallServiceConfig, *url.URL, *runbook.StepError) {
	invalid := func(format string, args ...any) *runbook.StepError {
		return &runbook.StepError{Message: fmt.Sprintf(format, args...), Code: runbook.EINVALID}
	}
	cfg, err := decodeConfig(m)
	if err != nil {
		return nil, nil, invalid("invalid call-service config: %v", err)
	}
	if p := strings.ToLower(cfg.Protocol); p != "" && p != "http" {
		return nil, nil, &runbook.StepError{
			Message: fmt.Sprintf("protocol %q is not supported", cfg.Protocol),
			Code:    runbook.EUNSUPPORTED,
		}
	}
	if cfg.URL == "" {
		return nil, nil, invalid("missing required config: url")
	}
	if cfg.Method == "" {
		return nil, nil, invalid("missing required config: method")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, nil, invalid("invalid url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, invalid("invalid url %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, nil, invalid("invalid url %q: no host", u.Redacted())
	}
	if len(cfg.Query) > 0 {
		q := u.Query()
		for k, v := range cfg.Query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	return cfg, u, nil
}

// stringifyHeaders returns m with the values of its headers turned into
// strings when rendering made them numbers or booleans (a header set to
// "{input.count}"), so that they decode. m itself is not changed.
func stringifyHeaders(m map[string]any) map[string]any {
	return stringifyValues(stringifyValues(m, "headers"), "query")
}

// stringifyValues returns m with the values of the map under key turned
// into strings when they are numbers or booleans.
func stringifyValues(m map[string]any, key string) map[string]any {
	h, ok := m[key].(map[string]any)
	if !ok {
		return m
	}
	fixed := make(map[string]any, len(h))
	changed := false
	for k, v := range h {
		switch v.(type) {
		case float64, float32, int, int64, int32, uint, uint64, uint32, bool:
			fixed[k] = fmt.Sprint(v)
			changed = true
		default:
			fixed[k] = v
		}
	}
	if !changed {
		return m
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	out[key] = fixed
	return out
}
