package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/runbookhq/runbook"
)

// stream sends the execution's history as Server-Sent Events: the events
// after afterSeq (or the Last-Event-ID header of a reconnecting client),
// then new ones as they are committed, until the execution ends. Each event
// is
//
//	id: <seq>
//	event: <type>
//	data: <the event as JSON>
//
// and a comment line keeps an idle stream open. An unknown execution is a
// 404 before anything is streamed.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	after, err := seqParam("afterSeq", r.URL.Query().Get("afterSeq"))
	if err != nil {
		return err
	}
	if v := r.Header.Get(headerLastEventID); v != "" {
		// A reconnecting EventSource resends its URL; the header is where it
		// actually stopped.
		if after, err = seqParam(headerLastEventID, v); err != nil {
			return err
		}
	}
	select {
	case <-s.streamsDone:
		return runbook.Errorf(runbook.EUNAVAILABLE, "the server is shutting down")
	default:
	}
	ctx := r.Context()
	id := r.PathValue("id")
	events, err := s.eng.Watch(ctx, id, after)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		s.log.Warn("event stream cannot be flushed", logRequestID, requestIDOf(r), logError, err)
		return nil
	}
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	last := after
	var buf bytes.Buffer
	// idle counts watches that ended without a new event; the engine ends
	// a watch early only when the reader fell behind or it is closing.
	idle := 0
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() != nil || idle >= 2 {
					return nil
				}
				idle++
				if events, err = s.eng.Watch(ctx, id, last); err != nil {
					s.log.Warn("event stream: watch again", logRequestID, requestIDOf(r), logError, err)
					return nil
				}
				continue
			}
			idle = 0
			last = ev.Seq
			buf.Reset()
			writeSSE(&buf, &ev)
			if !s.send(w, rc, buf.Bytes()) {
				return nil
			}
			if ends(ev.Type) {
				return nil
			}
		case <-heartbeat.C:
			if !s.send(w, rc, []byte(": heartbeat\n\n")) {
				return nil
			}
		case <-ctx.Done():
			return nil
		case <-s.streamsDone:
			return nil
		}
	}
}

// send writes and flushes one chunk of the stream; false when the client
// is gone.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, b []byte) bool {
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// writeSSE writes one event in the text/event-stream format. JSON holds no
// raw newline, so the data is one line.
func writeSSE(buf *bytes.Buffer, ev *runbook.Event) {
	var data bytes.Buffer
	enc := json.NewEncoder(&data)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(viewEvent(ev)); err != nil {
		data.Reset()
		data.WriteString(`{"seq":` + strconv.FormatInt(ev.Seq, 10) + `,"type":"` + string(ev.Type) + `"}`)
	}
	buf.WriteString("id: ")
	buf.WriteString(strconv.FormatInt(ev.Seq, 10))
	buf.WriteString("\nevent: ")
	buf.WriteString(string(ev.Type))
	buf.WriteString("\ndata: ")
	buf.Write(bytes.TrimSuffix(data.Bytes(), []byte("\n")))
	buf.WriteString("\n\n")
}

// ends reports whether an event ends the execution (and the stream).
func ends(t runbook.EventType) bool {
	return t == runbook.EventExecutionCompleted || t == runbook.EventExecutionFailed || t == runbook.EventExecutionCancelled
}
