package api

import (
	"fmt"
	"net/http"

	"github.com/runbookhq/runbook"
)

// Codes of errors the HTTP layer answers by itself, beside the runbook
// error codes.
const (
	// codeMethodNotAllowed: the path exists, the method does not (405).
	codeMethodNotAllowed = "method_not_allowed"
	// codeClientClosed: the client went away before the answer (499, logged
	// only).
	codeClientClosed = "client_closed_request"
)

// statusClientClosed is nginx's status for a request the client abandoned;
// the client never sees it, the logs and metrics do.
const statusClientClosed = 499

// StatusOf returns the HTTP status of a runbook error code. It is the one
// place where codes become statuses.
func StatusOf(code string) int {
	switch code {
	case runbook.EINVALID, runbook.EUNRESOLVED:
		return http.StatusBadRequest
	case runbook.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case runbook.EFORBIDDEN:
		return http.StatusForbidden
	case runbook.ENOTFOUND:
		return http.StatusNotFound
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case runbook.ECONFLICT, runbook.ESTALE, runbook.ECANCELLED:
		return http.StatusConflict
	case runbook.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case runbook.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case runbook.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case runbook.ETIMEOUT:
		return http.StatusGatewayTimeout
	case codeClientClosed:
		return statusClientClosed
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	// Error is the status text, such as "Not Found".
	Error string `json:"error"`
	// Message says what went wrong; it never holds internals.
	Message string `json:"message"`
	// Code is the machine-readable code (runbook.ENOTFOUND...).
	Code string `json:"code"`
	// Details lists the problems of an invalid input, one per field.
	Details   []runbook.FieldError `json:"details,omitempty"`
	RequestID string               `json:"requestId,omitempty"`
}

// writeError answers err. Internal errors are logged with the request id
// and answered with a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := runbook.ErrorCode(err)
	msg := runbook.ErrorMessage(err)
	reqID := requestIDOf(r)
	if code == runbook.EINTERNAL && r.Context().Err() != nil {
		// The store call failed because the client hung up: not a fault.
		code, msg = codeClientClosed, "the client closed the request"
		s.log.Debug("client closed the request", logRequestID, reqID, logError, err)
	}
	status := StatusOf(code)
	switch {
	case status >= 500 && code == runbook.EINTERNAL:
		s.log.Error("internal error", logRequestID, reqID, logMethod, r.Method, logPath, r.URL.Path, logError, err)
		msg = fmt.Sprintf("internal error (request id %s)", reqID)
	case status >= 500:
		s.log.Warn("request refused", logRequestID, reqID, logError, err)
	}
	body := errorBody{Error: statusText(status), Message: msg, Code: code, RequestID: reqID}
	body.Details = runbook.ErrorDetails(err)
	_ = writeJSON(w, status, body)
}

func statusText(status int) string {
	if status == statusClientClosed {
		return "Client Closed Request"
	}
	return http.StatusText(status)
}

// methodNotAllowed is the error of a request whose path exists with other
// methods.
func methodNotAllowed(r *http.Request, allow string) error {
	return &runbook.Error{Code: codeMethodNotAllowed,
		Message: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)}
}

// unmatchedWriter stands between ServeMux and the client. When the mux
// itself answers 404 or 405 (no endpoint ran), it writes the JSON error
// body instead of the mux's plain text; everything else passes through.
type unmatchedWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	rewrote bool
}

func (u *unmatchedWriter) WriteHeader(code int) {
	if u.rewrote {
		return
	}
	if routeOf(u.r) != "" || (code != http.StatusNotFound && code != http.StatusMethodNotAllowed) {
		u.ResponseWriter.WriteHeader(code)
		return
	}
	u.rewrote = true
	u.ResponseWriter.Header().Del("Content-Type")
	if code == http.StatusNotFound {
		u.s.writeError(u.ResponseWriter, u.r, runbook.Errorf(runbook.ENOTFOUND, "no endpoint %s %s", u.r.Method, u.r.URL.Path))
		return
	}
	u.s.writeError(u.ResponseWriter, u.r, methodNotAllowed(u.r, u.ResponseWriter.Header().Get("Allow")))
}

func (u *unmatchedWriter) Write(b []byte) (int, error) {
	if u.rewrote {
		return len(b), nil // the mux's plain-text body
	}
	return u.ResponseWriter.Write(b)
}

func (u *unmatchedWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }
