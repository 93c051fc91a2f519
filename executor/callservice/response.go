package callservice

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/runbookhq/runbook"
)

// excerptBytes is how much of an error response's body a failure quotes.
const excerptBytes = 200

// readBody reads at most limit bytes of the response body. tooLarge reports
// that the body had more.
func readBody(resp *http.Response, limit int64) (body []byte, tooLarge bool, err error) {
	body, err = readAll(io.LimitReader(resp.Body, limit+1), resp.ContentLength)
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		return body[:limit], true, nil
	}
	return body, false, nil
}

// readAll is io.ReadAll with a first buffer of the size the response
// declared (size < 0: unknown) instead of 512 bytes, most of which a small
// JSON answer leaves unused.
func readAll(r io.Reader, size int64) ([]byte, error) {
	first := int64(512)
	if size >= 0 && size < first {
		first = size + 1 // room to see the end of the body without growing
	}
	b := make([]byte, 0, first)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next size
		}
	}
}

// responseOutcome turns a received response into the attempt's outcome.
func (c *call) responseOutcome(resp *http.Response, body []byte, tooLarge bool, limit int64, took time.Duration) *runbook.Outcome {
	code := resp.StatusCode
	ok := code >= 200 && code < 300
	level := runbook.LogInfo
	if !ok {
		level = runbook.LogWarn
	}
	out := &runbook.Outcome{Logs: []runbook.StepLog{{
		Time:    c.req.Now,
		Level:   level,
		Message: fmt.Sprintf("%s %s -> %s in %dms", c.method, c.url, statusText(code), took.Milliseconds()),
		Metadata: map[string]any{
			"method":        c.method,
			"url":           c.url,
			"statusCode":    code,
			"durationMs":    took.Milliseconds(),
			"responseBytes": len(body),
		},
	}}}
	if !ok {
		out.Err = &runbook.StepError{
			Message:    c.statusMessage(code, body),
			Retryable:  retryableStatus(code),
			StatusCode: code,
		}
		if out.Err.Retryable {
			out.Err.RetryAfterMs = retryAfterMs(resp.Header.Get("Retry-After"), c.now())
		}
		return out
	}
	if tooLarge {
		out.Err = &runbook.StepError{
			Message:    fmt.Sprintf("response body exceeds %d bytes", limit),
			Code:       runbook.ETOOLARGE,
			StatusCode: code,
		}
		return out
	}
	output, isJSON := decodeOutput(body)
	if output != nil && !isJSON && isJSONMediaType(resp.Header.Get("Content-Type")) {
		out.Logs = append(out.Logs, runbook.StepLog{
			Time:  c.req.Now,
			Level: runbook.LogWarn,
			Message: fmt.Sprintf("%s %s: response declared %s but is not valid JSON; keeping it as text",
				c.method, c.url, resp.Header.Get("Content-Type")),
		})
	}
	out.Output = output
	if ev := c.cfg.Evidence; ev != nil {
		out.Evidence = []runbook.Evidence{c.evidence(ev, body)}
	}
	return out
}

// now is the engine's time of the attempt, or the wall clock when the
// request carries none.
func (c *call) now() time.Time {
	if c.req.Now.IsZero() {
		return time.Now()
	}
	return c.req.Now
}

// statusMessage is the failure message of a non-2xx response, quoting the
// start of its body.
func (c *call) statusMessage(code int, body []byte) string {
	msg := fmt.Sprintf("HTTP %s from %s %s", statusText(code), c.method, c.url)
	if ex := excerpt(body, excerptBytes); ex != "" {
		msg += ": " + ex
	}
	return msg
}

// evidence records the response body as an evidence item.
func (c *call) evidence(cfg *runbook.EvidenceConfig, body []byte) runbook.Evidence {
	sum := sha256.Sum256(body)
	ev := runbook.Evidence{
		ID:         uuid.NewString(),
		Type:       cfg.Type,
		SourceRef:  cfg.SourceRef,
		Timestamp:  c.req.Now,
		Confidence: cfg.Confidence,
		SHA256:     hex.EncodeToString(sum[:]),
	}
	if ev.SourceRef == "" {
		ev.SourceRef = c.url
	}
	if ev.Confidence == 0 {
		ev.Confidence = 1
	}
	return ev
}

// retryableStatus reports whether a failed status may succeed when asked
// again: timeouts, throttling and server errors.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500 && code < 600
}

// statusText is "503 Service Unavailable", or the bare code when it has no
// standard text.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// excerpt is at most n bytes of body, cut on a character boundary, trimmed,
// and valid UTF-8.
func excerpt(body []byte, n int) string {
	if len(body) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	return strings.ToValidUTF8(strings.TrimSpace(string(body)), "\uFFFD")
}

// decodeOutput is the step's output for a response body: its decoded value
// when it is JSON, else the body as text, and nil when the body is empty.
// isJSON reports whether the body was decoded as JSON.
func decodeOutput(body []byte) (output any, isJSON bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		return v, true
	}
	// Text is kept valid UTF-8 so that the output is the same before and
	// after it is stored as JSON.
	return strings.ToValidUTF8(string(body), "\uFFFD"), false
}

// isJSONMediaType reports whether a Content-Type names JSON:
// application/json, application/problem+json, text/json and the like.
func isJSONMediaType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}
