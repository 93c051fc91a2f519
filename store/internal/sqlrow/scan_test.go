package sqlrow

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

// row is a Scanner over fixed values, as a driver returns them; it checks
// that it is scanned into as many places as its columns list names.
type row struct {
	columns string
	values  []any
}

func (r row) Scan(dest ...any) error {
	if n := len(strings.Split(r.columns, ",")); len(dest) != n || len(r.values) != n {
		return fmt.Errorf("scan of %d columns into %d places with %d values", n, len(dest), len(r.values))
	}
	for i, d := range dest {
		v := reflect.ValueOf(r.values[i])
		p := reflect.ValueOf(d).Elem()
		if !v.Type().ConvertibleTo(p.Type()) {
			return fmt.Errorf("column %d: cannot scan %T into %T", i, r.values[i], d)
		}
		p.Set(v.Convert(p.Type()))
	}
	return nil
}

// rows is a Rows over rows, whose Err is err once they are read.
type rows struct {
	list []row
	next int
	err  error
}

func (r *rows) Next() bool {
	r.next++
	return r.next <= len(r.list)
}

func (r *rows) Scan(dest ...any) error { return r.list[r.next-1].Scan(dest...) }
func (r *rows) Err() error             { return r.err }

func TestScanWait(t *testing.T) {
	t.Parallel()
	values := func(approvers any) []any {
		return []any{"e1", "a", 2, "approval", "t", "", "", approvers, Micros(when), Micros(when), int64(0)}
	}
	// SQLite's TEXT arrives as a string, PostgreSQL's jsonb as bytes.
	for _, approvers := range []any{`["alice","bob"]`, []byte(`["alice","bob"]`)} {
		w, err := ScanWait(row{WaitColumns, values(approvers)})
		if err != nil {
			t.Fatal(err)
		}
		want := &runbook.Wait{ExecutionID: "e1", StepID: "a", Iteration: 2, Kind: runbook.WaitApproval, TenantID: "t",
			Approvers: []string{"alice", "bob"}, Deadline: FromMicros(Micros(when)), CreatedAt: FromMicros(Micros(when)), Since: FromMicros(0)}
		if !reflect.DeepEqual(w, want) {
			t.Fatalf("ScanWait = %+v, want %+v", w, want)
		}
	}
	w, err := ScanWait(row{WaitColumns, values(`[]`)})
	if err != nil || w.Approvers != nil {
		t.Fatalf("ScanWait without approvers = %#v, %v; want nil approvers", w.Approvers, err)
	}
	_, err = ScanWait(row{WaitColumns, values(`{`)})
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) || !strings.HasPrefix(err.Error(), "wait e1/a/2: decode approvers: ") {
		t.Fatalf("ScanWait of bad approvers = %v", err)
	}
}

func TestScanners(t *testing.T) {
	t.Parallel()
	m := Micros(when)
	utc := FromMicros(m)
	for _, c := range []struct {
		name string
		scan func(Scanner) (any, error)
		row  row
		want any
	}{
		{"runbook", func(sc Scanner) (any, error) { return ScanRunbook(sc) },
			row{RunbookColumns, []any{"rb", "1", "Name", "Desc", 3, []byte{}, "h", m}},
			&runbook.RunbookRecord{ID: "rb", Version: "1", Name: "Name", Description: "Desc", StepCount: 3, Hash: "h", CreatedAt: utc}},
		{"runbook summary", func(sc Scanner) (any, error) { return ScanRunbookSummary(sc) },
			row{RunbookSummaryColumns, []any{"rb", "1", "Name", "Desc", 3, "h", m}},
			&runbook.RunbookRecord{ID: "rb", Version: "1", Name: "Name", Description: "Desc", StepCount: 3, Hash: "h", CreatedAt: utc}},
		{"execution", func(sc Scanner) (any, error) { return ScanExecution(sc) },
			row{ExecutionColumns, []any{"e1", "rb", "1", "t", "k", "p", "running", int64(4), m, m + 1, []byte(`{}`), []byte(nil)}},
			&runbook.ExecutionRecord{ID: "e1", RunbookID: "rb", RunbookVersion: "1", TenantID: "t", IdempotencyKey: "k", ParentID: "p",
				Status: runbook.ExecutionRunning, Seq: 4, CreatedAt: utc, UpdatedAt: FromMicros(m + 1), Data: []byte(`{}`)}},
		{"step", func(sc Scanner) (any, error) { return ScanStep(sc) },
			row{StepColumns, []any{"e1", "a", 1, "completed", []byte{}}},
			&runbook.StepRecord{ExecutionID: "e1", StepID: "a", Iteration: 1, Status: runbook.StepCompleted}},
		{"task", func(sc Scanner) (any, error) { return ScanTask(sc) },
			row{TaskColumns, []any{"e1", "k", "run", "a", 1, 2, "", m, "w", m, 3, []byte("p")}},
			&runbook.Task{ExecutionID: "e1", Key: "k", Kind: runbook.TaskRun, StepID: "a", Iteration: 1, Attempt: 2,
				DueAt: utc, Owner: "w", LeaseExpiresAt: utc, Deliveries: 3, Payload: []byte("p")}},
		{"inbox event", func(sc Scanner) (any, error) { return ScanInboxEvent(sc) },
			row{InboxColumns, []any{"ev", "t", "type", "c", []byte(nil), m}},
			&runbook.InboxEvent{ID: "ev", TenantID: "t", Type: "type", CorrelationID: "c", ReceivedAt: utc}},
	} {
		got, err := c.scan(c.row)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: scanned %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestScanError(t *testing.T) {
	t.Parallel()
	bad := row{StepColumns, []any{"e1"}}
	if s, err := ScanStep(bad); s != nil || err == nil {
		t.Fatalf("ScanStep of a short row = %v, %v; want an error", s, err)
	}
}

func TestAppendAll(t *testing.T) {
	t.Parallel()
	step := func(id string) row { return row{StepColumns, []any{"e1", id, 0, "running", []byte(nil)}} }
	got, err := AppendAll(nil, &rows{list: []row{step("a"), step("b")}}, ScanStep)
	if err != nil || len(got) != 2 || got[0].StepID != "a" || got[1].StepID != "b" {
		t.Fatalf("AppendAll = %+v, %v", got, err)
	}
	if got, err := AppendAll(nil, &rows{}, ScanStep); got != nil || err != nil {
		t.Fatalf("AppendAll of no rows to nil = %#v, %v; want nil, nil", got, err)
	}
	if got, err := AppendAll([]*runbook.StepRecord{}, &rows{}, ScanStep); got == nil || len(got) != 0 || err != nil {
		t.Fatalf("AppendAll of no rows to an empty slice = %#v, %v", got, err)
	}
	if got, err := AppendAll(nil, &rows{list: []row{step("a"), {StepColumns, nil}}}, ScanStep); got != nil || err == nil {
		t.Fatalf("AppendAll with a bad row = %+v, %v; want nil and an error", got, err)
	}
	broken := errors.New("connection lost")
	if _, err := AppendAll(nil, &rows{list: []row{step("a")}, err: broken}, ScanStep); !errors.Is(err, broken) {
		t.Fatalf("AppendAll of failing rows = %v, want %v", err, broken)
	}
}

func TestListExecutionsQuery(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f         runbook.ExecutionFilter
		ph        Placeholder
		where     string
		args      string
		lastParam string
	}{
		{runbook.ExecutionFilter{}, Dollar, "", "[100]", "$1"},
		{runbook.ExecutionFilter{RunbookID: "rb", Status: runbook.ExecutionRunning, TenantID: "t", Cursor: "c", Limit: 7}, Dollar,
			" WHERE runbook_id = $1 AND status = $2 AND tenant_id = $3 AND id < $4", "[rb running t c 7]", "$5"},
		{runbook.ExecutionFilter{TenantID: "t", Limit: 3}, Question, " WHERE tenant_id = ?", "[t 3]", "?"},
	} {
		query, args := ListExecutionsQuery(c.f, c.ph, ExecutionColumns)
		want := `SELECT ` + ExecutionColumns + ` FROM executions` + c.where + ` ORDER BY id DESC LIMIT ` + c.lastParam
		if query != want || fmt.Sprint(args) != c.args {
			t.Errorf("ListExecutionsQuery(%+v) = %q, %v; want %q, %s", c.f, query, args, want, c.args)
		}
	}
}
