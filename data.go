package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"dudaobot/app"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/handlers"
	"dudaobot/rules"
)

// openData opens the office's data — database and files — for the commands
// that need no WeChat session (status, export, codes). They log only
// warnings, to stderr.
func openData(ctx context.Context, cfgPath string) (*app.Core, error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	return app.OpenCore(ctx, cfg, clock.Real{}, newLogger(os.Stderr, slog.LevelWarn))
}

// newLogger is the CLI's text logger at this level.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// pickUnits is every unit when q is empty, else the one unit q names.
func pickUnits(units []rules.Unit, q string) ([]rules.Unit, error) {
	if q == "" {
		return units, nil
	}
	u, err := pickUnit(units, q)
	if err != nil {
		return nil, err
	}
	return []rules.Unit{u}, nil
}

// pickUnit finds one unit by key, full name, alias or part of a name, as
// the chat commands do (查询 财政 → 县财政局).
func pickUnit(units []rules.Unit, q string) (rules.Unit, error) {
	found := handlers.MatchUnit(units, q)
	switch len(found) {
	case 0:
		return rules.Unit{}, fmt.Errorf("没有找到单位 %q / no unit matches %q", q, q)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, u := range found {
		names[i] = u.Name
	}
	return rules.Unit{}, fmt.Errorf("%q 可指多个单位：%s，请写得更具体 / %q matches several units", q, strings.Join(names, "、"), q)
}
