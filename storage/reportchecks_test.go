package storage_test

import (
	"testing"

	"dudaobot/rules"
)

// TestReportChecks: one read returns the year's saved checks by unit key,
// not another year's nor other state; a value that does not decode is an
// error naming its key.
func TestReportChecks(t *testing.T) {
	s := MustOpen(t)
	put := func(key string, c rules.SavedReportCheck) {
		t.Helper()
		v, err := c.Encode()
		mustNoErr(t, err)
		mustNoErr(t, s.PutState(ctx, key, v))
	}
	czj := rules.SavedReportCheck{SubmissionID: 7, Version: 2, Check: rules.ReportCheck{Chars: 900, MissingParts: []rules.ReportPart{rules.PartProblems}}}
	put(rules.ReportCheckKey(2027, "czj"), czj)
	put(rules.ReportCheckKey(2027, "jyj"), rules.SavedReportCheck{SubmissionID: 8, Version: 1})
	put(rules.ReportCheckKey(2026, "rsj"), rules.SavedReportCheck{SubmissionID: 1, Version: 1})
	mustNoErr(t, s.PutState(ctx, "login", "x"))

	got, err := s.ReportChecks(ctx, 2027)
	mustNoErr(t, err)
	if len(got) != 2 || got["czj"].Version != 2 || got["czj"].SubmissionID != 7 || got["jyj"].SubmissionID != 8 {
		t.Fatalf("ReportChecks(2027) = %+v", got)
	}
	if m := got["czj"].Check.MissingParts; len(m) != 1 || m[0] != rules.PartProblems {
		t.Errorf("czj missing parts %v", m)
	}
	mustNoErr(t, s.PutState(ctx, rules.ReportCheckKey(2027, "rsj"), "{not json"))
	if _, err := s.ReportChecks(ctx, 2027); err == nil {
		t.Fatal("a value that does not decode was accepted")
	}
}
