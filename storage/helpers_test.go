package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/storage"
	"dudaobot/storage/storagetest"
)

// pgEnv names the environment variable that switches the suite to
// PostgreSQL. Unset, every test runs on a real SQLite file.
const pgEnv = storagetest.PGEnv

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// t0 is the fixed time of the fake clock: 27 Feb 2027, 09:00 in Shanghai,
// two days before the self-assessment deadline.
var t0 = time.Date(2027, 2, 27, 9, 0, 0, 0, shanghai)

// testDB says where a test database lives; reopening the same testDB opens
// the same data.
type testDB struct {
	opts storage.Options
}

// newTestDB makes a fresh database: a file in tb.TempDir() or, when
// DUDAO_TEST_PG_DSN is set, a schema of its own on that server (dropped at
// cleanup).
func newTestDB(tb testing.TB, clk *clock.Fake) testDB {
	tb.Helper()
	o := storage.Options{Now: clk.Now}
	if dsn := os.Getenv(pgEnv); dsn != "" {
		o.Driver, o.DSN = storage.DriverPostgres, storagetest.SchemaDSN(tb, dsn)
		return testDB{o}
	}
	o.Driver, o.Path = storage.DriverSQLite, filepath.Join(tb.TempDir(), "dudao.db")
	return testDB{o}
}

// newSQLiteDB is newTestDB for the tests about SQLite itself (pragmas,
// locking, backup files), which run on SQLite whatever the environment.
func newSQLiteDB(tb testing.TB, clk *clock.Fake) testDB {
	return testDB{storage.Options{Driver: storage.DriverSQLite, Path: filepath.Join(tb.TempDir(), "dudao.db"), Now: clk.Now}}
}

func (d testDB) open(tb testing.TB) *storage.Store {
	tb.Helper()
	s, err := storage.Open(context.Background(), d.opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

// MustOpen opens a fresh store (SQLite file, or PostgreSQL schema when
// DUDAO_TEST_PG_DSN is set) whose clock is fixed at t0, with the test
// roster and the 2027 calendar loaded.
func MustOpen(tb testing.TB) *storage.Store {
	tb.Helper()
	s, _ := MustOpenClock(tb)
	return s
}

// MustOpenClock is MustOpen that also returns the fake clock to move.
func MustOpenClock(tb testing.TB) (*storage.Store, *clock.Fake) {
	tb.Helper()
	clk := clock.NewFake(t0)
	s := newTestDB(tb, clk).open(tb)
	seed(tb, s)
	return s, clk
}

var testUnits = []rules.Unit{
	{Key: "czj", Name: "县财政局", Aliases: []string{"财政局", "财政"}, SortOrder: 1,
		Officials: []rules.Official{{Name: "张三", WeChatRemark: "财政-张三"}},
		Backup:    &rules.Official{Name: "李四", WeChatRemark: "财政-李四"}},
	{Key: "jyj", Name: "县教育局", SortOrder: 2,
		Officials: []rules.Official{{Name: "王五", WeChatRemark: "教育-王五"}, {Name: "赵六", WeChatRemark: "教育-赵六"}}},
	{Key: "rsj", Name: "县人社局", SortOrder: 3,
		Officials: []rules.Official{{Name: "钱七", WeChatRemark: "人社-钱七"}}},
}

var testDirectors = []rules.Director{{Name: "孙主任", WeChatRemark: "督导办-孙主任"}}

var cal2027 = rules.Calendar{
	Year:                  2027,
	Location:              shanghai,
	SelfAssessmentDue:     rules.Date{Year: 2027, Month: time.March, Day: 1},
	InspectionStart:       rules.Date{Year: 2027, Month: time.April, Day: 10},
	InspectionEnd:         rules.Date{Year: 2027, Month: time.April, Day: 20},
	FeedbackDays:          14,
	RectificationPlanDays: 7,
}

func seed(tb testing.TB, s *storage.Store) {
	tb.Helper()
	ctx := context.Background()
	if err := s.SyncRoster(ctx, testUnits, testDirectors); err != nil {
		tb.Fatalf("sync roster: %v", err)
	}
	if err := s.EnsureYear(ctx, cal2027); err != nil {
		tb.Fatalf("ensure year: %v", err)
	}
}

// receipt builds the receipt outs func the handlers pass to AddSubmission.
func receipt(to string) func(rules.Submission) []rules.Outgoing {
	return func(saved rules.Submission) []rules.Outgoing {
		return []rules.Outgoing{{
			Key:  fmt.Sprintf("receipt:%d", saved.ID),
			Kind: "receipt",
			To:   rules.Recipient{Remark: to},
			Text: fmt.Sprintf("已收到%s第%d版，回执号 R-%d。", saved.Stage.Label(), saved.Version, saved.ID),
		}}
	}
}

func sub(unit string, stage rules.Stage, at time.Time) rules.Submission {
	return rules.Submission{
		Year: 2027, UnitKey: unit, Stage: stage, Official: "张三", OriginalName: "自查报告.docx",
		StoredPath: "ab/abcdef.docx", Size: 1234, SHA256: strings.Repeat("ab", 32), ReceivedAt: at, OnTime: true,
	}
}

func mustAdd(tb testing.TB, s *storage.Store, sb rules.Submission) rules.Submission {
	tb.Helper()
	got, err := s.AddSubmission(context.Background(), sb, "财政-张三", receipt("财政-张三"))
	if err != nil {
		tb.Fatalf("add submission: %v", err)
	}
	return got
}

func mustNoErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("err = %v, want %v", err, target)
	}
}

// hangGuard returns a context that ends shortly before the test's own
// deadline (go test -timeout). A wait on progress uses it only to fail a hung
// test with a clear message: it never asserts speed.
func hangGuard(t *testing.T) context.Context { return testutil.HangGuard(t) }
