package storage

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"dudaobot/rules"
)

// classify marks the driver failures that mean "the database cannot be
// written right now" with the rules' named errors (rules.ErrDiskFull,
// rules.ErrStoreBusy, rules.ErrStoreUnavailable), so that the app can tell
// the office in plain words what is wrong without reading driver text (which
// may carry a DSN). The driver error stays wrapped for the logs. Any other
// error is returned as it is.
func classify(err error) error {
	if class := errorClass(err); class != nil {
		return fmt.Errorf("%w: %w", class, err)
	}
	return err
}

func errorClass(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		if se.SystemErrno == syscall.ENOSPC { // an I/O error of a write for want of space
			return rules.ErrDiskFull
		}
		switch se.Code {
		case sqlite3.ErrFull:
			return rules.ErrDiskFull
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return rules.ErrStoreBusy
		case sqlite3.ErrCantOpen:
			return rules.ErrStoreUnavailable
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100": // disk_full
			return rules.ErrDiskFull
		case pe.Code == "55P03", pe.Code == "57014": // lock_not_available, query_canceled (lock/statement timeout)
			return rules.ErrStoreBusy
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"): // connection exceptions, server shutting down
			return rules.ErrStoreUnavailable
		}
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) {
		return rules.ErrDiskFull
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.ErrUnexpectedEOF) {
		return rules.ErrStoreUnavailable
	}
	// pgconn's own "conn closed" (the server went away under a pooled
	// connection): the query was never sent, the connection is dead.
	if pgconn.SafeToRetry(err) {
		return rules.ErrStoreUnavailable
	}
	return nil
}
