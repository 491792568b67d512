package scheduler_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/outbox"
	"dudaobot/rules"
	"dudaobot/scheduler"
	"dudaobot/storage"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" for creating the test schema
)

// TestYearSimulationPostgres plays the same year as TestYearSimulation (the
// same script, jobs, relay and restarts) on PostgreSQL, in a schema of its
// own, and requires the identical message sequence: testdata/year.golden.
// It runs when DUDAO_TEST_PG_DSN is set (.ci/run always sets it).
func TestYearSimulationPostgres(t *testing.T) {
	dsn := os.Getenv("DUDAO_TEST_PG_DSN")
	if dsn == "" {
		t.Skip("DUDAO_TEST_PG_DSN not set (see scripts/pg-start)")
	}
	want, err := os.ReadFile("testdata/year.golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, restarts := range []map[string]bool{
		nil,
		{
			"2027-02-28 08:00 sweep":    true,
			"2027-03-04 10:00 sweep":    true,
			"2027-05-12 15:00 feedback": true,
		},
	} {
		all := runYearPG(t, pgYearSchema(t, dsn), restarts)
		checkNoDuplicates(t, all)
		if got := render(t, all); got != string(want) {
			t.Errorf("PostgreSQL year (%d restarts) differs from testdata/year.golden:\n%s", len(restarts), firstDiff(string(want), got))
		}
	}
}

// runYearPG is runYear on a PostgreSQL-backed world.
func runYearPG(t *testing.T, dsn string, restartAfter map[string]bool) []sent {
	w := newPGWorld(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), dsn)
	restarts := 0
	for _, e := range script(w) {
		w.set(e.at)
		e.do(w)
		if restartAfter[e.at.Format("2006-01-02 15:04")+" "+e.name] {
			if err := w.st.Close(); err != nil {
				t.Fatal(err)
			}
			openPG(w, dsn)
			w.sweep()
			restarts++
		}
	}
	if restarts != len(restartAfter) {
		t.Fatalf("restarted %d times, want %d", restarts, len(restartAfter))
	}
	if pending, _ := w.st.Outbox(context.Background(), rules.OutboxPending); len(pending) != 0 {
		t.Errorf("%d messages never sent", len(pending))
	}
	return w.tr.all()
}

// newPGWorld is newWorld with the store on PostgreSQL.
func newPGWorld(t *testing.T, start time.Time, dsn string) *world {
	t.Helper()
	cfg := loadConfig(t)
	w := &world{
		t: t, cfg: cfg, pol: policyOf(t, cfg), loc: cfg.Location(),
		dbPath: filepath.Join(t.TempDir(), "unused.db"),
		clk:    clock.NewFake(start.In(cfg.Location())),
		logs:   &strings.Builder{},
	}
	w.tr = &recorder{clk: w.clk, online: true}
	openPG(w, dsn)
	if err := w.st.SyncRoster(context.Background(), cfg.Units(), cfg.Directors()); err != nil {
		t.Fatal(err)
	}
	if err := w.st.EnsureYear(context.Background(), cfg.Calendar()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.st.Close() })
	return w
}

// openPG is world.open on PostgreSQL: store, relay and scheduler.
func openPG(w *world, dsn string) {
	t := w.t
	t.Helper()
	st, err := storage.Open(context.Background(), storage.Options{Driver: storage.DriverPostgres, DSN: dsn, Now: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.st = st
	log := slog.New(slog.NewTextHandler(&syncWriter{b: w.logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var directors []string
	for _, d := range w.cfg.Directors() {
		directors = append(directors, d.WeChatRemark)
	}
	w.relay = outbox.New(outbox.Options{
		Store: st, Transport: w.tr, Clock: w.clk, Logger: log, Location: w.loc,
		Interval: w.cfg.WeChat.SendInterval.Duration, Jitter: w.cfg.WeChat.SendJitter.Duration,
		DailyCap: w.cfg.WeChat.DailyCapPerPerson, Directors: directors,
		Rand: func() float64 { return 0.5 },
		Sleep: func(_ context.Context, d time.Duration) error {
			w.clk.Advance(d)
			return nil
		},
	})
	s, err := scheduler.New(scheduler.Options{
		Store: st, Relay: w.relay, Clock: w.clk, Logger: log, Location: w.loc,
		Year: w.cfg.Cycle.Year, Policy: w.pol, Directors: w.cfg.Directors(),
		GroupDigest: w.cfg.Reminders.GroupDigest,
		BackupsDir:  filepath.Join(filepath.Dir(w.dbPath), "backups"), BackupKeep: w.cfg.Reminders.BackupKeep,
		Specs: scheduler.Specs{
			Sweep: w.cfg.Reminders.SweepCron, Digest: w.cfg.Reminders.DigestCron,
			Outbox: w.cfg.Reminders.OutboxCron, Backup: w.cfg.Reminders.BackupCron,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sched = s
}

// pgYearSchema creates a fresh schema (dropped at cleanup) and returns dsn
// with its search_path, as the storage suite does.
func pgYearSchema(t *testing.T, dsn string) string {
	t.Helper()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "dudao_year_" + hex.EncodeToString(rnd[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("pg: %v", err)
	}
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("pg: create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("pg: drop schema: %v", err)
		}
		_ = db.Close()
	})
	switch {
	case strings.Contains(dsn, "://") && strings.Contains(dsn, "?"):
		return dsn + "&search_path=" + schema
	case strings.Contains(dsn, "://"):
		return dsn + "?search_path=" + schema
	}
	return dsn + " search_path=" + schema
}
