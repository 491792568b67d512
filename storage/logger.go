package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// gormLogger bridges gorm's logger to the injected slog.Logger, so database
// warnings land in the same structured log as everything else.
type gormLogger struct {
	l     *slog.Logger
	level logger.LogLevel
	slow  time.Duration
}

func newGormLogger(l *slog.Logger, level logger.LogLevel, slow time.Duration) logger.Interface {
	return gormLogger{l: l.With(slog.String("component", "storage")), level: level, slow: slow}
}

func (g gormLogger) LogMode(level logger.LogLevel) logger.Interface {
	g.level = level
	return g
}

func (g gormLogger) Info(ctx context.Context, msg string, args ...any) {
	if g.level >= logger.Info {
		g.l.InfoContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (g gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	if g.level >= logger.Warn {
		g.l.WarnContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (g gormLogger) Error(ctx context.Context, msg string, args ...any) {
	if g.level >= logger.Error {
		g.l.ErrorContext(ctx, fmt.Sprintf(msg, args...))
	}
}

// ParamsFilter drops the bound values from every statement gorm hands to
// Trace, so a logged statement shows its placeholders (?, $1) and never
// the data: code hashes, names, message texts.
func (g gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Trace logs failed statements at Error and slow ones at Warn. Not-found and
// duplicate-key results are expected answers (a lookup miss, an idempotent
// insert) that the Store turns into ErrNotFound/ErrConflict, so they are not
// logged as failures.
func (g gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if g.level <= logger.Silent {
		return
	}
	elapsed := time.Since(begin)
	switch {
	case err != nil && g.level >= logger.Error &&
		!errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, gorm.ErrDuplicatedKey) &&
		!errors.Is(err, context.Canceled):
		sql, rows := fc()
		g.l.ErrorContext(ctx, "sql failed", slog.String("sql", sql), slog.Int64("rows", rows),
			slog.Duration("elapsed", elapsed), slog.String("err", err.Error()))
	case g.slow > 0 && elapsed > g.slow && g.level >= logger.Warn:
		sql, rows := fc()
		g.l.WarnContext(ctx, "slow sql", slog.String("sql", sql), slog.Int64("rows", rows),
			slog.Duration("elapsed", elapsed), slog.Duration("threshold", g.slow))
	}
}
