package storage

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"dudaobot/rules"
)

// TestErrorClass: the driver failures that mean "cannot write now" come out
// of wrap marked with the rules' named error, the driver error still
// wrapped; others stay unmarked. (SQLite busy and PostgreSQL unreachable run for real in
// TestWriteFailureClassified.)
func TestErrorClass(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want error // nil: no class
	}{
		{"sqlite full", sqlite3.Error{Code: sqlite3.ErrFull}, rules.ErrDiskFull},
		{"sqlite write error, no space", sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.ENOSPC}, rules.ErrDiskFull},
		{"sqlite write error", sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.EIO}, nil},
		{"sqlite busy", sqlite3.Error{Code: sqlite3.ErrBusy}, rules.ErrStoreBusy},
		{"sqlite locked", sqlite3.Error{Code: sqlite3.ErrLocked}, rules.ErrStoreBusy},
		{"sqlite cannot open", sqlite3.Error{Code: sqlite3.ErrCantOpen}, rules.ErrStoreUnavailable},
		{"sqlite constraint", sqlite3.Error{Code: sqlite3.ErrConstraint}, nil},
		{"pg disk full", &pgconn.PgError{Code: "53100"}, rules.ErrDiskFull},
		{"pg lock timeout", &pgconn.PgError{Code: "55P03"}, rules.ErrStoreBusy},
		{"pg admin shutdown", &pgconn.PgError{Code: "57P01"}, rules.ErrStoreUnavailable},
		{"pg connection failure", &pgconn.PgError{Code: "08006"}, rules.ErrStoreUnavailable},
		{"pg unique violation", &pgconn.PgError{Code: "23505"}, nil},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, rules.ErrStoreUnavailable},
		{"bad connection", driver.ErrBadConn, rules.ErrStoreUnavailable},
		{"no space", fmt.Errorf("write wal: %w", syscall.ENOSPC), rules.ErrDiskFull},
		{"other", errors.New("something else"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := wrap("record inbound", c.err)
			if !errors.Is(got, c.err) && !errors.Is(got, errors.Unwrap(c.err)) {
				t.Errorf("wrap lost the driver error: %v", got)
			}
			for _, class := range []error{rules.ErrDiskFull, rules.ErrStoreBusy, rules.ErrStoreUnavailable} {
				if is := errors.Is(got, class); is != (class == c.want) {
					t.Errorf("errors.Is(%v, %v) = %v", got, class, is)
				}
			}
		})
	}
}
