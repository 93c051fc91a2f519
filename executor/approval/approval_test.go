package approval_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/approval"
)

var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// stepRequest returns an attempt of the approval step "approve" whose
// execution authorizes the users alice, bob, carol and dave.
func stepRequest(cfg *runbook.ApprovalConfig) *runbook.StepRequest {
	return &runbook.StepRequest{
		ExecutionID: "exec-1",
		StepID:      "approve",
		Step:        &runbook.Step{ID: "approve", Type: runbook.StepApproval, ApprovalConfig: cfg},
		Context: runbook.ExecutionContext{LegalBasis: runbook.LegalBasis{
			AuthorizedUsers: []string{"alice", "bob", "carol", "dave"},
		}},
		Now: now,
	}
}

// park runs Execute and returns the wait it asks for.
func park(t *testing.T, req *runbook.StepRequest) *runbook.WaitState {
	t.Helper()
	out := approval.New().Execute(context.Background(), req)
	if out.Park == nil {
		t.Fatalf("Execute = %+v, want a wait", out)
	}
	return &runbook.WaitState{Info: *out.Park, Since: req.Now}
}

// decide applies decisions in order the way the engine does: a decision
// that leaves the step waiting is added to the wait state.
func decide(t *testing.T, req *runbook.StepRequest, wait *runbook.WaitState, decisions ...runbook.Approval) *runbook.Outcome {
	t.Helper()
	for i, d := range decisions {
		out, err := approval.New().HandleSignal(req, wait, &runbook.Signal{Kind: runbook.WaitApproval, Approval: &d})
		if err != nil {
			t.Fatalf("decision %d (%+v): %v", i, d, err)
		}
		if out != nil {
			if i != len(decisions)-1 {
				t.Fatalf("decision %d ended the step early with %+v", i, out)
			}
			return out
		}
		wait.Approvals = append(wait.Approvals, d)
	}
	return nil
}

func approve(who string) runbook.Approval {
	return runbook.Approval{ApproverID: who, Decision: runbook.Approved, Timestamp: now.Add(time.Minute)}
}

func reject(who string) runbook.Approval {
	return runbook.Approval{ApproverID: who, Decision: runbook.Rejected, Timestamp: now.Add(time.Minute), Comments: "not enough evidence"}
}

func TestExecuteParks(t *testing.T) {
	t.Parallel()
	req := stepRequest(&runbook.ApprovalConfig{
		Approvers:    []string{"alice", "bob", "alice"},
		MinApprovals: 2,
		TimeoutMs:    1_800_000,
		Prompt:       "Isolate the host?",
	})
	out := approval.New().Execute(context.Background(), req)
	want := &runbook.WaitInfo{
		Kind:          runbook.WaitApproval,
		Deadline:      now.Add(30 * time.Minute),
		Approvers:     []string{"alice", "bob"},
		MinApprovals:  2,
		Prompt:        "Isolate the host?",
		TimeoutAction: "fail",
	}
	if out.Err != nil || out.Output != nil || !reflect.DeepEqual(out.Park, want) {
		t.Errorf("Execute = %+v (park %+v), want park %+v", out, out.Park, want)
	}
}

func TestExecuteDefaults(t *testing.T) {
	t.Parallel()
	out := approval.New().Execute(context.Background(), stepRequest(&runbook.ApprovalConfig{
		Approvers:     []string{"alice"},
		TimeoutAction: runbook.TimeoutApprove,
	}))
	if out.Park == nil {
		t.Fatalf("Execute = %+v, want a wait", out)
	}
	if !out.Park.Deadline.IsZero() {
		t.Errorf("Deadline = %v, want none without timeoutMs", out.Park.Deadline)
	}
	if out.Park.MinApprovals != 1 || out.Park.TimeoutAction != "approve" {
		t.Errorf("wait = %+v, want minApprovals 1 and timeoutAction approve", out.Park)
	}
}

func TestExecuteRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  *runbook.ApprovalConfig
		want string
		code string
	}{
		{"no config", nil, `human-approval step "approve" has no approvers`, runbook.EINVALID},
		{"no approvers", &runbook.ApprovalConfig{MinApprovals: 1}, `human-approval step "approve" has no approvers`, runbook.EINVALID},
		{"min above approvers", &runbook.ApprovalConfig{Approvers: []string{"alice", "bob"}, MinApprovals: 3}, `minApprovals 3 exceeds the 2 approvers of step "approve"`, runbook.EINVALID},
		{
			"unauthorized approvers",
			&runbook.ApprovalConfig{Approvers: []string{"mallory", "alice", "eve"}, MinApprovals: 1},
			"approvers not authorized by the execution's legal basis: mallory, eve",
			runbook.EFORBIDDEN,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := approval.New().Execute(context.Background(), stepRequest(tt.cfg))
			if out.Park != nil || out.Err == nil {
				t.Fatalf("Execute = %+v, want a failure", out)
			}
			if out.Err.Message != tt.want || out.Err.Retryable || out.Err.Code != tt.code {
				t.Errorf("Err = %+v, want non-retryable %s %q", out.Err, tt.code, tt.want)
			}
		})
	}
}

func TestNoAuthorizedUsersRefusesEveryApprover(t *testing.T) {
	t.Parallel()
	req := stepRequest(&runbook.ApprovalConfig{Approvers: []string{"alice"}, MinApprovals: 1})
	req.Context = runbook.ExecutionContext{}.WithDefaults("alice")
	out := approval.New().Execute(context.Background(), req)
	if out.Err == nil || !strings.Contains(out.Err.Message, "alice") {
		t.Errorf("Execute = %+v, want alice refused", out)
	}
}

func TestTwoOfTwoApprove(t *testing.T) {
	t.Parallel()
	req := stepRequest(&runbook.ApprovalConfig{Approvers: []string{"alice", "bob"}, MinApprovals: 2})
	wait := park(t, req)
	out := decide(t, req, wait, approve("alice"), approve("bob"))
	if out == nil || out.Err != nil {
		t.Fatalf("outcome = %+v, want completed", out)
	}
	want := map[string]any{
		"approved":     true,
		"autoApproved": false,
		"approvals": []any{
			map[string]any{"approverId": "alice", "decision": "approved", "timestamp": "2025-03-04T05:07:07Z"},
			map[string]any{"approverId": "bob", "decision": "approved", "timestamp": "2025-03-04T05:07:07Z"},
		},
	}
	if !reflect.DeepEqual(out.Output, want) {
		t.Errorf("Output = %#v, want %#v", out.Output, want)
	}
}

func TestTwoRejectionsOfThreeFail(t *testing.T) {
	t.Parallel()
	req := stepRequest(&runbook.ApprovalConfig{Approvers: []string{"alice", "bob", "carol"}, MinApprovals: 2})
	wait := park(t, req)
	out := decide(t, req, wait, reject("alice"), reject("bob"))
	if out == nil || out.Err == nil {
		t.Fatalf("outcome = %+v, want failed", out)
	}
	want := "approval rejected: 2 of 3 approvers rejected, 2 approvals needed"
	if out.Err.Message != want || out.Err.Retryable || !strings.Contains(out.Err.Message, "rejected") {
		t.Errorf("Err = %+v, want non-retryable %q", out.Err, want)
	}
}

func TestDecisionsUntilTheOutcomeIsKnown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		approvers []string
		min       int
		decisions []runbook.Approval
		// want: "approved", "rejected" or "" (still waiting after all decisions)
		want string
	}{
		{"one of two suffices", []string{"alice", "bob"}, 1, []runbook.Approval{approve("bob")}, "approved"},
		{"rejection then approval", []string{"alice", "bob", "carol"}, 2, []runbook.Approval{reject("alice"), approve("bob"), approve("carol")}, "approved"},
		{"still reachable", []string{"alice", "bob", "carol"}, 2, []runbook.Approval{reject("alice"), approve("bob")}, ""},
		{"single rejection of a 2-of-2", []string{"alice", "bob"}, 2, []runbook.Approval{reject("bob")}, "rejected"},
		{"one rejection of one-of-two waits", []string{"alice", "bob"}, 1, []runbook.Approval{reject("alice")}, ""},
		{"both reject a one-of-two", []string{"alice", "bob"}, 1, []runbook.Approval{reject("alice"), reject("bob")}, "rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := stepRequest(&runbook.ApprovalConfig{Approvers: tt.approvers, MinApprovals: tt.min})
			wait := park(t, req)
			out := decide(t, req, wait, tt.decisions...)
			switch tt.want {
			case "":
				if out != nil {
					t.Errorf("outcome = %+v, want still waiting", out)
				}
			case "approved":
				if out == nil || out.Err != nil {
					t.Fatalf("outcome = %+v, want approved", out)
				}
				got := out.Output.(map[string]any)
				if got["approved"] != true || len(got["approvals"].([]any)) != len(tt.decisions) {
					t.Errorf("Output = %#v, want approved with every decision", got)
				}
			case "rejected":
				if out == nil || out.Err == nil || !strings.HasPrefix(out.Err.Message, "approval rejected: ") {
					t.Errorf("outcome = %+v, want rejected", out)
				}
			}
		})
	}
}

func TestOutputKeepsComments(t *testing.T) {
	t.Parallel()
	req := stepRequest(&runbook.ApprovalConfig{Approvers: []string{"alice", "bob"}, MinApprovals: 1})
	wait := park(t, req)
	a := approve("bob")
	a.Comments = "confirmed with the SOC lead"
	out := decide(t, req, wait, a)
	approvals := out.Output.(map[string]any)["approvals"].([]any)
	if approvals[0].(map[string]any)["comments"] != "confirmed with the SOC lead" {
		t.Errorf("approvals = %#v, want the comment kept", approvals)
	}
}

func TestHandleSignalRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  *runbook.Signal
		want string
		code string
	}{
		{"bad decision", &runbook.Signal{Kind: runbook.WaitApproval, Approval: &runbook.Approval{ApproverID: "bob", Decision: "maybe"}},
			`decision "maybe" is not "approved" or "rejected"`, runbook.EINVALID},
		{"not an approver", &runbook.Signal{Kind: runbook.WaitApproval, Approval: &runbook.Approval{ApproverID: "dave", Decision: runbook.Approved}},
			`user "dave" is not an approver of step "approve"`, runbook.EFORBIDDEN},
		{"already decided", &runbook.Signal{Kind: runbook.WaitApproval, Approval: &runbook.Approval{ApproverID: "alice", Decision: runbook.Approved}},
			`"alice" has already decided on step "approve"`, runbook.ECONFLICT},
		{"changing one's mind", &runbook.Signal{Kind: runbook.WaitApproval, Approval: &runbook.Approval{ApproverID: "alice", Decision: runbook.Rejected}},
			`"alice" has already decided on step "approve"`, runbook.ECONFLICT},
		{"no approver", &runbook.Signal{Kind: runbook.WaitApproval, Approval: &runbook.Approval{Decision: runbook.Approved}},
			"an approval decision needs an approverId", runbook.EINVALID},
		{"an event", &runbook.Signal{Kind: runbook.WaitEvent, Payload: map[string]any{}},
			`step "approve" waits for an approval decision`, runbook.EINVALID},
		{"no approval", &runbook.Signal{Kind: runbook.WaitApproval},
			`step "approve" waits for an approval decision`, runbook.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := stepRequest(&runbook.ApprovalConfig{Approvers: []string{"alice", "bob", "carol"}, MinApprovals: 3})
			wait := park(t, req)
			wait.Approvals = []runbook.Approval{approve("alice")}
			out, err := approval.New().HandleSignal(req, wait, tt.sig)
			if out != nil || err == nil {
				t.Fatalf("HandleSignal = %+v, %v; want refused", out, err)
			}
			if runbook.ErrorCode(err) != tt.code || runbook.ErrorMessage(err) != tt.want {
				t.Errorf("err = %s %q, want %s %q", runbook.ErrorCode(err), err, tt.code, tt.want)
			}
			if len(wait.Approvals) != 1 {
				t.Errorf("wait changed: %+v", wait.Approvals)
			}
		})
	}
}

func TestHandleSignalDoesNotChangeTheWait(t *testing.T) {
	t.Parallel()
	req := stepRequest(&runbook.ApprovalConfig{Approvers: []string{"alice", "bob", "carol"}, MinApprovals: 2})
	wait := park(t, req)
	wait.Approvals = make([]runbook.Approval, 1, 4)
	wait.Approvals[0] = approve("alice")
	before := wait.Approvals[:cap(wait.Approvals)][1]
	if _, err := approval.New().HandleSignal(req, wait, &runbook.Signal{Kind: runbook.WaitApproval, Approval: &runbook.Approval{ApproverID: "bob", Decision: runbook.Approved}}); err != nil {
		t.Fatal(err)
	}
	if len(wait.Approvals) != 1 || wait.Approvals[:cap(wait.Approvals)][1] != before {
		t.Errorf("HandleSignal wrote into the wait's approvals: %+v", wait.Approvals[:cap(wait.Approvals)])
	}
}

func TestHandleTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action   runbook.TimeoutAction
		wantOut  map[string]any
		wantErr  string
		wantCode string
	}{
		{runbook.TimeoutApprove, map[string]any{
			"approved": true, "autoApproved": true,
			"approvals": []any{map[string]any{"approverId": "alice", "decision": "approved", "timestamp": "2025-03-04T05:07:07Z"}},
		}, "", ""},
		{runbook.TimeoutFail, nil, "approval timed out after 1800000ms", runbook.ETIMEOUT},
		{"", nil, "approval timed out after 1800000ms", runbook.ETIMEOUT},
		{runbook.TimeoutReject, nil, "approval rejected: no decision within 1800000ms (timeoutAction reject)", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			t.Parallel()
			req := stepRequest(&runbook.ApprovalConfig{
				Approvers: []string{"alice", "bob", "carol"}, MinApprovals: 2,
				TimeoutMs: 1_800_000, TimeoutAction: tt.action,
			})
			wait := park(t, req)
			wait.Approvals = []runbook.Approval{approve("alice")}
			out := approval.New().HandleTimeout(req, wait)
			if tt.wantOut != nil {
				if out.Err != nil || !reflect.DeepEqual(out.Output, tt.wantOut) {
					t.Errorf("HandleTimeout = %+v, want output %#v", out, tt.wantOut)
				}
				return
			}
			if out.Err == nil || out.Err.Message != tt.wantErr || out.Err.Retryable || out.Err.Code != tt.wantCode {
				t.Errorf("Err = %+v, want non-retryable %q", out.Err, tt.wantErr)
			}
		})
	}
}

func TestHandleTimeoutReadsTheWait(t *testing.T) {
	t.Parallel()
	// Without the step's config, the timeout comes from the recorded wait.
	req := &runbook.StepRequest{StepID: "approve", Step: &runbook.Step{ID: "approve"}}
	wait := &runbook.WaitState{
		Info:  runbook.WaitInfo{Kind: runbook.WaitApproval, Deadline: now.Add(time.Minute), TimeoutAction: "reject"},
		Since: now,
	}
	out := approval.New().HandleTimeout(req, wait)
	if out.Err == nil || out.Err.Message != "approval rejected: no decision within 60000ms (timeoutAction reject)" {
		t.Errorf("Err = %+v", out.Err)
	}
}
