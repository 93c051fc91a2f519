package storetest

import (
	"testing"

	"github.com/runbookhq/runbook"
)

func runbookTests() []test {
	return []test{
		{"Runbook/PutGet", testRunbookPutGet},
		{"Runbook/PutSameContent", testRunbookPutSameContent},
		{"Runbook/PutOtherContent", testRunbookPutOtherContent},
		{"Runbook/PutInvalid", testRunbookPutInvalid},
		{"Runbook/ListVersions", testRunbookListVersions},
		{"Runbook/List", testRunbookList},
	}
}

func testRunbookPutGet(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	rec := newRunbook("triage", "1.0.0", at(0))
	got, err := s.PutRunbook(ctx, rec)
	noErr(t, err)
	equal(t, "PutRunbook", got, rec)

	got, err = s.GetRunbook(ctx, "triage", "1.0.0")
	noErr(t, err)
	equal(t, "GetRunbook", got, rec)

	_, err = s.GetRunbook(ctx, "triage", "2.0.0")
	wantError(t, err, runbook.ENOTFOUND, `runbook "triage" version "2.0.0" not found`)
	_, err = s.GetRunbook(ctx, "other", "1.0.0")
	wantError(t, err, runbook.ENOTFOUND, `runbook "other" version "1.0.0" not found`)
}

func testRunbookPutSameContent(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	first := newRunbook("triage", "1.0.0", at(0))
	_, err := s.PutRunbook(ctx, first)
	noErr(t, err)

	again := newRunbook("triage", "1.0.0", at(60))
	again.Name = "renamed"
	got, err := s.PutRunbook(ctx, again)
	noErr(t, err)
	equal(t, "PutRunbook of the same content returns the stored record", got, first)

	versions, err := s.ListRunbookVersions(ctx, "triage")
	noErr(t, err)
	equal(t, "versions", versions, summaries(first))
}

func testRunbookPutOtherContent(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	first := newRunbook("triage", "1.0.0", at(0))
	_, err := s.PutRunbook(ctx, first)
	noErr(t, err)

	other := newRunbook("triage", "1.0.0", at(60))
	other.Definition = []byte(`{"id":"triage","version":"1.0.0","steps":[{"id":"x"}]}`)
	other.Hash = "0000"
	_, err = s.PutRunbook(ctx, other)
	wantError(t, err, runbook.ECONFLICT, `runbook "triage" version "1.0.0" already exists with different content`)

	got, err := s.GetRunbook(ctx, "triage", "1.0.0")
	noErr(t, err)
	equal(t, "stored record after a refused put", got, first)
}

func testRunbookPutInvalid(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	_, err := s.PutRunbook(ctx, newRunbook("", "1.0.0", at(0)))
	wantCode(t, err, runbook.EINVALID)
	_, err = s.PutRunbook(ctx, newRunbook("triage", "", at(0)))
	wantCode(t, err, runbook.EINVALID)
	all, err := s.ListRunbooks(ctx)
	noErr(t, err)
	equal(t, "runbooks after invalid puts", all, []*runbook.RunbookRecord{})
}

func testRunbookListVersions(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	v2 := newRunbook("triage", "2.0.0", at(20))
	v1 := newRunbook("triage", "1.0.0", at(10))
	v3 := newRunbook("triage", "3.0.0", at(20)) // same time as v2, stored after it
	other := newRunbook("other", "1.0.0", at(0))
	for _, r := range []*runbook.RunbookRecord{v2, v1, v3, other} {
		_, err := s.PutRunbook(ctx, r)
		noErr(t, err)
	}
	got, err := s.ListRunbookVersions(ctx, "triage")
	noErr(t, err)
	equal(t, "versions oldest first, then in insertion order, without definitions", got, summaries(v1, v2, v3))

	_, err = s.ListRunbookVersions(ctx, "missing")
	wantCode(t, err, runbook.ENOTFOUND)
}

func testRunbookList(t *testing.T, s runbook.Store) {
	ctx := t.Context()
	all, err := s.ListRunbooks(ctx)
	noErr(t, err)
	equal(t, "empty store", all, []*runbook.RunbookRecord{})

	b1 := newRunbook("b", "1.0.0", at(0))
	a2 := newRunbook("a", "2.0.0", at(10))
	a1 := newRunbook("a", "1.0.0", at(20))
	for _, r := range []*runbook.RunbookRecord{b1, a2, a1} {
		_, err := s.PutRunbook(ctx, r)
		noErr(t, err)
	}
	all, err = s.ListRunbooks(ctx)
	noErr(t, err)
	equal(t, "ListRunbooks by id then creation, without definitions", all, summaries(a2, a1, b1))
}

// summaries returns copies of rs without their definitions, as the lists
// return them.
func summaries(rs ...*runbook.RunbookRecord) []*runbook.RunbookRecord {
	out := make([]*runbook.RunbookRecord, len(rs))
	for i, r := range rs {
		c := *r
		c.Definition = nil
		out[i] = &c
	}
	return out
}
