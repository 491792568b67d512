package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dudaobot/app"
)

// yearFile is a command that writes one file about a year from the
// office's data (export, report): -o names the file (required), -year the
// year (default: the configured one).
type yearFile struct {
	ext     string // ".xlsx"
	example string // the -o shown when it is missing
	temp    string // os.CreateTemp pattern next to the target
	done    string // printf of the year and the path, once written
	write   func(data *app.Core, ctx context.Context, year int, w io.Writer) error
}

func (f yearFile) command(fs *flag.FlagSet, cfgPath *string) runner {
	out := fs.String("o", "", "输出文件 / output "+f.ext+" file (required)")
	year := fs.Int("year", 0, "年度 / year (default: the configured year)")
	return func(ctx context.Context, w, _ io.Writer) error {
		if *out == "" {
			return fmt.Errorf("请用 -o 指定输出文件，如 -o %s / -o is required", f.example)
		}
		data, err := openData(ctx, *cfgPath)
		if err != nil {
			return err
		}
		defer data.Close()
		if *year == 0 {
			*year = data.Config.Calendar().Year
		}
		if err := writeViaTemp(*out, f.temp, func(w io.Writer) error { return f.write(data, ctx, *year, w) }); err != nil {
			return err
		}
		fmt.Fprintf(w, f.done, *year, *out)
		return nil
	}
}

// writeViaTemp writes path through a temp file next to it, synced and
// renamed, so a failed run never leaves a truncated file under the
// requested name.
func writeViaTemp(path, pattern string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return fmt.Errorf("无法写入 %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
