// Package app wires dudaobot together from a configuration: the database,
// the document store, the conversations, the WeChat adapter, the outbox and
// the scheduler. The CLI, the sandbox and the end-to-end tests all build the
// bot through it, so what is tested is what runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/docstore"
	"dudaobot/export"
	"dudaobot/storage"
)

// Core is the part of the bot that needs no WeChat session: configuration,
// database and document store. The CLI's check/status/export commands use
// it alone.
type Core struct {
	Config *config.Config
	Store  *storage.Store
	Files  *docstore.Store
	Clock  clock.Clock
	Logger *slog.Logger
	// CodeKey is the server secret binding codes are stored under
	// (CodeKeyPath; made at the first start).
	CodeKey []byte

	fontState
}

// OpenCore opens the database (migrating it), brings the roster, the
// indicator system and this year's calendar in line with the configuration
// (the config file is the source of truth for who the units and officials
// are), and opens the document store, removing temp files a crash left.
//
// OpenCore refuses data paths inside a sandbox folder (see SandboxMarker).
func OpenCore(ctx context.Context, cfg *config.Config, clk clock.Clock, log *slog.Logger) (*Core, error) {
	return openCore(ctx, cfg, clk, log, false)
}

// openCore is OpenCore for production (sandbox false) or for the sandbox,
// which must run wholly inside its own marked folder.
func openCore(ctx context.Context, cfg *config.Config, clk clock.Clock, log *slog.Logger, sandbox bool) (*Core, error) {
	if err := checkDataPaths(cfg, sandbox); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = ScrubLogger(log)
	codeKey, err := loadCodeKey(CodeKeyPath(cfg))
	if err != nil {
		return nil, err
	}
	driver, dsn, err := cfg.DatabaseDSN()
	if err != nil {
		return nil, fmt.Errorf("app: database: %w", err)
	}
	opts := storage.Options{Driver: driver, Now: clk.Now, Logger: log}
	if driver == storage.DriverPostgres {
		opts.DSN = dsn
	} else {
		opts.Path = dsn
	}
	st, err := storage.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("app: open database: %w", err)
	}
	c := &Core{Config: cfg, Store: st, Clock: clk, Logger: log, CodeKey: codeKey}
	if err := c.sync(ctx); err != nil {
		st.Close()
		return nil, err
	}
	files, err := docstore.OpenWith(cfg.FilesDir, docstore.Options{MinFreeBytes: cfg.Files.MinFreeBytes})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("app: open files_dir %s: %w", cfg.FilesDir, err)
	}
	if n, err := files.CleanTemp(); err != nil {
		log.Warn("cleaning temp files", slog.Any("err", err))
	} else if n > 0 {
		log.Info("removed temp files left by an interrupted write", slog.Int("count", n))
	}
	c.Files = files
	return c, nil
}

func (c *Core) sync(ctx context.Context) error {
	if err := c.Store.SyncRoster(ctx, c.Config.Units(), c.Config.Directors()); err != nil {
		return fmt.Errorf("app: sync roster: %w", err)
	}
	inds, err := c.Config.Indicators()
	if err != nil {
		return fmt.Errorf("app: indicators: %w", err)
	}
	if err := c.Store.LoadIndicators(ctx, inds); err != nil {
		return fmt.Errorf("app: load indicators: %w", err)
	}
	if err := c.Store.EnsureYear(ctx, c.Config.Calendar()); err != nil {
		return fmt.Errorf("app: ensure year: %w", err)
	}
	return nil
}

// Ledger returns the Excel ledger writer over this core's database, with
// the score sheets (ScoresData).
func (c *Core) Ledger() *export.Ledger {
	return &export.Ledger{Store: c.Store, Clock: c.Clock, Location: c.Config.Location(), Scores: c}
}

// Close closes the document store and the database.
func (c *Core) Close() error {
	var errs []error
	if c.Files != nil {
		errs = append(errs, c.Files.Close())
	}
	if c.Store != nil {
		errs = append(errs, c.Store.Close())
	}
	return errors.Join(errs...)
}
