package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/app"
	"dudaobot/bot"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/handlers/handlerstest"
	"dudaobot/internal/testutil"
	"dudaobot/wxsim"
)

// hangGuard bounds every wait of these tests. It only turns a hang into a
// failure: each wait ends as soon as what it waits for happens, and the
// guard ends just before the test binary's own deadline, so a loaded machine
// makes a test longer, never red.
func hangGuard(t *testing.T) <-chan struct{} { return testutil.HangGuard(t).Done() }

// testConfig is the shipped config.yaml with every path in a temp dir.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := handlerstest.Config(t)
	dir := t.TempDir()
	cfg.Database = config.Database{Driver: "sqlite", Path: filepath.Join(dir, "dudao.db")}
	cfg.FilesDir = filepath.Join(dir, "files")
	cfg.BackupsDir = filepath.Join(dir, "backups")
	cfg.WeChat.HotLoginFile = filepath.Join(dir, "hotlogin.json")
	cfg.SMTP = config.SMTP{}
	return cfg
}

// logSink collects the app's log lines and says when one arrives.
type logSink struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newLogSink() *logSink { return &logSink{changed: make(chan struct{})} }

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits for a log line holding want.
func (l *logSink) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := hangGuard(t)
	for {
		l.mu.Lock()
		has, ch := strings.Contains(l.b.String(), want), l.changed
		l.mu.Unlock()
		if has {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no log line with %q; logs:\n%s", want, l.String())
		}
	}
}

// waitSent waits until the simulator has sent n messages to the contact.
func waitSent(t *testing.T, sim *wxsim.Server, feed <-chan wxsim.Sent, id string, n int) []wxsim.Sent {
	t.Helper()
	deadline := hangGuard(t)
	for {
		if got := sim.SentTo(id); len(got) >= n {
			return got
		}
		select {
		case <-feed:
		case <-deadline:
			t.Fatalf("contact %s got %d messages, want %d", id, len(sim.SentTo(id)), n)
		}
	}
}

// fastBot shortens the WeChat client's timeouts for loopback.
func fastBot(t *testing.T) func(*bot.Options) {
	return func(bo *bot.Options) {
		fast := bot.BackoffPolicy{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond}
		bo.Backoff, bo.SyncBackoff = fast, fast
		bo.LongPollTimeout = 5 * time.Second
		bo.RequestTimeout = testutil.GuardBudget(t) // a loaded machine makes a call slow, not failed
		bo.TempDir = t.TempDir()
	}
}

// TestAppRunsAndStopsInOrder builds the whole bot from a config with a fake
// clock and the clock jobs, logs in to wxsim with the real openwechat
// client, answers two officials, and stops in order: once ctx is done, a
// drain pacing between two sends still delivers the second answer (the jobs
// stop before the WeChat client), then the conversations and the database
// stop.
func TestAppRunsAndStopsInOrder(t *testing.T) {
	cfg := testConfig(t)
	loc := cfg.Location()
	clk := clock.NewFake(time.Date(cfg.Cycle.Year, time.January, 10, 9, 0, 0, 0, loc))
	sim := wxsim.New(wxsim.Options{AutoConfirm: true, LongPollHold: time.Second, DataDir: t.TempDir()})
	t.Cleanup(sim.Close)
	units := cfg.Units()
	first, second := units[0].Officials[0], units[1].Officials[0]
	for _, d := range cfg.Directors() {
		sim.AddContact(d.Name, d.WeChatRemark)
	}
	a1 := sim.AddContact(first.Name, first.WeChatRemark)
	a2 := sim.AddContact(second.Name, second.WeChatRemark)
	feed, unsubscribe := sim.Subscribe()
	t.Cleanup(unsubscribe)

	// The relay's pause before the second send blocks until the test has
	// seen the shutdown begin.
	pacing, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	relaySleep := func(ctx context.Context, d time.Duration) error {
		once.Do(func() {
			close(pacing)
			select {
			case <-release:
			case <-ctx.Done():
			}
		})
		return ctx.Err()
	}
	logs := newLogSink()
	a, err := app.New(context.Background(), app.Options{
		Config:       cfg,
		Clock:        clk,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Transport:    sim.Transport(),
		QRWriter:     io.Discard,
		ClockJobs:    &app.ClockJobs{DrainEvery: 20 * time.Millisecond},
		SendInterval: time.Second,
		RelaySleep:   relaySleep,
		BotOptions:   fastBot(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.LoggedIn():
	case err := <-done:
		t.Fatalf("Run returned before the login: %v", err)
	case <-hangGuard(t):
		t.Fatal("no login")
	}

	if _, err := sim.SendText(a1.ID, "帮助"); err != nil {
		t.Fatal(err)
	}
	got := waitSent(t, sim, feed, a1.ID, 1)
	if !strings.Contains(got[0].Text, "您可以") {
		t.Fatalf("answer to %s: %q", first.WeChatRemark, got[0].Text)
	}
	if _, err := sim.SendText(a2.ID, "帮助"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pacing:
	case <-hangGuard(t):
		t.Fatal("the relay never paced the second answer")
	}
	cancel()
	logs.waitFor(t, "msg=stopping part=jobs")
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-hangGuard(t):
		t.Fatal("Run did not return")
	}
	if got := sim.SentTo(a2.ID); len(got) != 1 || !strings.Contains(got[0].Text, "您可以") {
		t.Fatalf("the answer paced across the shutdown was not delivered: %+v", got)
	}
	var order []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if i := strings.Index(line, "msg=stopped part="); i >= 0 {
			order = append(order, line[i+len("msg=stopped part="):])
		}
	}
	if want := "jobs wechat conversations database"; strings.Join(order, " ") != want {
		t.Errorf("shutdown order %v, want %s", order, want)
	}
	if _, err := a.Store.Units(context.Background()); err == nil {
		t.Error("the database is still open after Run")
	}
}

// TestNewRefusesBadConfigField: a config field app cannot use makes New
// fail with an error naming the field, and nothing is left open.
func TestNewRefusesBadConfigField(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(t *testing.T, c *config.Config)
	}{
		{"database.driver", func(_ *testing.T, c *config.Config) { c.Database.Driver = "mysql" }},
		{"database.path", func(_ *testing.T, c *config.Config) { c.Database.Path = "" }},
		// Fields only the config's own validation sees: without it an
		// unknown zone silently became UTC (every deadline 8 hours off).
		{"timezone", func(_ *testing.T, c *config.Config) { c.Timezone = "Asia/Akqi" }},
		{"office.directors", func(_ *testing.T, c *config.Config) { c.Office.Directors = nil }},
		{"wechat.max_file_mb", func(_ *testing.T, c *config.Config) { c.WeChat.MaxFileMB = 500 }},
		{"files_dir", func(t *testing.T, c *config.Config) {
			// A regular file where the folder should be.
			p := filepath.Join(t.TempDir(), "not-a-dir")
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			c.FilesDir = p
		}},
	} {
		t.Run(c.field, func(t *testing.T) {
			cfg := testConfig(t)
			c.edit(t, cfg)
			a, err := app.New(context.Background(), app.Options{Config: cfg})
			if err == nil {
				a.Close()
				t.Fatalf("New accepted a bad %s", c.field)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Fatalf("err = %v, want one naming %s", err, c.field)
			}
		})
	}
}
