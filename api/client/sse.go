package client

import (
	"bufio"
	"io"
	"strings"
)

// maxSSELine bounds one line of an event stream: an event's data is one
// JSON line, which may carry a large step output.
const maxSSELine = 64 << 20

// sseEvent is one event of a text/event-stream.
type sseEvent struct {
	ID    string
	Event string
	Data  string
}

// readSSE parses a text/event-stream (the Server-Sent Events format of the
// HTML standard) and calls emit for each complete event until emit returns
// false, the stream ends (nil; an unfinished last event is dropped, as the
// standard says) or reading fails. Comment lines and unknown fields are
// ignored; lines end with LF or CRLF.
func readSSE(r io.Reader, emit func(sseEvent) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var ev sseEvent
	var data strings.Builder
	hasData := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if hasData {
				ev.Data = strings.TrimSuffix(data.String(), "\n")
				if !emit(ev) {
					return nil
				}
			}
			ev, hasData = sseEvent{ID: ev.ID}, false // the last id persists
			data.Reset()
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Event = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.ID = value
			}
		}
	}
	return sc.Err()
}
