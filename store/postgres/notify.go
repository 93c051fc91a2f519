package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
)

// Task notifications: a transaction that makes tasks claimable by any
// process sends NOTIFY on the schema's channel, delivered when it commits;
// every store on the schema LISTENs on a connection of its own and wakes
// its engine's poller. The payload names the sending store, which ignores
// its own notifications: its engine already knows.

var _ runbook.TaskNotifier = (*Store)(nil)

// taskChannel is the notification channel of a schema: several schemas of
// one database (one per test, one per tenant) do not wake each other. A
// hash keeps any schema name within PostgreSQL's 63-byte identifiers.
func taskChannel(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return "runbook_tasks_" + hex.EncodeToString(sum[:8])
}

// sqlNotify sends a notification from inside the caller's transaction.
const sqlNotify = `SELECT pg_notify($1, $2)`

// queueNotify queues the notification of a commit when one of its
// accepted transitions puts a task no process holds (a timer, a retry):
// another process may have to run it if this one stops first. Tasks this
// process leased to itself, run at once here, need no one else.
func (s *Store) queueNotify(b *pgx.Batch, txs []*runbook.Transition, accepted []bool) {
	for i, t := range txs {
		if !accepted[i] {
			continue
		}
		for _, task := range t.PutTasks {
			if task.Owner == "" {
				b.Queue(sqlNotify, s.channel, s.instance)
				return
			}
		}
	}
}

// listenTimeout bounds connecting and subscribing, and closing the
// listening connection.
const listenTimeout = 10 * time.Second

// WatchTasks listens to the schema's task notifications on a connection of
// its own (not one of the pool's) and calls wake for each one another
// store sent, once it listens and whenever one arrives. It returns when
// ctx is done or the connection fails; the caller polls meanwhile and
// calls it again.
func (s *Store) WatchTasks(ctx context.Context, wake func()) error {
	if err := s.check(); err != nil {
		return err
	}
	connectCtx, cancel := context.WithTimeout(ctx, listenTimeout)
	conn, err := pgx.ConnectConfig(connectCtx, s.listen.Copy())
	cancel()
	if err != nil {
		return connectError("listen for tasks", s.where, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenTimeout)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return failure(fmt.Sprintf("listen for tasks on %s", s.where), err)
	}
	wake() // what was sent before LISTEN is lost: look now
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return failure(fmt.Sprintf("task notifications from %s", s.where), err)
		}
		if n.Payload != s.instance {
			wake()
		}
	}
}
