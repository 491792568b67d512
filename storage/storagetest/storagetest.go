// Package storagetest opens real stores for tests in any package: a SQLite
// file under tb.TempDir(), or — when DUDAO_TEST_PG_DSN is set (scripts/test
// and CI always set it) — a fresh PostgreSQL schema of its own, dropped at
// cleanup. Tests that must hold on both drivers loop over Drivers.
package storagetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, to create and drop the per-test schemas

	"dudaobot/storage"
)

// PGEnv names the environment variable holding the PostgreSQL DSN.
const PGEnv = "DUDAO_TEST_PG_DSN"

// Drivers lists the drivers to run a suite on: SQLite always, PostgreSQL
// too when PGEnv is set.
func Drivers() []string {
	if os.Getenv(PGEnv) != "" {
		return []string{storage.DriverSQLite, storage.DriverPostgres}
	}
	return []string{storage.DriverSQLite}
}

// Options returns the options of a fresh, empty database on driver. Opening
// them twice opens the same data, as a restart would.
func Options(tb testing.TB, driver string, now func() time.Time) storage.Options {
	tb.Helper()
	o := storage.Options{Driver: driver, Now: now}
	switch driver {
	case storage.DriverPostgres:
		dsn := os.Getenv(PGEnv)
		if dsn == "" {
			tb.Fatalf("storagetest: %s is not set", PGEnv)
		}
		o.DSN = SchemaDSN(tb, dsn)
	default:
		o.Driver, o.Path = storage.DriverSQLite, filepath.Join(tb.TempDir(), "dudao.db")
	}
	return o
}

// SchemaDSN creates a fresh schema on the server of dsn (dropped at
// cleanup) and returns dsn with that schema as its search_path, in either
// DSN form (keyword/value or URL).
func SchemaDSN(tb testing.TB, dsn string) string {
	tb.Helper()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "dudao_test_" + hex.EncodeToString(rnd[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("storagetest: pg: %v", err)
	}
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("storagetest: pg: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("storagetest: pg: drop schema: %v", err)
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
