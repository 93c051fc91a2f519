package sqlrow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
)

// Micros returns t as stored: microseconds since the Unix epoch (INTEGER
// in SQLite, bigint in PostgreSQL). The zero time.Time maps to a large
// negative number, which sorts before any real time and converts back to
// the zero time.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros converts a stored time back, in UTC.
func FromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// Blob returns b as stored: nil (NULL) when empty.
func Blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Unblob returns a stored blob as a record holds it: nil when empty or
// NULL. Both drivers hand the caller a copy of what they scan into a
// []byte (database/sql out of the driver's memory, pgx out of the
// connection's buffer), so it is not copied again.
func Unblob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// ApproversJSON encodes a wait's approvers for the approvers column: a
// JSON array of strings, [] when there are none.
func ApproversJSON(a []string) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a) // a []string always encodes
	return string(b)
}

// EncodeEvents returns the transition's events as the history table
// stores them, as JSON: t.EncodedEvents when the caller encoded them
// already. An event that cannot be encoded refuses the transition with an
// EINVALID error.
func EncodeEvents(t *runbook.Transition) ([][]byte, error) {
	if len(t.EncodedEvents) == len(t.Events) {
		return t.EncodedEvents, nil
	}
	out := make([][]byte, len(t.Events))
	for i := range t.Events {
		b, err := json.Marshal(&t.Events[i])
		if err != nil {
			return nil, &runbook.Error{
				Code:    runbook.EINVALID,
				Message: fmt.Sprintf("execution %q: event %d cannot be stored as JSON", t.Execution.ID, t.Events[i].Seq),
				Err:     err,
			}
		}
		out[i] = b
	}
	return out, nil
}

// StoredRunbook returns the record that reading rec back after storing it
// returns: a copy, with the definition copied too (nil when empty) and
// the creation time at microsecond precision in UTC.
func StoredRunbook(rec *runbook.RunbookRecord) *runbook.RunbookRecord {
	c := *rec
	c.Definition = Unblob(append([]byte(nil), rec.Definition...))
	c.CreatedAt = FromMicros(Micros(rec.CreatedAt))
	return &c
}
