package api

import (
	"net/http"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/spec"
)

type runbookResponse struct {
	envelope
	Runbook runbookView `json:"runbook"`
}

type createRunbookResponse struct {
	envelope
	Runbook runbookView `json:"runbook"`
	// Hash is the sha256 of the stored canonical definition.
	Hash string `json:"hash"`
	// CreatedAt is when this version was first stored.
	CreatedAt msTime `json:"createdAt"`
}

type runbookListResponse struct {
	envelope
	Count    int              `json:"count"`
	Runbooks []runbookSummary `json:"runbooks"`
}

type runbookVersionsResponse struct {
	envelope
	RunbookID string           `json:"runbookId"`
	Count     int              `json:"count"`
	Versions  []runbookSummary `json:"versions"`
}

// createRunbook stores a definition sent as JSON or YAML: 201 when the
// version is new, 200 when the same content was stored before, 409 when
// other content is stored under the same id and version.
func (s *Server) createRunbook(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(r)
	if err != nil {
		return err
	}
	if body == nil {
		return runbook.Errorf(runbook.EINVALID, "the request needs a body: a runbook definition in JSON or YAML")
	}
	ct := r.Header.Get("Content-Type")
	format, ok := spec.FormatOf("", ct)
	if !ok {
		if ct == "" {
			return runbook.Errorf(runbook.EUNSUPPORTED, "the request body has no Content-Type; send application/json or application/yaml")
		}
		return runbook.Errorf(runbook.EUNSUPPORTED, "Content-Type %q is not supported here; send application/json or application/yaml", ct)
	}
	rb, err := spec.Parse(body, format)
	if err != nil {
		return err
	}
	rec, created, err := s.eng.PutRunbook(r.Context(), rb)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return s.reply(w, r, status, createRunbookResponse{envelope: v1(), Runbook: viewRunbook(rb), Hash: rec.Hash,
		CreatedAt: msTime(rec.CreatedAt)})
}

// listRunbooks lists the latest version of every runbook.
func (s *Server) listRunbooks(w http.ResponseWriter, r *http.Request) error {
	recs, err := s.eng.ListRunbooks(r.Context())
	if err != nil {
		return err
	}
	out := make([]runbookSummary, len(recs))
	for i, rec := range recs {
		out[i] = viewRunbookRecord(rec)
	}
	return s.reply(w, r, http.StatusOK, runbookListResponse{envelope: v1(), Count: len(out), Runbooks: out})
}

// getRunbook returns one definition: ?version= or the latest.
func (s *Server) getRunbook(w http.ResponseWriter, r *http.Request) error {
	rb, err := s.eng.GetRunbook(r.Context(), r.PathValue("id"), r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	return s.reply(w, r, http.StatusOK, runbookResponse{envelope: v1(), Runbook: viewRunbook(rb)})
}

// listRunbookVersions lists every stored version of a runbook, oldest
// first.
func (s *Server) listRunbookVersions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	recs, err := s.eng.ListRunbookVersions(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]runbookSummary, len(recs))
	for i, rec := range recs {
		out[i] = viewRunbookRecord(rec)
	}
	return s.reply(w, r, http.StatusOK, runbookVersionsResponse{envelope: v1(), RunbookID: id, Count: len(out), Versions: out})
}
