package api

import (
	"context"
	"net/http"
	"time"

	"github.com/runbookhq/runbook"
)

// readyTimeout bounds the store ping of a readiness check.
const readyTimeout = 2 * time.Second

type statusResponse struct {
	envelope
	Status string `json:"status"`
}

type healthResponse struct {
	envelope
	Status    string `json:"status"`
	Timestamp msTime `json:"timestamp"`
	// Build is the server's build version.
	Build string `json:"build,omitempty"`
}

// live answers as long as the process serves requests.
func (s *Server) live(w http.ResponseWriter, r *http.Request) error {
	return s.reply(w, r, http.StatusOK, statusResponse{envelope: v1(), Status: "alive"})
}

// readyUnavailable is the 503 body of /health/ready: the error body with
// the status field of the ready answer.
type readyUnavailable struct {
	errorBody
	Status string `json:"status"`
}

// ready answers 200 when the store answers, 503 otherwise.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.cfg.Store.Ping(ctx); err != nil {
			s.log.Warn("not ready: the store does not answer", logRequestID, requestIDOf(r), logError, err)
			status := http.StatusServiceUnavailable
			_ = writeJSON(w, status, readyUnavailable{Status: "unavailable", errorBody: errorBody{
				Error: http.StatusText(status), Code: runbook.EUNAVAILABLE, Message: "the store does not answer",
				RequestID: requestIDOf(r)}})
			return nil
		}
	}
	return s.reply(w, r, http.StatusOK, statusResponse{envelope: v1(), Status: "ready"})
}

// health is the previous engine's health endpoint.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return s.reply(w, r, http.StatusOK, healthResponse{envelope: v1(), Status: "ok",
		Timestamp: msTime(s.cfg.Clock.Now()), Build: s.cfg.Version})
}
