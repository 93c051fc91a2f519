package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/runbookhq/runbook"
)

// envelope is embedded in every success body.
type envelope struct {
	Version string `json:"version"`
}

func v1() envelope { return envelope{Version: APIVersion} }

// reply writes a success response (or, if v cannot be encoded, a logged
// 500). Endpoints return nil after it.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any) error {
	if err := writeJSON(w, status, v); err != nil {
		s.log.Error("encode response", logRequestID, requestIDOf(r), logPath, r.URL.Path, logError, err)
	}
	return nil
}

// writeJSON writes v as the JSON body of a response with the given status.
// If v cannot be encoded (response shapes are ours: only a value that is
// not JSON, such as a NaN in a step output, gets there), it answers 500
// and returns the encoding error.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	if err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(errorBody{Error: http.StatusText(status), Code: runbook.EINTERNAL,
			Message: "the response could not be encoded as JSON"})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return err
}
