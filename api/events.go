package api

import (
	"net/http"
	"strings"

	"github.com/runbookhq/runbook/engine"
)

// eventRequest is the body of POST /api/v1/events.
type eventRequest struct {
	// ID makes the delivery idempotent: the same id twice is a 409.
	ID            string `json:"id"`
	Type          string `json:"type"`
	CorrelationID string `json:"correlationId"`
	TenantID      string `json:"tenantId"`
	Payload       any    `json:"payload"`
}

type eventResponse struct {
	envelope
	EventID string `json:"eventId"`
	// Matched is how many waiting steps the event completed.
	Matched int `json:"matched"`
}

// sendEvent delivers an external event to the steps waiting for it.
func (s *Server) sendEvent(w http.ResponseWriter, r *http.Request) error {
	var req eventRequest
	if err := s.decodeJSON(r, &req, true); err != nil {
		return err
	}
	if strings.TrimSpace(req.Type) == "" {
		return invalidField("type", "is required")
	}
	id, matched, err := s.eng.SendEvent(r.Context(), engine.EventRequest{ID: req.ID, Type: req.Type,
		CorrelationID: req.CorrelationID, TenantID: req.TenantID, Payload: req.Payload})
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusAccepted, eventResponse{envelope: v1(), EventID: id, Matched: matched})
}
