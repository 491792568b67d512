package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
)

// TestWriteLockedByAnotherProcess: while another connection (another
// process, as the sqlite3 CLI would be) holds the write lock, a write waits
// its busy timeout and then fails marked rules.ErrStoreBusy, recording
// nothing; once the lock is released the same write succeeds, once.
func TestWriteLockedByAnotherProcess(t *testing.T) {
	db := newSQLiteDB(t, clock.NewFake(t0))
	s := db.open(t)
	ctx := context.Background()
	other, err := sql.Open("sqlite3", "file:"+db.opts.Path+"?_busy_timeout=60000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	k := rules.InboundKey{Sender: "czj-zhang", MsgID: "m1", CreateTime: 1}
	_, err = s.RecordInbound(ctx, k, rules.MsgText, "状态", t0)
	if !errors.Is(err, rules.ErrStoreBusy) {
		t.Fatalf("write under another's lock = %v, want rules.ErrStoreBusy", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	isNew, err := s.RecordInbound(ctx, k, rules.MsgText, "状态", t0.Add(time.Minute))
	if err != nil || !isNew {
		t.Fatalf("write after release = %v, %v; want new, nil", isNew, err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM inbound WHERE msg_id = 'm1'").Scan(&n); err != nil || n != 1 {
		t.Errorf("inbound rows = %d, %v; want 1", n, err)
	}
}
