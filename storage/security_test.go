package storage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"dudaobot/clock"
	"dudaobot/storage"
)

// TestSQLiteVersionHasSecurityFixes asserts the bundled SQLite is 3.50.2 or
// later: older releases carry CVE-2025-29087 (concat_ws overflow) and
// CVE-2025-6965 (aggregate column overflow). go-sqlite3 v1.14.22 bundled
// 3.45.1.
func TestSQLiteVersionHasSecurityFixes(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	var v string
	mustNoErr(t, storage.SQLDB(s).QueryRow("select sqlite_version()").Scan(&v))
	if !versionAtLeast(v, 3, 50, 2) {
		t.Fatalf("sqlite_version() = %s, want >= 3.50.2", v)
	}
	t.Logf("sqlite_version() = %s", v)
}

func versionAtLeast(v string, want ...int) bool {
	parts := strings.Split(v, ".")
	for i, w := range want {
		if i >= len(parts) {
			return false
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return false
		}
		if n != w {
			return n > w
		}
	}
	return true
}

// TestFileModesPrivate opens a database in a folder that does not exist yet,
// writes through the WAL, and backs it up, all under umask 0 (the modes must
// not depend on the umask): the folders are 0700, the database, its -wal
// and -shm files and the backup 0600.
func TestFileModesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	base := t.TempDir()
	dbPath := filepath.Join(base, "state", "dudao.db")
	s := testDBAt(t, dbPath).open(t)
	seed(t, s)
	ctx := context.Background()
	backup := filepath.Join(base, "backups", "dudao-1.db")
	mustNoErr(t, s.Backup(ctx, backup))

	want := map[string]os.FileMode{
		filepath.Dir(dbPath): 0o700,
		dbPath:               0o600,
		dbPath + "-wal":      0o600,
		dbPath + "-shm":      0o600,
		filepath.Dir(backup): 0o700,
		backup:               0o600,
	}
	for p, m := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := fi.Mode().Perm(); got != m {
			t.Errorf("%s: mode %o, want %o", p, got, m)
		}
	}
}

// TestFileModesTightenedAtOpen: a database an older version left 0644 is
// 0600 after the next start.
func TestFileModesTightenedAtOpen(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "dudao.db")
	mustNoErr(t, os.WriteFile(dbPath, nil, 0o644))
	mustNoErr(t, os.Chmod(dbPath, 0o644))
	testDBAt(t, dbPath).open(t)
	fi, err := os.Stat(dbPath)
	mustNoErr(t, err)
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("mode after open %o, want 600", got)
	}
}

func testDBAt(t *testing.T, path string) testDB {
	return testDB{storage.Options{Driver: storage.DriverSQLite, Path: path, Now: clock.NewFake(t0).Now}}
}

// TestSQLLoggerOmitsValues makes a statement with a bound value fail and
// checks that the logged statement shows the placeholder, never the value.
func TestSQLLoggerOmitsValues(t *testing.T) {
	var buf bytes.Buffer
	o := testDBAt(t, filepath.Join(t.TempDir(), "dudao.db")).opts
	o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	s, err := storage.Open(context.Background(), o)
	mustNoErr(t, err)
	defer s.Close()
	const secret = "c0dehash-5ecret-value"
	err = storage.ExecLogged(context.Background(), s, "INSERT INTO no_such_table (code_hash) VALUES (?)", secret)
	if err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	logs := buf.String()
	if !strings.Contains(logs, "sql failed") || !strings.Contains(logs, "no_such_table") {
		t.Fatalf("the failed statement was not logged:\n%s", logs)
	}
	if strings.Contains(logs, secret) {
		t.Fatalf("the log carries the bound value:\n%s", logs)
	}
	if !strings.Contains(logs, "VALUES (?)") {
		t.Errorf("the logged statement lost its placeholder:\n%s", logs)
	}
}

// TestCalendarCancelledContextNoPanic: the first calendar read of a store
// with an already cancelled context (a shutdown racing a reminder sweep)
// returns the context's error; through gorm's prepared Row it panicked with
// a nil pointer in database/sql.
func TestCalendarCancelledContextNoPanic(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	seed(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Calendar(ctx, 2027, shanghai)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Calendar with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.Calendar(context.Background(), 2027, shanghai); err != nil {
		t.Fatalf("Calendar afterwards: %v", err)
	}
}
