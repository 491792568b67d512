package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/bot"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

func newSim(t testing.TB, opts wxsim.Options) *wxsim.Server {
	t.Helper()
	if opts.LongPollHold == 0 {
		opts.LongPollHold = 300 * time.Millisecond
	}
	sim := wxsim.New(opts)
	t.Cleanup(sim.Close)
	return sim
}

// ctxT is the hang guard of every wait in these tests: each wait ends as
// soon as what it waits for happens, so a slow or loaded machine only makes
// a test longer; the guard ends just before the test binary's own deadline
// and turns a hung test into a failure that says what was missing.
func ctxT(t testing.TB) context.Context {
	t.Helper()
	return testutil.HangGuard(t)
}

// testLogger collects logs and prints them only if the test fails (writing
// to t.Log from goroutines that outlive the test would panic).
func testLogger(t testing.TB) *slog.Logger {
	buf := &testutil.LockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fakeIntake records every Accept (durably enough for assertions) and lets
// a test block or fail chosen messages.
type fakeIntake struct {
	mu      sync.Mutex
	msgs    []rules.Inbound
	changed chan struct{}
	// hook runs before recording; a non-nil error refuses the message.
	hook func(ctx context.Context, in rules.Inbound) error
}

func newIntake() *fakeIntake { return &fakeIntake{changed: make(chan struct{})} }

func (f *fakeIntake) Accept(ctx context.Context, in rules.Inbound) error {
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, in); err != nil {
			return err
		}
	}
	f.record(in)
	return nil
}

// record appends ins as accepted and wakes the waiters.
func (f *fakeIntake) record(ins ...rules.Inbound) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, ins...)
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeIntake) setHook(h func(ctx context.Context, in rules.Inbound) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func (f *fakeIntake) all() []rules.Inbound {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rules.Inbound(nil), f.msgs...)
}

// waitUntil waits until cond holds over the recorded messages.
func (f *fakeIntake) waitUntil(t testing.TB, what string, cond func([]rules.Inbound) bool) []rules.Inbound {
	t.Helper()
	guard := ctxT(t)
	for {
		f.mu.Lock()
		msgs := append([]rules.Inbound(nil), f.msgs...)
		ch := f.changed
		f.mu.Unlock()
		if cond(msgs) {
			return msgs
		}
		select {
		case <-ch:
		case <-guard.Done():
			t.Fatalf("hung waiting for %s; intake has %d messages", what, len(msgs))
		}
	}
}

// waitMsg waits for the message with this MsgID (the n-th delivery of it).
func (f *fakeIntake) waitMsg(t testing.TB, msgID string, nth int) rules.Inbound {
	t.Helper()
	var got rules.Inbound
	f.waitUntil(t, "message "+msgID, func(ms []rules.Inbound) bool {
		n := 0
		for _, m := range ms {
			if m.Key.MsgID == msgID {
				n++
				if n == nth {
					got = m
					return true
				}
			}
		}
		return false
	})
	return got
}

// runner is a bot.Client running in the background.
type runner struct {
	c        *bot.Client
	in       *fakeIntake
	qr       *testutil.LockedBuffer
	statuses chan bot.Status
	cancel   context.CancelFunc
	done     chan error
	stopped  atomic.Bool
	guard    time.Time // the test's hang guard (testutil.GuardDeadline)
}

type clientOpts struct {
	hotFile   string
	now       func() time.Time // the bot's clock (nil: time.Now)
	transport func(http.RoundTripper) http.RoundTripper
	mod       func(*bot.Options)
	intake    bot.Intake // replaces in as the Intake (e.g. a BatchIntake wrapping it)
}

func startClient(t testing.TB, sim *wxsim.Server, in *fakeIntake, co clientOpts) *runner {
	t.Helper()
	if in == nil {
		in = newIntake()
	}
	rt := sim.Transport()
	if co.transport != nil {
		rt = co.transport(rt)
	}
	r := &runner{in: in, qr: &testutil.LockedBuffer{}, statuses: make(chan bot.Status, 32), done: make(chan error, 1), guard: testutil.GuardDeadline(t)}
	// A download or an API call these tests wait for ends only at the hang
	// guard: on a loaded machine they take longer, they do not fail. The
	// tests of those deadlines (TestDownloadTimeout) set their own.
	budget := testutil.GuardBudget(t)
	o := bot.Options{
		HotLoginFile:    co.hotFile,
		Groups:          []string{"督导工作群"},
		DownloadTimeout: budget,
		Transport:       rt,
		QRWriter:        r.qr,
		OnStatus:        func(s bot.Status) { r.statuses <- s },
		Logger:          testLogger(t),
		Now:             co.now,
		Backoff:         bot.BackoffPolicy{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond},
		SyncBackoff:     bot.BackoffPolicy{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond},
		LongPollTimeout: 5 * time.Second,
		RequestTimeout:  budget,
		TempDir:         t.TempDir(),
	}
	if co.mod != nil {
		co.mod(&o)
	}
	var intake bot.Intake = in
	if co.intake != nil {
		intake = co.intake
	}
	r.c = bot.New(o, intake)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.c.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

// stop is a "kill": cancel and wait for Run to return (no logout is sent).
func (r *runner) stop() {
	if r.stopped.Swap(true) {
		return
	}
	r.cancel()
	guard := time.NewTimer(time.Until(r.guard))
	defer guard.Stop()
	select {
	case <-r.done:
	case <-guard.C:
		panic("bot.Run did not return after cancel")
	}
}

func (r *runner) waitStatus(t testing.TB, online bool) bot.Status {
	t.Helper()
	guard := ctxT(t)
	for {
		select {
		case s := <-r.statuses:
			if s.Online == online {
				return s
			}
		case <-guard.Done():
			t.Fatalf("hung waiting for online=%v", online)
		}
	}
}

// retrySend calls Send until it succeeds, counting failures (the outbox's
// job in production).
func retrySend(ctx context.Context, c *bot.Client, m rules.Outgoing) (failures int, err error) {
	for {
		err := c.Send(ctx, m)
		if err == nil {
			return failures, nil
		}
		if ctx.Err() != nil || errors.Is(err, rules.ErrNoRecipient) {
			return failures, err
		}
		failures++
	}
}

// rawBot is an unmodified openwechat client (stock storage) for the
// negative controls and the baseline benchmark.
type rawBot struct {
	bot    *openwechat.Bot
	cancel context.CancelFunc
}

var rawSeq atomic.Int64

func newRawBot(t testing.TB, sim *wxsim.Server, handler openwechat.MessageHandler) *rawBot {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := openwechat.DefaultBot(openwechat.Desktop,
		openwechat.WithContextOption(ctx),
		openwechat.WithDeviceID(fmt.Sprintf("e%015d", 200000000000000+rawSeq.Add(1))))
	b.UUIDCallback = func(string) {}
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {}
	b.LoginCallBack = func(openwechat.CheckLoginResponse) {}
	b.SyncCheckCallback = nil
	b.MessageHandler = handler
	b.Caller.Client.HTTPClient().Transport = sim.Transport()
	t.Cleanup(cancel)
	return &rawBot{bot: b, cancel: cancel}
}

func writeTemp(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAllOpen(ctx context.Context, f *rules.InboundFile) ([]byte, error) {
	rc, err := f.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }
