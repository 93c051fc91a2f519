package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func taskTests() []test {
	return []test{
		{"Tasks/Claim", testClaimTasks},
		{"Tasks/ClaimInvalid", testClaimTasksInvalid},
		{"Tasks/ClaimConcurrent", testClaimTasksConcurrent},
		{"Tasks/PutReplacesEveryField", testPutTaskReplaces},
		{"Tasks/NextDueRules", testNextDueRules},
		{"Tasks/NextDueFollowsLeases", testNextDueFollowsLeases},
		{"Tasks/ExtendLeases", testExtendLeases},
		{"Tasks/ReleaseLeases", testReleaseLeases},
	}
}

// putTasks commits a transition of a new execution that puts tasks.
func putTasks(t *testing.T, s runbook.Store, id string, tasks ...*runbook.Task) {
	t.Helper()
	tx := createTx(newExecution(id, "t", ""))
	tx.PutTasks = tasks
	mustCommit(t, s, tx)
}

func task(id, key string, due time.Time) *runbook.Task {
	return &runbook.Task{
		ExecutionID: id, Key: key, Kind: runbook.TaskRun, StepID: "step-" + key, Iteration: 1, Attempt: 2,
		DueAt: due, Payload: []byte(`{"key":"` + key + `"}`),
	}
}

// leased returns tk as a claim by owner returns it.
func leased(tk *runbook.Task, owner string, until time.Time, deliveries int) *runbook.Task {
	c := *tk
	c.Owner, c.LeaseExpiresAt, c.Deliveries = owner, until, deliveries
	return &c
}

func claim(t *testing.T, s runbook.Store, owner string, now, until time.Time, limit int) []*runbook.Task {
	t.Helper()
	got, err := s.ClaimTasks(t.Context(), owner, now, until, limit)
	noErr(t, err)
	return got
}

func testClaimTasks(t *testing.T, s runbook.Store) {
	id := execID(1)
	k1, k2, k3, k4 := task(id, "k1", at(1)), task(id, "k2", at(3)), task(id, "k3", at(2)), task(id, "k4", at(10))
	k2.Kind, k2.Timer = runbook.TaskTimer, runbook.TimerRetry
	putTasks(t, s, id, k1, k2, k3, k4)

	equal(t, "first claim: earliest due first, up to the limit",
		claim(t, s, "w1", at(5), at(6), 2), []*runbook.Task{leased(k1, "w1", at(6), 1), leased(k3, "w1", at(6), 1)})
	equal(t, "second claim: leased and future tasks are skipped",
		claim(t, s, "w2", at(5), at(7), 10), []*runbook.Task{leased(k2, "w2", at(7), 1)})
	equal(t, "nothing left", claim(t, s, "w2", at(5), at(7), 10), []*runbook.Task{})
	equal(t, "a lease expires at its time",
		claim(t, s, "w2", at(6), at(8), 10), []*runbook.Task{leased(k1, "w2", at(8), 2), leased(k3, "w2", at(8), 2)})
	equal(t, "every lease expired and the future task due",
		claim(t, s, "w3", at(10), at(11), 10), []*runbook.Task{
			leased(k1, "w3", at(11), 3), leased(k3, "w3", at(11), 3), leased(k2, "w3", at(11), 2), leased(k4, "w3", at(11), 1),
		})
	equal(t, "limit 0", claim(t, s, "w4", at(20), at(21), 0), []*runbook.Task{})
}

func testClaimTasksInvalid(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	putTasks(t, s, id, task(id, "k", at(0)))
	_, err := s.ClaimTasks(ctx, "", at(1), at(2), 10)
	wantCode(t, err, runbook.EINVALID)
	wantCode(t, s.ExtendLeases(ctx, "", at(2)), runbook.EINVALID)
	equal(t, "task after invalid calls", claim(t, s, "w", at(1), at(2), 10), []*runbook.Task{leased(task(id, "k", at(0)), "w", at(2), 1)})
}

func testClaimTasksConcurrent(t *testing.T, s runbook.Store) {
	const n, workers = 200, 8
	id := execID(1)
	var tasks []*runbook.Task
	for i := range n {
		tasks = append(tasks, task(id, fmt.Sprintf("k%03d", i), at(i%17)))
	}
	putTasks(t, s, id, tasks...)

	var mu sync.Mutex
	claimed := make(map[string]string)
	var wg sync.WaitGroup
	for w := range workers {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			// Bounded, so that a store handing out tasks twice fails
			// instead of looping forever.
			for range n {
				got, err := s.ClaimTasks(t.Context(), owner, at(100), at(1000), 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, tk := range got {
					if prev, ok := claimed[tk.Key]; ok {
						t.Errorf("task %s claimed by %s and %s", tk.Key, prev, owner)
					}
					claimed[tk.Key] = owner
					if tk.Owner != owner || tk.Deliveries != 1 {
						t.Errorf("task %s claimed by %s returned owner %q, deliveries %d", tk.Key, owner, tk.Owner, tk.Deliveries)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d tasks claimed, want %d", len(claimed), n)
	}
}

func testPutTaskReplaces(t *testing.T, s runbook.Store) {
	id := execID(1)
	old := task(id, "k", at(1))
	old.Owner, old.LeaseExpiresAt, old.Deliveries = "w1", at(9), 4
	tx := createTx(newExecution(id, "t", ""))
	tx.PutTasks = []*runbook.Task{old}
	mustCommit(t, s, tx)
	equal(t, "a task put with a live lease is not claimable", claim(t, s, "w2", at(2), at(3), 10), []*runbook.Task{})

	repl := &runbook.Task{ExecutionID: id, Key: "k", Kind: runbook.TaskTimer, Timer: runbook.TimerApproval, StepID: "other", Iteration: 3, DueAt: at(2)}
	up := nextTx(tx.Execution, 1)
	up.PutTasks = []*runbook.Task{repl}
	mustCommit(t, s, up)
	equal(t, "the task after a second put", claim(t, s, "w2", at(2), at(3), 10), []*runbook.Task{leased(repl, "w2", at(3), 1)})
}

func testNextDueRules(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	rec := newExecution(id, "t", "")
	create(t, s, rec)
	owned := func(key string, due, lease time.Time) *runbook.Task {
		tk := task(id, key, due)
		tk.Owner, tk.LeaseExpiresAt = "w-"+key, lease
		return tk
	}
	for _, c := range []struct {
		name  string
		tasks []*runbook.Task
		want  time.Time // zero: no task
	}{
		{"no task", nil, time.Time{}},
		{"earliest unowned", []*runbook.Task{task(id, "a", at(5)), task(id, "b", at(3))}, at(3)},
		{"a past due time", []*runbook.Task{task(id, "a", at(-5)), task(id, "b", at(3))}, at(-5)},
		{"owned: its lease expiry after its due time", []*runbook.Task{owned("a", at(1), at(4)), task(id, "b", at(5))}, at(4)},
		{"owned: its due time after its lease expiry", []*runbook.Task{owned("a", at(6), at(2)), task(id, "b", at(7))}, at(6)},
		{"earliest of owned tasks", []*runbook.Task{owned("a", at(1), at(3)), owned("b", at(2), at(8))}, at(3)},
		{"unowned before owned", []*runbook.Task{task(id, "a", at(2)), owned("b", at(1), at(9))}, at(2)},
	} {
		tx := nextTx(rec, 1)
		tx.ClearAll = true
		tx.PutTasks = c.tasks
		mustCommit(t, s, tx)
		rec = tx.Execution

		got, ok, err := s.NextDue(ctx)
		noErr(t, err)
		switch {
		case c.want.IsZero() && ok:
			t.Fatalf("%s: NextDue = %v, want none", c.name, got)
		case !c.want.IsZero() && (!ok || !got.Equal(c.want) || got.Location() != time.UTC):
			t.Fatalf("%s: NextDue = %v, %v, want %v in UTC", c.name, got, ok, c.want)
		}
	}
}

func wantNextDue(t *testing.T, s runbook.Store, what string, want time.Time) {
	t.Helper()
	got, ok, err := s.NextDue(t.Context())
	noErr(t, err)
	if !ok || !got.Equal(want) {
		t.Fatalf("%s: NextDue = %v, %v, want %v", what, got, ok, want)
	}
}

func testNextDueFollowsLeases(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	putTasks(t, s, id, task(id, "k1", at(5)), task(id, "k2", at(3)))
	wantNextDue(t, s, "unowned tasks", at(3))
	claim(t, s, "w1", at(3), at(4), 1)
	wantNextDue(t, s, "after a claim", at(4))
	noErr(t, s.ExtendLeases(ctx, "w1", at(9)))
	wantNextDue(t, s, "after a lease extension", at(5))
	claim(t, s, "w2", at(5), at(6), 1)
	wantNextDue(t, s, "both claimed", at(6))
	noErr(t, s.ReleaseLeases(ctx, "w1"))
	wantNextDue(t, s, "after a release", at(3))
}

func testExtendLeases(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	k1, k2, k3 := task(id, "k1", at(1)), task(id, "k2", at(2)), task(id, "k3", at(3))
	putTasks(t, s, id, k1, k2, k3)
	claim(t, s, "w1", at(5), at(6), 2)
	claim(t, s, "w2", at(5), at(6), 1)

	noErr(t, s.ExtendLeases(ctx, "w1", at(9)))
	noErr(t, s.ExtendLeases(ctx, "nobody", at(99)))
	equal(t, "only the other owner's expired lease", claim(t, s, "w3", at(7), at(20), 10),
		[]*runbook.Task{leased(k3, "w3", at(20), 2)})
	equal(t, "extended leases expire at their new time", claim(t, s, "w3", at(9), at(20), 10),
		[]*runbook.Task{leased(k1, "w3", at(20), 2), leased(k2, "w3", at(20), 2)})
}

func testReleaseLeases(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	id := execID(1)
	k1, k2, k3, k4 := task(id, "k1", at(1)), task(id, "k2", at(2)), task(id, "k3", at(3)), task(id, "k4", at(50))
	putTasks(t, s, id, k1, k2, k3, k4)
	claim(t, s, "w1", at(5), at(60), 2)
	claim(t, s, "w2", at(5), at(60), 1)

	noErr(t, s.ReleaseLeases(ctx, "w1"))
	noErr(t, s.ReleaseLeases(ctx, "nobody"))
	equal(t, "released tasks are claimable at once", claim(t, s, "w3", at(5), at(60), 10),
		[]*runbook.Task{leased(k1, "w3", at(60), 2), leased(k2, "w3", at(60), 2)})

	noErr(t, s.ReleaseLeases(ctx, ""))
	wantNextDue(t, s, "every lease released", at(1))
	equal(t, `"" releases every lease`, claim(t, s, "w4", at(5), at(60), 10), []*runbook.Task{
		leased(k1, "w4", at(60), 3), leased(k2, "w4", at(60), 3), leased(k3, "w4", at(60), 2),
	})
}
