package wxsim_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/internal/testutil"
	"dudaobot/wxsim"
)

func newSim(t *testing.T, opts wxsim.Options) *wxsim.Server {
	t.Helper()
	if opts.LongPollHold == 0 {
		opts.LongPollHold = time.Second
	}
	sim := wxsim.New(opts)
	t.Cleanup(sim.Close)
	return sim
}

// received is what the bot's message handler saw; for file messages the
// handler downloads the file on the sync goroutine (as a real bot would).
type received struct {
	msg     *openwechat.Message
	file    []byte
	fileErr error
}

type clientBot struct {
	bot       *openwechat.Bot
	cancel    context.CancelFunc // simulates killing the process (no logout)
	msgs      chan received
	uuids     chan string
	scanned   chan struct{}
	synced    chan struct{} // first sync (status notify) processed
	loggedOut chan struct{}
}

var deviceSeq atomic.Int64

// newClientBot builds the real openwechat client in Desktop mode wired to
// the simulator. Cancelling its context (t.Cleanup does) stops it without
// calling Exit, which avoids openwechat's own data race on Bot.self.
func newClientBot(t *testing.T, sim *wxsim.Server) *clientBot {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cb := &clientBot{
		cancel:    cancel,
		msgs:      make(chan received, 100),
		uuids:     make(chan string, 4),
		scanned:   make(chan struct{}, 4),
		synced:    make(chan struct{}, 4),
		loggedOut: make(chan struct{}),
	}
	bot := openwechat.DefaultBot(openwechat.Desktop,
		openwechat.WithContextOption(ctx),
		openwechat.WithDeviceID(fmt.Sprintf("e%015d", 100000000000000+deviceSeq.Add(1))))
	bot.UUIDCallback = func(uuid string) { cb.uuids <- uuid } // never xdg-open
	bot.ScanCallBack = func(openwechat.CheckLoginResponse) { cb.scanned <- struct{}{} }
	bot.LoginCallBack = func(openwechat.CheckLoginResponse) {}
	bot.SyncCheckCallback = nil
	var once sync.Once
	bot.LogoutCallBack = func(*openwechat.Bot) { once.Do(func() { close(cb.loggedOut) }) }
	bot.MessageHandler = func(m *openwechat.Message) {
		if m.StatusNotify() { // the first sync's MsgType 51
			// By now the client has dumped its hot-login storage.
			select {
			case cb.synced <- struct{}{}:
			default:
			}
			return
		}
		r := received{msg: m}
		if m.HasFile() {
			var buf bytes.Buffer
			r.fileErr = m.SaveFile(&buf)
			r.file = buf.Bytes()
		}
		cb.msgs <- r
	}
	hc := bot.Caller.Client.HTTPClient()
	hc.Transport = sim.Transport()
	hc.Timeout = testutil.GuardBudget(t) // big files on a loaded machine; long-polls are short in tests anyway
	cb.bot = bot
	t.Cleanup(cancel)
	return cb
}

func (cb *clientBot) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-cb.msgs:
		return r
	case <-ctxT(t).Done():
		t.Fatal("timed out waiting for a message")
		return received{}
	}
}

// stop kills the bot like a crashed process (no logout) once its first
// sync has been processed, so the storage file is no longer being written.
func (cb *clientBot) stop(t *testing.T) {
	t.Helper()
	select {
	case <-cb.synced:
	case <-ctxT(t).Done():
		t.Fatal("timed out waiting for the first sync")
	}
	cb.cancel()
}

func (cb *clientBot) waitLogout(t *testing.T) {
	t.Helper()
	select {
	case <-cb.loggedOut:
	case <-ctxT(t).Done():
		t.Fatal("timed out waiting for LogoutCallBack")
	}
}

// loginScan does a scan login with AutoConfirm or a manual confirm.
func loginScan(t *testing.T, sim *wxsim.Server, cb *clientBot, storage openwechat.HotReloadStorage) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		if storage != nil {
			// HotLogin with the retry option falls back to a scan login and
			// makes the bot dump its storage (first-run pattern of a real bot).
			errc <- cb.bot.HotLogin(storage, openwechat.NewRetryLoginOption())
			return
		}
		errc <- cb.bot.Login()
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("login: %v", err)
		}
	case <-ctxT(t).Done():
		t.Fatal("login timed out")
	}
}

// ctxT is the hang guard of every wait in these tests: each wait ends as
// soon as what it waits for happens, so a slow or loaded machine only makes
// a test longer; the guard ends just before the test binary's own deadline
// and turns a hung test into a failure.
func ctxT(t *testing.T) context.Context { return testutil.HangGuard(t) }

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func friendByRemark(t *testing.T, cb *clientBot, remark string) *openwechat.Friend {
	t.Helper()
	self, err := cb.bot.GetCurrentUser()
	if err != nil {
		t.Fatal(err)
	}
	friends, err := self.Friends(true)
	if err != nil {
		t.Fatalf("friends: %v", err)
	}
	for _, f := range friends {
		if f.RemarkName == remark {
			return f
		}
	}
	t.Fatalf("no friend with remark %q among %d", remark, len(friends))
	return nil
}

// memStorage is an in-memory HotReloadStorage: every Write replaces the
// content, reads start from the beginning of the latest content.
type memStorage struct {
	mu   sync.Mutex
	data []byte
	r    *bytes.Reader
}

func (m *memStorage) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.r == nil {
		m.r = bytes.NewReader(m.data)
	}
	return m.r.Read(p)
}

func (m *memStorage) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append([]byte(nil), p...)
	m.r = nil
	return len(p), nil
}

// fixJar applies the bot's hot-login cookie workaround (bot/hotstore.go):
// copy the wx.qq.com cookie list to the file. and webpush. hosts.
func fixJar(t *testing.T, raw []byte) []byte {
	t.Helper()
	var item map[string]json.RawMessage
	if err := json.Unmarshal(raw, &item); err != nil {
		t.Fatal(err)
	}
	var jar map[string]json.RawMessage
	if err := json.Unmarshal(item["Jar"], &jar); err != nil {
		t.Fatal(err)
	}
	base, ok := jar["https://wx.qq.com"]
	if !ok {
		t.Fatalf("no wx.qq.com cookies in storage: %s", item["Jar"])
	}
	jar["https://file.wx.qq.com"] = base
	jar["https://webpush.wx.qq.com"] = base
	b, err := json.Marshal(jar)
	if err != nil {
		t.Fatal(err)
	}
	item["Jar"] = b
	out, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// recv receives from ch or fails the test at its hang guard.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctxT(t).Done():
		t.Fatal("timed out waiting on a channel")
		var zero T
		return zero
	}
}
