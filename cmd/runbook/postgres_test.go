package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
	"github.com/runbookhq/runbook/store/postgres"
)

// These tests run `runbook serve` on PostgreSQL, each in a schema of its
// own in the database RUNBOOK_TEST_POSTGRES names (by default the local
// server that .ci/run starts). A server that does not answer fails them:
// the shared store must not look tested when it was not.

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgStore creates an empty schema, dropped when t ends, and returns the
// --store URL of a store in it.
func pgStore(t *testing.T) string {
	t.Helper()
	base := os.Getenv("RUNBOOK_TEST_POSTGRES")
	if base == "" {
		base = defaultTestPostgres
	}
	uri, drop, err := postgres.TempSchema(t.Context(), base, "runbook_e2e_")
	if err != nil {
		t.Fatalf("these tests need PostgreSQL: %v\n(start it, as .ci/run does, or set RUNBOOK_TEST_POSTGRES to a postgres:// URL)", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(ctx); err != nil {
			t.Error(err)
		}
	})
	return uri
}

// servePostgres starts `runbook serve` on the store at uri and returns it
// with its base URL. Leases are short, so that a node that is killed
// leaves its work to the others within seconds.
func servePostgres(t *testing.T, uri string) (*process, string) {
	t.Helper()
	p := startProcess(t, "serve", "--addr", "127.0.0.1:0", "--store", uri, "--lease-duration", "2s")
	line := p.waitLine("listening on 127.0.0.1:")
	m := listenAddr.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no addr= in %q", line)
	}
	return p, "http://" + m[1]
}

// awaitStatus polls the execution through the API of url until it has
// status want. Streams show only what the node serving them commits, so
// the tests with several nodes read the execution instead.
func awaitStatus(t *testing.T, url, id string, want runbook.ExecutionStatus) *runbook.Execution {
	t.Helper()
	c := client.New(url, nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		x, err := c.GetExecution(context.Background(), id)
		if err == nil && x.Status == want {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s did not become %s: %+v, %v", id, want, x, err)
		}
		time.Sleep(50 * time.Millisecond) // polling another process's progress: nothing to wait on here
	}
}

func TestPostgresServeRunsARunbookThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	file := s.example(t, "threat-investigation.json")
	p, url := servePostgres(t, pgStore(t))
	if !strings.Contains(p.output(), "runbook engine started") {
		t.Fatalf("serve output:\n%s", p.output())
	}
	// The node's clock and the database's are the same machine's: no
	// correction (and none logged).
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(body), "\nrunbook_clock_offset_seconds 0\n") {
		t.Fatalf("metrics: no clock offset of 0 (%v):\n%s", err, body)
	}
	if strings.Contains(p.output(), "clock differs") {
		t.Fatalf("a clock correction logged:\n%s", p.output())
	}
	mustCLI(t, url, "runbooks", "push", file)
	id := startRun(t, url, "investigate-threat", "--context", "@"+abs(t, "inputs/context.json"))
	awaitEvent(t, url, id, runbook.EventApprovalRequested)
	if inbox := mustCLI(t, url, "approvals", "--approver", "soc-manager-1"); !strings.Contains(inbox, id) {
		t.Fatalf("inbox: %s", inbox)
	}
	mustCLI(t, url, "approve", id, "require-approval", "--user", "soc-manager-1", "--comment", "contain it")
	if w := cli(t, url, "watch", id); w.code != 0 || !strings.Contains(w.stdout, "execution completed") {
		t.Fatalf("watch: exit %d\n%s%s", w.code, w.stdout, w.stderr)
	}
	var x runbook.Execution
	if err := json.Unmarshal([]byte(mustCLI(t, url, "executions", "get", id, "--output", "json")), &x); err != nil {
		t.Fatal(err)
	}
	if x.Status != runbook.ExecutionCompleted || x.StepResults["execute-containment"].Status != runbook.StepCompleted {
		t.Fatalf("execution %s: %+v", x.Status, x.StepResults)
	}
	if n := s.count("POST /containment-api/isolate"); n != 1 {
		t.Fatalf("containment called %d times", n)
	}
	if inbox := mustCLI(t, url, "approvals", "--approver", "soc-manager-1"); strings.Contains(inbox, id) {
		t.Fatalf("the decided approval is still in the inbox: %s", inbox)
	}
}

// waitCalls waits until n calls to path have arrived.
func (s *crashService) waitCalls(t *testing.T, path string, n int) {
	t.Helper()
	for len(s.keys(path)) < n {
		s.waitFor(t, path)
	}
}

// Executions the API acknowledged survive kill -9 of the only node and
// complete when a new one starts; the attempt in flight runs again, with
// the same idempotency key, once its lease has expired.
func TestPostgresKillAndRestartFinishesAcknowledgedExecutions(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	uri := pgStore(t)
	first, url := servePostgres(t, uri)
	mustCLI(t, url, "runbooks", "push", writeCrashyRunbook(t, s))
	const n = 4
	var ids []string
	for range n {
		ids = append(ids, startRun(t, url, "crashy"))
	}
	s.waitCalls(t, "/hold", n) // every "first" is recorded: "held" follows it
	first.kill()

	second, url := servePostgres(t, uri)
	s.waitCalls(t, "/hold", 2*n) // the interrupted attempts run again
	close(s.release)
	for _, id := range ids {
		x := awaitStatus(t, url, id, runbook.ExecutionCompleted)
		if x.StepResults["held"].Status != runbook.StepCompleted {
			t.Fatalf("execution %s: %+v", id, x.StepResults)
		}
	}
	if got := len(s.keys("/once")); got != n {
		t.Fatalf("the completed first steps ran %d times for %d executions", got, n)
	}
	keys := map[string]int{}
	for _, k := range s.keys("/hold") {
		keys[k]++
	}
	for _, id := range ids {
		if keys[id+":held"] != 2 {
			t.Fatalf("the held step of %s must run twice with the same idempotency key: %v", id, keys)
		}
	}
	second.stop()
}

// Two nodes on one schema share the work: executions started on either
// complete, and when one node is killed the other finishes what it had in
// flight once its leases expire.
func TestPostgresTwoNodesTakeOverFromADeadOne(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	uri := pgStore(t)
	a, urlA := servePostgres(t, uri)
	b, urlB := servePostgres(t, uri)
	mustCLI(t, urlA, "runbooks", "push", writeCrashyRunbook(t, s))

	onA := []string{startRun(t, urlA, "crashy"), startRun(t, urlA, "crashy")}
	onB := []string{startRun(t, urlB, "crashy")}
	s.waitCalls(t, "/hold", 3)
	a.kill()

	// B runs A's two held attempts again once A's leases expire.
	s.waitCalls(t, "/hold", 5)
	close(s.release)
	for _, id := range append(onA, onB...) {
		x := awaitStatus(t, urlB, id, runbook.ExecutionCompleted)
		for _, step := range []string{"first", "held", "last"} {
			if x.StepResults[step].Status != runbook.StepCompleted {
				t.Fatalf("execution %s step %s: %+v", id, step, x.StepResults[step])
			}
		}
	}
	if got := len(s.keys("/once")); got != 3 {
		t.Fatalf("the first steps ran %d times for 3 executions", got)
	}
	if got := len(s.keys("/last")); got != 3 {
		t.Fatalf("the last steps ran %d times for 3 executions", got)
	}
	held := fmt.Sprint(s.keys("/hold"))
	for _, id := range onA {
		if strings.Count(held, id+":held") != 2 {
			t.Fatalf("the held step of %s (started on the dead node) must run twice: %s", id, held)
		}
	}
	b.stop()
}

// A replica restarted under the same --node-id takes its work back at
// once: with leases of an hour, the attempts the killed process had in
// flight run again within the test's deadline only because the new
// process released its own old leases.
func TestPostgresRestartUnderTheSameNodeIDTakesItsWorkBack(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	uri := pgStore(t)
	serve := func() (*process, string) {
		p := startProcess(t, "serve", "--addr", "127.0.0.1:0", "--store", uri, "--lease-duration", "1h", "--node-id", "runbook-0")
		m := listenAddr.FindStringSubmatch(p.waitLine("listening on 127.0.0.1:"))
		if m == nil {
			t.Fatal("no listen address")
		}
		return p, "http://" + m[1]
	}
	first, url := serve()
	mustCLI(t, url, "runbooks", "push", writeCrashyRunbook(t, s))
	const n = 2
	var ids []string
	for range n {
		ids = append(ids, startRun(t, url, "crashy"))
	}
	s.waitCalls(t, "/hold", n)
	first.kill()

	second, url := serve()
	s.waitCalls(t, "/hold", 2*n) // not an hour later
	close(s.release)
	for _, id := range ids {
		awaitStatus(t, url, id, runbook.ExecutionCompleted)
	}
	second.stop()
}

// A replica that stops hands its work to the others at once: it gives its
// leases back and notifies them. With leases and polls of an hour, the
// attempts it interrupted run again on the other replica within the
// test's deadline only because that replica was told.
func TestPostgresAStoppingReplicaHandsItsWorkOverAtOnce(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	uri := pgStore(t)
	serve := func() (*process, string) {
		p := startProcess(t, "serve", "--addr", "127.0.0.1:0", "--store", uri,
			"--lease-duration", "1h", "--poll-interval", "1h", "--shutdown-grace", "100ms")
		m := listenAddr.FindStringSubmatch(p.waitLine("listening on 127.0.0.1:"))
		if m == nil {
			t.Fatal("no listen address")
		}
		return p, "http://" + m[1]
	}
	a, urlA := serve()
	b, urlB := serve()
	mustCLI(t, urlA, "runbooks", "push", writeCrashyRunbook(t, s))
	ids := []string{startRun(t, urlA, "crashy"), startRun(t, urlA, "crashy")}
	s.waitCalls(t, "/hold", len(ids))
	a.stop()

	s.waitCalls(t, "/hold", 2*len(ids)) // on B, not an hour later
	close(s.release)
	for _, id := range ids {
		awaitStatus(t, urlB, id, runbook.ExecutionCompleted)
	}
	b.stop()
}

// startHeld starts n executions of the crashy runbook (see
// writeCrashyRunbook) on the node at url and waits until each holds its
// step "held".
func startHeld(t *testing.T, s *crashService, url string, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		ids = append(ids, startRun(t, url, "crashy"))
	}
	s.waitCalls(t, "/hold", n)
	return ids
}

// terminateBackends ends every server process of the database serving the
// connections named app, as a restart of the database would, and returns
// how many there were. admin is a superuser's connection (adminConn).
func terminateBackends(t *testing.T, admin *pgx.Conn, app string) int {
	t.Helper()
	var n int
	err := admin.QueryRow(t.Context(),
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n)
	if err != nil {
		t.Error(err)
	}
	return n
}

// When the database drops every connection of a node (a restart, a
// failover), the node reconnects: the executions it acknowledged before
// complete, the steps in flight record their outcome, new starts are
// acknowledged or refused with an error, and nothing acknowledged is lost.
func TestPostgresLosingEveryDatabaseConnectionLosesNothing(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	var random [6]byte
	_, _ = rand.Read(random[:])
	app := "runbook_test_" + hex.EncodeToString(random[:])
	p, url := servePostgres(t, pgStore(t)+"&application_name="+app)
	mustCLI(t, url, "runbooks", "push", writeCrashyRunbook(t, s))
	const n = 4
	ids := startHeld(t, s, url, n)
	if killed := terminateBackends(t, adminConn(t), app); killed == 0 {
		t.Fatal("the node has no connection to the database")
	}
	close(s.release)
	c := client.New(url, nil)
	refused := 0
	for range n {
		res, err := c.StartExecution(context.Background(), client.StartRequest{RunbookID: "crashy"})
		if err != nil {
			refused++
			if runbook.ErrorCode(err) == "" {
				t.Fatalf("a start refused without an error code: %v", err)
			}
			continue
		}
		ids = append(ids, res.ExecutionID)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve output:\n%s", p.output())
		}
	})
	for _, id := range ids {
		x := awaitStatus(t, url, id, runbook.ExecutionCompleted)
		if x.StepResults["last"].Status != runbook.StepCompleted {
			t.Fatalf("execution %s: %+v", id, x.StepResults)
		}
	}
	// Each step ran once: the outcome the store could not take at first
	// was recorded when it could, not by running the step again.
	for _, path := range []string{"/once", "/hold", "/last"} {
		if got := len(s.keys(path)); got != len(ids) {
			t.Fatalf("%d calls to %s for %d executions", got, path, len(ids))
		}
	}
	t.Logf("%d of %d starts after the loss refused", refused, n)
	p.stop()
}

// A step whose outcome PostgreSQL cannot keep (the next step would wait
// for a correlation id with a NUL character, which no text column takes)
// fails with the reason, once, instead of running again and again.
func TestPostgresAnOutcomeTheDatabaseRefusesFailsItsStep(t *testing.T) {
	t.Parallel()
	calls := make(chan struct{}, 100)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- struct{}{}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"scanId": "scan-\u0000-1"}`)
	}))
	t.Cleanup(target.Close)
	file := writeFile(t, "nul.yaml", `
id: nul
version: "1"
steps:
  - {id: start-scan, type: call-service, config: {url: "`+target.URL+`/scan", method: POST}}
  - {id: wait-for-scan, type: wait-for-event, dependsOn: [start-scan], config: {eventType: scan.completed, correlationId: "{start-scan.scanId}"}}
`)
	p, url := servePostgres(t, pgStore(t))
	mustCLI(t, url, "runbooks", "push", file)
	id := startRun(t, url, "nul")
	x := awaitStatus(t, url, id, runbook.ExecutionFailed)
	got := x.StepResults["start-scan"]
	if got.Status != runbook.StepFailed || !strings.Contains(got.Error, "could not be stored") {
		t.Fatalf("step start-scan: %s: %q\n%s", got.Status, got.Error, p.output())
	}
	if n := len(calls); n != 1 {
		t.Fatalf("the step ran %d times", n)
	}
	p.stop()
}

// A database that cannot be reached for longer than a lease (every
// connection dropped and none allowed for a while) stops the work, and
// only stops it: once it is back, what the node had in flight completes,
// each step called once, its outcomes recorded when the store could take
// them.
func TestPostgresAnOutageLongerThanALeaseLosesNothing(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	role, roleURI := pgRole(t, pgStore(t))
	p, url := servePostgres(t, roleURI)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve output:\n%s", p.output())
		}
	})
	mustCLI(t, url, "runbooks", "push", writeCrashyRunbook(t, s))
	const n = 4
	ids := startHeld(t, s, url, n)

	cutOff(t, role)
	close(s.release) // the held steps end during the outage
	p.waitLine("could not record the outcome of a step")
	// Meanwhile the API says that the database is unavailable: a 503 to
	// try again later, not an internal error.
	if _, err := client.New(url, nil).GetExecution(context.Background(), ids[0]); runbook.ErrorCode(err) != runbook.EUNAVAILABLE {
		t.Fatalf("reading an execution during the outage: %v, want an %s error", err, runbook.EUNAVAILABLE)
	}
	// Longer than a lease (2s): four renewals (one every third of it)
	// fail.
	p.waitLines(`msg="extend leases"`, 4)
	reconnect(t, role)

	for _, id := range ids {
		x := awaitStatus(t, url, id, runbook.ExecutionCompleted)
		if x.StepResults["held"].AttemptNumber != 1 {
			t.Fatalf("execution %s: step held at attempt %d", id, x.StepResults["held"].AttemptNumber)
		}
	}
	for _, path := range []string{"/once", "/hold", "/last"} {
		if got := len(s.keys(path)); got != n {
			t.Fatalf("%d calls to %s for %d executions", got, path, n)
		}
	}
	p.stop()
}

// pgRole creates a role (dropped when t ends) that may use the schema of
// the store at uri, and returns it with the store's URL for it: a node
// connected as that role can be cut off from the database alone.
func pgRole(t *testing.T, uri string) (role, roleURI string) {
	t.Helper()
	var random [6]byte
	_, _ = rand.Read(random[:])
	role = "runbook_test_" + hex.EncodeToString(random[:])
	admin := adminConn(t)
	schema := uri[strings.LastIndex(uri, "search_path=")+len("search_path="):]
	for _, sql := range []string{`CREATE ROLE ` + role + ` LOGIN`, `GRANT ALL ON SCHEMA ` + schema + ` TO ` + role} {
		if _, err := admin.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		// The schema's drop, registered before, runs after this: what the
		// role owns in it goes first.
		sql := `DROP OWNED BY ` + role + `; DROP ROLE ` + role
		if _, err := adminConn(t).Exec(context.Background(), sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	})
	return role, strings.Replace(uri, "postgres://postgres@", "postgres://"+role+"@", 1)
}

// cutOff refuses role any connection to the database and ends those it
// has: for its nodes, the database is gone.
func cutOff(t *testing.T, role string) {
	t.Helper()
	admin := adminConn(t)
	if _, err := admin.Exec(t.Context(), `ALTER ROLE `+role+` CONNECTION LIMIT 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role); err != nil {
		t.Fatal(err)
	}
}

// reconnect lets role connect to the database again.
func reconnect(t *testing.T, role string) {
	t.Helper()
	if _, err := adminConn(t).Exec(t.Context(), `ALTER ROLE `+role+` CONNECTION LIMIT -1`); err != nil {
		t.Fatal(err)
	}
}

// adminConn connects to the test database as its superuser, for tests
// that act on the server itself; the connection is closed when t ends.
func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	base := os.Getenv("RUNBOOK_TEST_POSTGRES")
	if base == "" {
		base = defaultTestPostgres
	}
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// A node cut off from the database while its steps run (a network
// partition) loses its leases to the other node, which runs those steps
// again; when the cut-off node comes back with the outcomes it could not
// record, they change nothing: every execution completes once, each of its
// steps recorded once and the step after run once.
func TestPostgresANodeCutOffFromTheDatabaseAdvancesNothingTwice(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	uri := pgStore(t)
	role, roleURI := pgRole(t, uri)
	a, urlA := servePostgres(t, roleURI)
	b, urlB := servePostgres(t, uri)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node A:\n%s\n\nnode B:\n%s", a.output(), b.output())
		}
	})
	mustCLI(t, urlA, "runbooks", "push", writeCrashyRunbook(t, s))
	const n = 3
	ids := startHeld(t, s, urlA, n)

	cutOff(t, role)
	s.waitCalls(t, "/hold", 2*n) // B took the steps over once A's leases expired
	close(s.release)
	for _, id := range ids {
		awaitStatus(t, urlB, id, runbook.ExecutionCompleted)
	}
	a.waitLine("could not record the outcome of a step")
	reconnect(t, role)
	// A takes its outcomes to the store, which finds the steps decided
	// by B: nothing more happens.
	a.waitLines("the outcome of a step reached the store", n)
	a.stop()

	for _, id := range ids {
		completed := completions(t, urlB, id)
		if completed["first"] != 1 || completed["held"] != 1 || completed["last"] != 1 || completed[""] != 1 {
			t.Fatalf("execution %s: completions of its steps and of itself (\"\"): %v", id, completed)
		}
	}
	if got := len(s.keys("/last")); got != n {
		t.Fatalf("the last steps ran %d times for %d executions", got, n)
	}
	b.stop()
}

// Connections dropped again and again while executions start and run (a
// flapping database, a proxy restarting) stop nothing for good: every
// execution the API acknowledged completes, each of its steps recorded
// once in its history.
func TestPostgresFlappingConnectionsLoseNothing(t *testing.T) {
	t.Parallel()
	flapWhileRunning(t, 1)
}

// The same with two nodes sharing the work, both losing their connections:
// leases, notifications and takeovers in the middle of it still record
// each step once.
func TestPostgresTwoNodesWithFlappingConnectionsLoseNothing(t *testing.T) {
	t.Parallel()
	flapWhileRunning(t, 2)
}

// flapWhileRunning starts 40 executions of a three-step runbook on nodes
// (round robin) whose connections are terminated every few milliseconds
// meanwhile, then checks that every acknowledged one completes with each step
// completed once in its history.
func flapWhileRunning(t *testing.T, nodes int) {
	s := newCrashService(t)
	var random [6]byte
	_, _ = rand.Read(random[:])
	app := "runbook_test_" + hex.EncodeToString(random[:])
	uri := pgStore(t) + "&application_name=" + app
	var procs []*process
	var urls []string
	for range nodes {
		p, url := servePostgres(t, uri)
		procs, urls = append(procs, p), append(urls, url)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, p := range procs {
				t.Logf("node %d:\n%s", i, p.output())
			}
		}
	})
	file := writeFile(t, "three.yaml", strings.ReplaceAll(`
id: three
version: "1"
steps:
  - {id: a, type: call-service, config: {url: "STUB/a", method: POST}}
  - {id: b, type: call-service, dependsOn: [a], config: {url: "STUB/b", method: POST}}
  - {id: c, type: call-service, dependsOn: [b], config: {url: "STUB/c", method: POST}}
`, "STUB", s.srv.URL))
	mustCLI(t, urls[0], "runbooks", "push", file)

	stop := make(chan struct{})
	flapped := make(chan int)
	admin := adminConn(t)
	go func() {
		// Every 20ms: often enough to land in the middle of commits, not
		// so often that a new connection never gets used.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-stop:
				flapped <- n
				return
			case <-tick.C:
			}
			n += terminateBackends(t, admin, app)
		}
	}()
	// Each start is repeated until acknowledged: a refused one is
	// unavailable, and may have been made all the same (its answer lost).
	var ids []string
	refused := 0
	for i := range 40 {
		for {
			res, err := client.New(urls[i%nodes], nil).StartExecution(context.Background(), client.StartRequest{RunbookID: "three"})
			if err == nil {
				ids = append(ids, res.ExecutionID)
				break
			}
			if runbook.ErrorCode(err) != runbook.EUNAVAILABLE {
				t.Fatalf("a start refused with %v, want an %s error", err, runbook.EUNAVAILABLE)
			}
			if refused++; refused > 1000 {
				t.Fatal("no start acknowledged in 1000 tries")
			}
		}
	}
	close(stop)
	terminated := <-flapped
	t.Logf("%d connections terminated; %d starts refused before 40 were acknowledged", terminated, refused)
	for _, id := range ids {
		if x := awaitEnd(t, urls[0], id); x.Status != runbook.ExecutionCompleted {
			t.Fatalf("execution %s: %s", id, x.Status)
		}
		completed := completions(t, urls[0], id)
		if completed["a"] != 1 || completed["b"] != 1 || completed["c"] != 1 || completed[""] != 1 {
			t.Fatalf("execution %s: completions of its steps and of itself (\"\"): %v", id, completed)
		}
	}
	for _, p := range procs {
		p.stop()
	}
}

// completions counts, in the history of an execution read through the API
// of url, the StepCompleted events by step and the ExecutionCompleted
// events under "".
func completions(t *testing.T, url, id string) map[string]int {
	t.Helper()
	page, err := client.New(url, nil).History(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	completed := map[string]int{}
	for _, ev := range page.Events {
		switch ev.Type {
		case runbook.EventStepCompleted:
			completed[ev.StepID]++
		case runbook.EventExecutionCompleted:
			completed[""]++
		}
	}
	return completed
}

// awaitEnd polls the execution through the API of url until it ends, and
// fails with its history when it does not within a minute.
func awaitEnd(t *testing.T, url, id string) *runbook.Execution {
	t.Helper()
	c := client.New(url, nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		x, err := c.GetExecution(context.Background(), id)
		if err == nil && x.Status.Terminal() {
			return x
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			if page, err := c.History(context.Background(), id, 0, 0); err == nil {
				for _, ev := range page.Events {
					fmt.Fprintf(&b, "\n  %d %s %s attempt %d", ev.Seq, ev.Type, ev.StepID, ev.Attempt)
				}
			}
			t.Fatalf("execution %s did not end (%v); its history:%s", id, err, b.String())
		}
		time.Sleep(50 * time.Millisecond) // polling another process's progress: nothing to wait on here
	}
}
