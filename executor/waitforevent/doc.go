// Package waitforevent implements the wait-for-event step: it parks until an
// external event of the configured type (and correlation id, within the
// execution's tenant) arrives, and completes with the event's payload. The
// engine matches events to waits; this package only describes the wait and
// decides what an event or the timeout does.
package waitforevent
