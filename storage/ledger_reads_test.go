package storage_test

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/export"
	"dudaobot/rules"
)

// readLog is an export.Store that notes each read it passes on.
type readLog struct {
	export.Store
	calls []string
}

func (r *readLog) note(format string, args ...any) {
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

func (r *readLog) UnitNames(ctx context.Context) (map[string]string, error) {
	r.note("UnitNames")
	return r.Store.UnitNames(ctx)
}

func (r *readLog) UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error) {
	r.note("UnitYears(%d)", year)
	return r.Store.UnitYears(ctx, year)
}

func (r *readLog) Submissions(ctx context.Context, year int, unitKey string) ([]rules.Submission, error) {
	r.note("Submissions(%d, %q)", year, unitKey)
	return r.Store.Submissions(ctx, year, unitKey)
}

func (r *readLog) Indicators(ctx context.Context) ([]rules.Indicator, error) {
	r.note("Indicators")
	return r.Store.Indicators(ctx)
}

func (r *readLog) Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error) {
	r.note("Calendar(%d, %s)", year, loc)
	return r.Store.Calendar(ctx, year, loc)
}

func (r *readLog) Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error) {
	r.note("Problems(%d, %q)", year, unitKey)
	return r.Store.Problems(ctx, year, unitKey)
}

func (r *readLog) ReportChecks(ctx context.Context, year int) (map[string]rules.SavedReportCheck, error) {
	r.note("ReportChecks(%d)", year)
	return r.Store.ReportChecks(ctx, year)
}

// TestLedgerReadsAreTheLedgers holds BenchmarkScale's ExportReads (goal
// 6a: the export's reads ≤ 2 × the SQL reading the same data) to what
// the ledger reads: the same store calls with the same arguments, in the
// same order. Should the ledger read more, this fails until the benchmark
// and its hand-written SQL read it too.
func TestLedgerReadsAreTheLedgers(t *testing.T) {
	s := MustOpen(t)
	mustAdd(t, s, sub("czj", rules.StageSelfAssessment, t0))
	ledger := &readLog{Store: s}
	l := &export.Ledger{Store: ledger, Clock: clock.NewFake(t0), Location: shanghai}
	mustNoErr(t, l.WriteLedger(ctx, 2027, io.Discard))
	bench := &readLog{Store: s}
	mustNoErr(t, ledgerReads(ctx, bench, 2027))
	if len(ledger.calls) == 0 || !reflect.DeepEqual(bench.calls, ledger.calls) {
		t.Errorf("the benchmark reads\n %q\nthe ledger reads\n %q", bench.calls, ledger.calls)
	}
}
