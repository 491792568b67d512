package extract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// capWriter keeps the first max bytes of a converter's output and notes
// that more came; the converter is not trusted to stop.
type capWriter struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room < len(p) {
		w.buf.Write(p[:max(room, 0)])
		w.over = true
		return len(p), nil
	}
	return w.buf.Write(p)
}

// text returns the captured output cut back to valid UTF-8.
func (w *capWriter) text() string {
	b := w.buf.Bytes()
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b)
}

// run runs a converter: cut off from the network when possible, with a
// private HOME and temp dir, killed at the deadline (with its children,
// which LibreOffice starts).
func (e *Extractor) run(ctx context.Context, dir string, stdout io.Writer, name string, args ...string) error {
	argv := append(append(append([]string{}, e.isolate...), name), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + dir, "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.Stdout = stdout
	var stderr capWriter
	stderr.max = 4 << 10
	cmd.Stderr = &stderr
	setProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w: %s", ErrBroken, filepath.Base(name), err, strings.TrimSpace(stderr.text()))
	}
	return nil
}

// pdf runs pdftotext; pages are its form feeds.
func (e *Extractor) pdf(ctx context.Context, p string) (Result, error) {
	dir, err := os.MkdirTemp("", "extract-pdf-")
	if err != nil {
		return Result{}, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	out := &capWriter{max: e.maxText}
	abs, err := filepath.Abs(p)
	if err != nil {
		return Result{}, fmt.Errorf("path: %w", err)
	}
	if err := e.run(ctx, dir, out, e.pdftotext, "-q", "-enc", "UTF-8", abs, "-"); err != nil {
		return Result{}, err
	}
	text := out.text()
	pages := strings.Count(text, "\f")
	return Result{Text: strings.ReplaceAll(text, "\f", "\n"), Pages: pages, Truncated: out.over}, nil
}

// office converts with LibreOffice to UTF-8 text in a private temp dir,
// then reads at most MaxText of the result. The profile lives in its own
// private temp dir, kept for the Extractor's life (see Close).
func (e *Extractor) office(ctx context.Context, p, ext string) (Result, error) {
	select {
	case e.officeSlot <- struct{}{}:
		defer func() { <-e.officeSlot }()
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	profile, err := e.officeProfile()
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "extract-office-")
	if err != nil {
		return Result{}, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in."+ext)
	if err := copyFile(p, in); err != nil {
		return Result{}, err
	}
	filter := "txt:Text (encoded):UTF8"
	if ext == "et" || ext == "xls" {
		filter = "csv:Text - txt - csv (StarCalc):44,34,76"
	}
	err = e.run(ctx, dir, io.Discard, e.soffice, "--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://"+profile,
		"--convert-to", filter, "--outdir", filepath.Join(dir, "out"), in)
	if err != nil {
		return Result{}, err
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "out", "in.*"))
	if len(matches) == 0 {
		return Result{}, fmt.Errorf("%w: LibreOffice could not convert .%s", ErrBroken, ext)
	}
	r, err := e.readText(matches[0])
	if err != nil {
		return Result{}, fmt.Errorf("converted text: %w", err)
	}
	r.Text = strings.TrimPrefix(r.Text, "\uFEFF")
	r.Pages = strings.Count(r.Text, "\f")
	return r, nil
}

// officeProfile returns the LibreOffice profile dir, made on first use
// (under the office semaphore).
func (e *Extractor) officeProfile() (string, error) {
	if e.profile == "" {
		dir, err := os.MkdirTemp("", "extract-profile-")
		if err != nil {
			return "", fmt.Errorf("profile dir: %w", err)
		}
		e.profile = dir
	}
	return e.profile, nil
}

// Close removes the LibreOffice profile.
func (e *Extractor) Close() error {
	e.officeSlot <- struct{}{}
	defer func() { <-e.officeSlot }()
	if e.profile == "" {
		return nil
	}
	err := os.RemoveAll(e.profile)
	e.profile = ""
	return err
}

// readText reads the UTF-8 text file at p (a plan sent as chat text, or
// LibreOffice's conversion), cut at the text cap (Truncated).
func (e *Extractor) readText(p string) (Result, error) {
	f, err := os.Open(p)
	if err != nil {
		return Result{}, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	out := &capWriter{max: e.maxText}
	if _, err := io.Copy(out, io.LimitReader(f, int64(e.maxText)+1)); err != nil {
		return Result{}, fmt.Errorf("read: %w", err)
	}
	return Result{Text: out.text(), Truncated: out.over}, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}
