package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"dudaobot/app"
)

// cmdRun runs the bot on the office's WeChat account until SIGINT/SIGTERM.
func cmdRun(fs *flag.FlagSet, cfgPath *string) runner {
	simURL := wxsimFlag(fs)
	verbose := fs.Bool("v", false, "详细日志 / debug logs")
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		level := slog.LevelInfo
		if *verbose {
			level = slog.LevelDebug
		}
		a, err := newApp(ctx, *cfgPath, *simURL, app.Options{Logger: newLogger(stderr, level), QRWriter: stdout})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "督导机器人启动中（%s，%d 个责任单位）。首次运行请用办公室微信扫描下方二维码登录。\n", a.Config.Office.Name, len(a.Config.Roster))
		return a.Run(ctx)
	}
}
