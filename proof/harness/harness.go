// Package harness runs the real dudaobot binary as a subprocess against an
// in-process wxsim server, for the crash, fault and benchmark proofs under
// proof/. It builds the binary once per test binary, writes a config into a
// temp dir, starts, kills (SIGKILL) and restarts the bot, and reads the
// database and the file store back once the process is dead.
package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dudaobot/config"
	"dudaobot/internal/testutil"
	"dudaobot/wxsim"

	_ "github.com/mattn/go-sqlite3" // "sqlite3" for integrity_check and raw reads
	"gopkg.in/yaml.v3"
)

// ModuleRoot returns the directory of go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("harness: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("harness: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
	buildDir  string
)

// Binary builds the dudaobot binary once (without -race: the crash tests
// measure the production build and must start fast) and returns its path.
// Call Cleanup from TestMain to remove it.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildDir, err = os.MkdirTemp("", "dudaobot-proof-*")
		if err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(buildDir, "dudaobot")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("harness: go build: %v\n%s", err, out)
			return
		}
		buildBin = bin
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildBin
}

// Cleanup removes the built binary.
func Cleanup() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// Env is one bot installation: a config file and its data directories.
type Env struct {
	Dir        string // temp root
	ConfigPath string
	DBPath     string
	FilesDir   string
	Config     *config.Config
}

// NewEnv writes a config derived from the shipped config.yaml: paths under
// a temp dir, fast sends, a 1 s outbox poll. mod edits the YAML tree (a
// map) before it is written; see Set.
func NewEnv(tb testing.TB, mod func(m map[string]any)) *Env {
	tb.Helper()
	root, err := ModuleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "config.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	// Unquoted dates decode as time.Time; write them back as dates.
	if cal, ok := m["calendar"].(map[string]any); ok {
		for k, v := range cal {
			if t, ok := v.(time.Time); ok {
				cal[k] = t.Format("2006-01-02")
			}
		}
	}
	dir := tb.TempDir()
	e := &Env{
		Dir:        dir,
		ConfigPath: filepath.Join(dir, "config.yaml"),
		DBPath:     filepath.Join(dir, "data", "dudao.db"),
		FilesDir:   filepath.Join(dir, "data", "files"),
	}
	Set(m, "database.path", e.DBPath)
	Set(m, "files_dir", e.FilesDir)
	Set(m, "backups_dir", filepath.Join(dir, "data", "backups"))
	Set(m, "wechat.hot_login_file", filepath.Join(dir, "data", "hotlogin.json"))
	Set(m, "wechat.send_interval", "20ms")
	Set(m, "wechat.send_jitter", "0s")
	Set(m, "wechat.daily_cap_per_person", 1000)
	Set(m, "reminders.outbox_cron", "@every 1s")
	// The proofs run on the real clock: quiet hours would hold the relay's
	// alerts (the director's 已恢复在线) until 08:00 whenever a run starts
	// after 21:00 in the configured zone, so a proof's result would depend
	// on the time of day. Quiet hours and weekends have their own tests on
	// a fake clock (e2e, rules).
	Set(m, "reminders.quiet_start", "00:00")
	Set(m, "reminders.quiet_end", "00:00")
	Set(m, "reminders.skip_weekends", false)
	if mod != nil {
		mod(m)
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(e.ConfigPath, out, 0o600); err != nil {
		tb.Fatal(err)
	}
	e.Config, err = config.Load(e.ConfigPath)
	if err != nil {
		tb.Fatalf("generated config does not load: %v\n%s", err, out)
	}
	return e
}

// Set sets a dotted path ("wechat.send_interval") in a YAML map tree.
func Set(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// Sim starts a wxsim server with every configured person as a contact (as
// `dudaobot wxsim` does) and returns it with remark → contact id.
func Sim(tb testing.TB, cfg *config.Config, o wxsim.Options) (*wxsim.Server, map[string]string) {
	tb.Helper()
	o.AutoConfirm = true
	sim := wxsim.New(o)
	tb.Cleanup(sim.Close)
	ids := map[string]string{}
	add := func(name, remark string) { ids[remark] = sim.AddContact(name, remark).ID }
	for _, d := range cfg.Directors() {
		add(d.Name, d.WeChatRemark)
	}
	for _, u := range cfg.Units() {
		for _, p := range u.Officials {
			add(p.Name, p.WeChatRemark)
		}
		if u.Backup != nil {
			add(u.Backup.Name, u.Backup.WeChatRemark)
		}
	}
	return sim, ids
}

// Proc is one run of the bot binary.
type Proc struct {
	Cmd     *exec.Cmd
	Started time.Time
	LogPath string
	done    chan struct{}
	err     error
}

// Start runs `dudaobot run -config <env> -wxsim <simURL>`; stdout and stderr
// go to a log file in the env dir (n numbers the runs).
func Start(tb testing.TB, bin string, e *Env, simURL string, n int, extraEnv ...string) *Proc {
	tb.Helper()
	logPath := filepath.Join(e.Dir, fmt.Sprintf("run-%03d.log", n))
	lf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "-config", e.ConfigPath, "-wxsim", simURL)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), extraEnv...)
	if err := cmd.Start(); err != nil {
		_ = lf.Close()
		tb.Fatal(err)
	}
	p := &Proc{Cmd: cmd, Started: time.Now(), LogPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = lf.Close()
		close(p.done)
	}()
	tb.Cleanup(func() { p.Kill() })
	return p
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits up to d, then kills.
func (p *Proc) Stop(d time.Duration) {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
	}
}

// Exited reports whether the process ended by itself, with its error.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Pid is the process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Tail returns the last n bytes of the run's log.
func (p *Proc) Tail(n int) string { return Tail(p.LogPath, n) }

// Tail returns the last n bytes of a file.
func Tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ProcStatus reads VmRSS and VmHWM (peak RSS) of a process, in KiB.
func ProcStatus(pid int) (rssKB, hwmKB int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rssKB = v
		case "VmHWM:":
			hwmKB = v
		}
	}
	return rssKB, hwmKB, nil
}

// HangGuard returns a context that ends shortly before the test's own
// deadline (go test -timeout), or after 30 minutes without one. Waits in the
// proofs use it only to fail a hung test with a clear message instead of the
// runtime's panic: it never asserts speed, so a slow or loaded machine only
// makes a test take longer.
func HangGuard(tb testing.TB) context.Context { return testutil.HangGuard(tb) }

// WaitFor polls cond until it is true, or until ctx ends (false). ctx is a
// hang guard (see HangGuard), never a time limit the test relies on.
func WaitFor(ctx context.Context, cond func() bool) bool { return testutil.WaitFor(ctx, cond) }

// UntilExit returns a context that ends with parent or when p ends, so that
// a wait on the bot's progress stops as soon as the bot has died.
func (p *Proc) UntilExit(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// SubmissionRow is a submissions row read back raw.
type SubmissionRow struct {
	ID           int64
	UnitKey      string
	Stage        string
	Version      int
	OriginalName string
	StoredPath   string
	Size         int64
	SHA256       string
}

// OpenDB opens the SQLite file read-write through the same driver the bot
// uses (a crashed WAL database must be recovered by a writer on open).
func OpenDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// IntegrityCheck runs PRAGMA integrity_check and returns its answer.
func IntegrityCheck(db *sql.DB) (string, error) {
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		out = append(out, s)
	}
	return strings.Join(out, "; "), rows.Err()
}

// Submissions reads every submissions row.
func Submissions(db *sql.DB) ([]SubmissionRow, error) {
	rows, err := db.Query(`SELECT id, unit_key, stage, version, original_name, stored_path, size, sha256 FROM submissions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SubmissionRow
	for rows.Next() {
		var r SubmissionRow
		if err := rows.Scan(&r.ID, &r.UnitKey, &r.Stage, &r.Version, &r.OriginalName, &r.StoredPath, &r.Size, &r.SHA256); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FileSHA256 hashes a file.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Walk lists the regular files under dir, relative, with forward slashes.
func Walk(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

// PDF returns a valid-looking PDF of n bytes of seeded pseudo-random
// content (docstore checks the %PDF- header).
func PDF(seed int64, n int) []byte {
	if n < 16 {
		n = 16
	}
	b := make([]byte, n)
	copy(b, "%PDF-1.7\n")
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := 9; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	copy(b[n-6:], "\n%%EOF")
	return b
}

// SHA256Hex hashes bytes.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SendPDF sends a generated PDF from a contact through the simulator.
func SendPDF(sim *wxsim.Server, from, name string, content []byte) (string, error) {
	return sim.SendFile(from, name, bytes.NewReader(content))
}
