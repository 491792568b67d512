package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

// TestSQLitePragmasEveryConnection holds every connection the pool can
// open at once and checks each one's settings, then probes the lock mode:
// a transaction that only reads must already hold the write lock (BEGIN
// IMMEDIATE), so another connection's BEGIN IMMEDIATE with no busy wait
// gets SQLITE_BUSY at once.
func TestSQLitePragmasEveryConnection(t *testing.T) {
	s := newSQLiteDB(t, clock.NewFake(t0)).open(t)
	ctx := context.Background()
	db := storage.SQLDB(s)
	n := db.Stats().MaxOpenConnections
	if n < 2 {
		t.Fatalf("max open connections = %d, want >= 2 for the probe", n)
	}
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.Conn(ctx)
		mustNoErr(t, err)
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		var mode string
		var sync, busy, fk int
		mustNoErr(t, c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		mustNoErr(t, c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
		mustNoErr(t, c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		mustNoErr(t, c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
		if mode != "wal" || sync != 2 || busy < 5000 || fk != 1 {
			t.Errorf("conn %d: journal_mode=%s synchronous=%d busy_timeout=%d foreign_keys=%d; want wal 2 >=5000 1",
				i, mode, sync, busy, fk)
		}
	}

	tx, err := conns[0].BeginTx(ctx, nil)
	mustNoErr(t, err)
	var units int
	mustNoErr(t, tx.QueryRowContext(ctx, "SELECT count(*) FROM units").Scan(&units))
	other := conns[1]
	_, err = other.ExecContext(ctx, "PRAGMA busy_timeout = 0")
	mustNoErr(t, err)
	_, err = other.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil || !strings.Contains(err.Error(), "locked") {
		_, _ = other.ExecContext(ctx, "ROLLBACK")
		t.Errorf("BEGIN IMMEDIATE beside a read-only transaction: err = %v, want database is locked (BUSY): "+
			"transactions are not starting IMMEDIATE", err)
	}
	mustNoErr(t, tx.Rollback())
	// Control: with the lock released the same statement succeeds, so
	// the failure above was the lock and nothing else.
	_, err = other.ExecContext(ctx, "BEGIN IMMEDIATE")
	mustNoErr(t, err)
	_, err = other.ExecContext(ctx, "ROLLBACK")
	mustNoErr(t, err)
	_, err = other.ExecContext(ctx, "PRAGMA busy_timeout = 10000")
	mustNoErr(t, err)
}

// TestBackup takes a live backup with VACUUM INTO while writers run and
// checks that the file opens, passes integrity_check and holds the data.
// On PostgreSQL Backup must refuse with errors.ErrUnsupported.
func TestBackup(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	dest := filepath.Join(t.TempDir(), "backup", "dudao-2027.db")
	if s.Driver() == storage.DriverPostgres {
		err := s.Backup(ctx, dest)
		wantErr(t, err, errors.ErrUnsupported)
		return
	}
	for range 5 {
		mustAdd(t, s, sub("czj", rules.StageSelfAssessment, t0))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.AddSubmission(ctx, sub("jyj", rules.StageSelfAssessment, t0), "x", nil); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
		}
	}()
	mustNoErr(t, s.Backup(ctx, dest))
	// A second backup replaces the first atomically.
	mustNoErr(t, s.Backup(ctx, dest))
	close(stop)
	wg.Wait()

	raw, err := sql.Open("sqlite3", "file:"+dest+"?mode=ro")
	mustNoErr(t, err)
	defer raw.Close()
	var ok string
	mustNoErr(t, raw.QueryRow("PRAGMA integrity_check").Scan(&ok))
	if ok != "ok" {
		t.Fatalf("integrity_check = %q", ok)
	}
	var n int
	mustNoErr(t, raw.QueryRow("SELECT count(*) FROM submissions WHERE unit_key = 'czj'").Scan(&n))
	if n != 5 {
		t.Errorf("backup has %d czj submissions, want 5", n)
	}
	matches, _ := filepath.Glob(dest + ".tmp-*")
	if len(matches) != 0 {
		t.Errorf("temp files left: %v", matches)
	}
	// The backup opens as a store (migration is a no-op on it).
	b, err := storage.Open(ctx, storage.Options{Path: dest, Now: clock.NewFake(t0).Now})
	mustNoErr(t, err)
	defer b.Close()
	subs, err := b.Submissions(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(subs) != 5 || subs[4].Version != 5 {
		t.Errorf("backup submissions = %d (last v%d), want 5", len(subs), subs[len(subs)-1].Version)
	}
}

// TestContention runs 16 goroutines × 100 read-then-write transactions
// (AddSubmission reads the max version, then inserts) on ONE key, beside 4
// readers of the overview. Every one must succeed, and the versions must be
// exactly 1..1600: no BUSY error, no lost update, no duplicate.
func TestContention(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	const writers, each = 16, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	for range 4 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.UnitYears(ctx, 2027); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				sb := sub("czj", rules.StageSelfAssessment, t0)
				sb.Official = string(rune('A' + w))
				if _, err := s.AddSubmission(ctx, sb, "load", receipt("财政-张三")); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	elapsed := time.Since(start)
	var n int
	for err := range errs {
		if n < 5 {
			t.Errorf("transaction failed: %v", err)
		}
		n++
	}
	if n > 0 {
		t.Fatalf("%d of %d transactions failed", n, writers*each)
	}
	subs, err := s.Submissions(ctx, 2027, "czj")
	mustNoErr(t, err)
	if len(subs) != writers*each {
		t.Fatalf("%d submissions, want %d", len(subs), writers*each)
	}
	for i, sb := range subs {
		if sb.Version != i+1 {
			t.Fatalf("version at %d = %d, want %d", i, sb.Version, i+1)
		}
	}
	out, err := s.Outbox(ctx, rules.OutboxPending)
	mustNoErr(t, err)
	if len(out) != writers*each {
		t.Errorf("%d receipts queued, want %d", len(out), writers*each)
	}
	t.Logf("%d transactions in %v (%.0f tx/s)", writers*each, elapsed, float64(writers*each)/elapsed.Seconds())
}
