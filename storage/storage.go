// Package storage keeps dudaobot's state in SQLite (default) or PostgreSQL
// through gorm. It is the only package that imports gorm: every method takes
// and returns the domain types of package rules, and every error is either
// ErrNotFound, ErrConflict or a wrapped driver error, never a gorm error.
//
// Every state change writes its audit row, and every message it causes (a
// receipt, a reminder) its outbox row, in the same transaction as the change
// itself, so a crash can never leave a submission without its receipt or a
// reminder recorded but not queued.
//
// Times are stored as Unix nanoseconds in integer columns. SQLite has no time
// type (the driver writes text whose order depends on the zone offset), and
// integers compare, MIN and MAX identically on both drivers. Times read back
// are in the zone of Options.Now, so they print like the clock's own values.
// Civil dates (rules.Date) are stored as "2006-01-02" text.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"dudaobot/rules"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Errors returned by the Store; compare with errors.Is. They are the
// domain's own values, so callers above storage test rules.ErrNotFound and
// rules.ErrConflict without importing storage.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = rules.ErrNotFound
	// ErrConflict means a uniqueness rule was violated or the row is in a
	// state that does not allow the change.
	ErrConflict = rules.ErrConflict
)

// Driver names accepted in Options.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Options configures Open.
type Options struct {
	Driver string // "sqlite" (default) | "postgres"
	Path   string // sqlite file
	DSN    string // postgres
	// Now is the clock; gorm's NowFunc and every default timestamp use it.
	// nil means time.Now.
	Now func() time.Time
	// Logger receives gorm's warnings (slow queries over 200 ms, errors).
	// nil discards them.
	Logger *slog.Logger
}

// Store is the persistent state of the bot. It is safe for concurrent use.
type Store struct {
	db     *gorm.DB
	driver string
	path   string
	now    func() time.Time
	loc    *time.Location
	log    *slog.Logger
	gate   writeGate  // this process's writers, one at a time (SQLite)
	gc     *committer // group commit of the per-message writes

	hotStmts hotStmts
	// yearSubmissions is the length of the last year-wide Submissions
	// list, the size its next scan starts with.
	yearSubmissions atomic.Int64
	// rosterSize is the number of units the last UnitNames read, the size
	// its next map starts with.
	rosterSize atomic.Int64
}

// slowQuery is the threshold above which gorm statements are logged at Warn:
// every hot query here is an indexed lookup well under a millisecond, so
// 200 ms means contention or a missing index worth hearing about.
const slowQuery = 200 * time.Millisecond

// sqliteMaxConns bounds the pool. WAL lets readers run beside the single
// writer; with BEGIN IMMEDIATE writers queue on the busy handler instead of
// failing, so a small pool is enough for ~27 people and keeps fsync load low.
const sqliteMaxConns = 4

// Open opens (creating if needed) the database and migrates the schema. The
// migration is idempotent and runs at every start.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Driver == "" {
		o.Driver = DriverSQLite
	}
	cfg := &gorm.Config{
		NowFunc: o.Now,
		// TranslateError maps driver errors to gorm.ErrDuplicatedKey and
		// friends, which wrap() then maps to ErrConflict.
		TranslateError: true,
		Logger:         newGormLogger(o.Logger, logger.Warn, slowQuery),
	}
	var dial gorm.Dialector
	switch o.Driver {
	case DriverSQLite:
		if o.Path == "" {
			return nil, errors.New("storage: open: sqlite needs a path")
		}
		if err := MkdirPrivate(filepath.Dir(o.Path)); err != nil {
			return nil, fmt.Errorf("storage: open: %w", err)
		}
		if err := createPrivate(o.Path); err != nil {
			return nil, fmt.Errorf("storage: open: %w", err)
		}
		dial = sqlite.Open(sqliteDSN(o.Path))
	case DriverPostgres:
		if o.DSN == "" {
			return nil, errors.New("storage: open: postgres needs a DSN")
		}
		dial = postgres.Open(o.DSN)
	default:
		return nil, fmt.Errorf("storage: open: unknown driver %q", o.Driver)
	}
	db, err := gorm.Open(dial, cfg)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", o.Driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	if o.Driver == DriverSQLite {
		sqlDB.SetMaxOpenConns(sqliteMaxConns)
		sqlDB.SetMaxIdleConns(sqliteMaxConns)
		// Connections are cheap to keep and each one carries its pragmas
		// from the DSN; never recycling them avoids re-running them.
		sqlDB.SetConnMaxLifetime(0)
	}
	s := &Store{
		db:     db,
		driver: o.Driver,
		path:   o.Path,
		now:    o.Now,
		loc:    o.Now().Location(),
		log:    o.Logger,
		gate:   newWriteGate(o.Driver == DriverSQLite),
	}
	if err := s.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	// The reads and writes every message makes keep their prepared
	// statements (hotstmt.go): preparing the one-unit query cost as much
	// CPU as running it.
	if err := s.prepareHot(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	s.gc = newCommitter(s)
	return s, nil
}

// sqliteDSN builds the mattn/go-sqlite3 DSN. The driver applies each
// underscore option on every new connection of the pool (it runs the PRAGMAs
// in its Open), so all pooled connections share the same settings; the tests
// assert that on each connection.
//
//   - _journal_mode=WAL: readers never block the writer and the writer never
//     blocks readers, so status queries keep answering during a submission.
//   - _synchronous=FULL: in WAL mode NORMAL may roll back the last commits on
//     power loss or an OS crash; FULL fsyncs the WAL at every commit, so a
//     receipt is only ever sent for a commit that is on disk.
//   - _busy_timeout=10000: a writer waits up to 10 s for the lock instead of
//     failing with "database is locked".
//   - _txlock=immediate: every transaction starts with BEGIN IMMEDIATE and
//     takes the write lock up front. A deferred transaction that reads and
//     then writes fails with SQLITE_BUSY_SNAPSHOT without waiting for the busy
//     handler (1,168 of 1,600 read-then-write transactions failed under the
//     driver's defaults); immediate makes them queue instead.
//   - _foreign_keys=1: SQLite leaves foreign keys off per connection unless
//     asked, so the constraints in the schema would otherwise be decorative.
//
// The "file:" form is the one the driver documents for options; the path is
// escaped so that '?', '#' or '%' in a directory name cannot cut the URI.
func sqliteDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate&_foreign_keys=1"
}

// Close waits for the writes queued for group commit, then closes the
// database.
func (s *Store) Close() error {
	s.gc.close()
	s.closeHot()
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// Driver returns "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }

// Backup writes a consistent snapshot of a live SQLite database to destPath
// with VACUUM INTO (a plain copy of a WAL database can be torn or miss recent
// commits). The snapshot is written next to destPath, fsynced and renamed
// over it, so destPath is always either the previous backup or a complete new
// one. PostgreSQL is backed up with pg_dump, outside the bot: the error wraps
// errors.ErrUnsupported.
func (s *Store) Backup(ctx context.Context, destPath string) error {
	if s.driver != DriverSQLite {
		return fmt.Errorf("storage: backup: %s: use the server's own tools (pg_dump): %w", s.driver, errors.ErrUnsupported)
	}
	dir := filepath.Dir(destPath)
	if err := MkdirPrivate(dir); err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", destPath, time.Now().UnixNano())
	// VACUUM INTO refuses an existing non-empty file; the name is fresh.
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", tmp).Error; err != nil {
		_ = os.Remove(tmp)
		return wrap("backup", err)
	}
	// SQLite creates the VACUUM INTO file with 0644 less the umask; a
	// backup holds everything the database does.
	if err := os.Chmod(tmp, privateFile); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("storage: backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("storage: backup: %w", err)
	}
	if err := os.Rename(tmp, destPath); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("storage: backup: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("storage: backup: sync dir: %w", err)
	}
	return nil
}

// Modes of what the bot writes: the database, its WAL/SHM files, backups
// and exports hold every unit's documents and people, so only the bot's
// user may read them.
const (
	privateFile os.FileMode = 0o600
	privateDir  os.FileMode = 0o700
)

// MkdirPrivate creates dir (and missing parents) if it does not exist and
// sets a newly created dir to 0700 whatever the umask. An existing folder
// keeps its mode: it may be the office's own (".", a shared data folder).
func MkdirPrivate(dir string) error {
	if dir == "" || dir == "." {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, privateDir); err != nil {
		return err
	}
	return os.Chmod(dir, privateDir)
}

// createPrivate makes sure the SQLite file exists with mode 0600 before the
// driver opens it: SQLite creates a new database 0644 less the umask and
// gives its -wal and -shm files the database file's mode. An existing file
// (and its WAL/SHM, if any) is set to 0600 too, so an old deployment is
// tightened at its next start.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFile)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, privateFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// wrap gives err the package prefix and the operation, and replaces gorm's
// sentinel errors by ours so that no caller ever sees a gorm error.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict):
		// Already ours.
	case errors.Is(err, gorm.ErrRecordNotFound):
		err = ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		err = ErrConflict
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		err = fmt.Errorf("%w: foreign key violated", ErrConflict)
	default:
		err = classify(err)
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}

// tx runs fn in one transaction. On SQLite it begins with BEGIN IMMEDIATE
// (see sqliteDSN), so read-then-write bodies are serialised, never failed;
// within this process the write gate queues it first (see groupcommit.go).
// fn must not call the Store: it would wait for the gate it holds.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := s.gate.lock(ctx); err != nil {
		return err
	}
	defer s.gate.unlock()
	return s.db.WithContext(ctx).Transaction(fn)
}

// ns converts a time to its stored form; the zero time is 0.
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// tm converts a stored time back, in the clock's zone; 0 is the zero time.
func (s *Store) tm(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).In(s.loc)
}

// dateText stores a civil date; the zero Date is "".
func dateText(d rules.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// parseDate reads a stored civil date; "" is the zero Date.
func parseDate(s string) (rules.Date, error) {
	if s == "" {
		return rules.Date{}, nil
	}
	return rules.ParseDate(s)
}
