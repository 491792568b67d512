package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"dudaobot/config"
	"dudaobot/sandbox"
)

// cmdSandbox runs the whole bot against the built-in simulated WeChat, with
// a web page to play every part (see package sandbox).
func cmdSandbox(fs *flag.FlagSet, cfgPath *string) runner {
	addr := fs.String("addr", sandbox.DefaultAddr, "网页监听地址 / web page address")
	data := fs.String("data", sandbox.DefaultDataDir, "沙盒专用数据目录：由沙盒新建并标记，不能是正式数据目录 / sandbox data folder (created and marked by the sandbox; never a production folder)")
	public := fs.Bool("public", false, "允许在非本机地址上提供网页（任何拿到网址的人都能扮演主任） / allow a non-loopback -addr (anyone with the URL plays the director)")
	start := fs.String("start", "", "模拟时钟起点，如 2027-01-10 或 2027-02-27T09:30（默认沿用上次，首次为 1 月 10 日 09:00） / simulated start time")
	speed := fs.Float64("speed", 1, fmt.Sprintf("时钟倍速 1…%d / clock multiplier", sandbox.MaxSpeed))
	verbose := fs.Bool("v", false, "输出机器人的详细日志 / verbose bot logs")
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		if *speed <= 0 || *speed > sandbox.MaxSpeed {
			return fmt.Errorf("-speed 应大于 0 且不超过 %d / -speed out of range", sandbox.MaxSpeed)
		}
		level := slog.LevelWarn
		if *verbose {
			level = slog.LevelInfo
		}
		o := sandbox.Options{
			Addr:       *addr,
			DataDir:    *data,
			ConfigPath: *cfgPath,
			Speed:      *speed,
			Public:     *public,
			Out:        stdout,
			Logger:     slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		}
		if *start != "" {
			cfg, err := config.Load(*cfgPath)
			if err != nil {
				return err
			}
			t, err := parseStart(*start, cfg.Location())
			if err != nil {
				return err
			}
			o.Start = t
		}
		return sandbox.Run(ctx, o)
	}
}

func parseStart(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(9 * time.Hour)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("-start %q 格式不对，应为 2027-01-10 或 2027-02-27T09:30 / bad -start", s)
}
