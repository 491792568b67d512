package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/mdp/qrterminal/v3"

	"dudaobot/rules"
)

// session is one logged-in openwechat.Bot. A Bot cannot log in again after
// it exits, so every login attempt builds a new Bot and a new session.
type session struct {
	c      *Client
	how    string // "hot", "push", "qr"
	bot    *openwechat.Bot
	ctx    context.Context // cancelled when the session ends or Run stops
	cancel context.CancelFunc
	store  *hotStore

	contacts  atomic.Pointer[contactSnap]
	refreshMu sync.Mutex // one contact fetch at a time

	// Sync-error state: touched only on the sync goroutine.
	errStreak int
	errSince  time.Time
	degraded  bool

	// batch holds the converted messages of the current webwxsync batch
	// for a BatchIntake (sync goroutine only); endBatch hands them over.
	batch []rules.Inbound
}

// login runs one supervisor cycle: hot login, then push login (once per
// outage), then a QR login. Each attempt gets a fresh Bot.
func (c *Client) login(ctx context.Context, pushTried *bool) (*session, error) {
	var errs []error
	// try makes one attempt; done says the cycle ends here (logged in, or
	// ctx ended).
	try := func(how string, st *hotStore, next string) (s *session, done bool, err error) {
		s, err = c.attempt(ctx, how, st)
		if err == nil || ctx.Err() != nil {
			return s, true, err
		}
		c.log.Info(how+" login failed; "+next, "err", err)
		errs = append(errs, err)
		return nil, false, nil
	}
	if c.o.HotLoginFile != "" {
		st := c.openStore()
		if st.canHotLogin() {
			if s, done, err := try("hot", st, "trying push login"); done {
				return s, err
			}
		}
		if !c.o.DisablePushLogin && !*pushTried && st.canPushLogin() {
			*pushTried = true
			if s, done, err := try("push", c.openStore(), "falling back to QR"); done {
				return s, err
			}
		}
	}
	s, err := c.attempt(ctx, "qr", c.openStore())
	if err == nil {
		return s, nil
	}
	if errors.Is(err, openwechat.ErrLoginTimeout) {
		return nil, err
	}
	errs = append(errs, err)
	return nil, errors.Join(errs...)
}

// attempt builds a Bot and logs in with one method.
func (c *Client) attempt(ctx context.Context, how string, st *hotStore) (*session, error) {
	sctx, cancel := context.WithCancel(ctx)
	// WithContextOption: cancelling our context stops the sync loop without
	// touching bot.self (Exit from another goroutine would race with it).
	bot := openwechat.DefaultBot(openwechat.Desktop,
		openwechat.WithContextOption(sctx),
		openwechat.WithDeviceID(c.o.DeviceID))
	s := &session{c: c, how: how, bot: bot, ctx: sctx, cancel: cancel, store: st}

	hc := bot.Caller.Client.HTTPClient()
	hc.Timeout = 0 // per-endpoint deadlines live in c.rt (downloads may take minutes)
	hc.Transport = c.rt
	// do() re-sends immediately on transport errors (no backoff) and can
	// deliver a POST twice; every caller of ours retries with backoff instead.
	bot.Caller.Client.MaxRetryTimes = 1
	bot.Caller.Client.AddHttpHook(commitHook{s})

	bot.UUIDCallback = c.showQR // never xdg-open on a server
	bot.ScanCallBack = func(openwechat.CheckLoginResponse) { c.log.Info("QR scanned; waiting for confirmation on the phone") }
	bot.LoginCallBack = func(openwechat.CheckLoginResponse) {}
	bot.SyncCheckCallback = s.onSyncCheck
	bot.MessageHandler = s.onMessage
	bot.MessageErrorHandler = s.onSyncError
	bot.LogoutCallBack = func(b *openwechat.Bot) {
		c.log.Info("openwechat logout callback", "reason", errString(b.CrashReason()))
	}

	c.log.Info("logging in", "method", how)
	var err error
	switch how {
	case "hot":
		err = bot.HotLogin(st)
	case "push":
		st.plainRead()
		err = bot.PushLogin(st)
	default:
		// QR login with the storage attached: openwechat only attaches a
		// HotReloadStorage through botReload, so hand it a storage that reads
		// as invalid and let the retry option fall through to a scan login.
		st.forgetRead()
		err = bot.HotLogin(st, openwechat.NewRetryLoginOption())
	}
	if err != nil {
		st.close()
		cancel()
		return nil, fmt.Errorf("bot: %s login: %w", how, err)
	}
	if err := s.refreshContacts(sctx, true); err != nil {
		// Not fatal: the handler resolves unknown senders one by one, and the
		// periodic refresh retries.
		c.log.Warn("contact list refresh after login failed", "err", err)
	}
	c.setOnline(s, how+" login") // CauseHotLogin, CausePushLogin, CauseQRLogin
	return s, nil
}

// serve blocks until the session ends and returns the cause.
func (c *Client) serve(ctx context.Context, s *session) string {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.refreshLoop()
	}()
	<-s.bot.Context().Done()
	// The sync goroutine may still be finishing a handler: no later dump of
	// this session may reach the file.
	s.store.close()
	s.cancel()
	wg.Wait()
	if ctx.Err() != nil {
		return CauseShutdown
	}
	// CrashReason is written by ExitWith before the context is cancelled.
	if err := s.bot.CrashReason(); err != nil {
		var ret openwechat.Ret
		if errors.As(err, &ret) {
			return fmt.Sprintf("synccheck %d", int(ret))
		}
		return err.Error()
	}
	return "session ended"
}

// The login writes LoginInfo, Request and Response (with User) before it
// starts the sync goroutine and never again; later the sync goroutine only
// replaces Response.SyncKey. So these reads are race-free from the sync
// goroutine (which may run handlers before Login even returns), from the
// login goroutine, and from Send (which sees the session only after
// setOnline published it under c.mu).
func (s *session) info() *openwechat.LoginInfo  { return s.bot.Storage.LoginInfo }
func (s *session) req() *openwechat.BaseRequest { return s.bot.Storage.Request }
func (s *session) selfName() string {
	if r := s.bot.Storage.Response; r != nil && r.User != nil {
		return r.User.UserName
	}
	return ""
}

// selfNick is the bot account's nickname: in groups people @mention the
// bot by it.
func (s *session) selfNick() string {
	if r := s.bot.Storage.Response; r != nil && r.User != nil {
		return r.User.NickName
	}
	return ""
}

func (c *Client) showQR(uuid string) {
	content := "https://login.weixin.qq.com/l/" + uuid
	w := c.qrW
	fmt.Fprintln(w, "请用手机微信扫描二维码登录机器人账号 (scan with WeChat to log the bot in):")
	qrterminal.GenerateWithConfig(content, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	fmt.Fprintf(w, "二维码内容 / QR content: %s\n", content)
	fmt.Fprintf(w, "二维码图片 / QR image:   %s\n", openwechat.GetQrcodeUrl(uuid))
	c.log.Info("waiting for QR scan", "url", content)
}

// onSyncCheck runs on the sync goroutine after every parsed heartbeat.
func (s *session) onSyncCheck(resp openwechat.SyncCheckResponse) {
	if !resp.Success() || s.errStreak == 0 {
		return
	}
	s.c.log.Info("wechat sync recovered", "after_errors", s.errStreak, "for", s.c.now().Sub(s.errSince))
	s.errStreak = 0
	if s.degraded {
		s.degraded = false
		s.c.setOnline(s, CauseSyncRecovered)
	}
}

// onSyncError replaces openwechat's default, which retries every non-logout
// error in a tight loop (thousands of requests per second). Logout codes end
// the session; everything else is retried with exponential backoff, slept
// here on the sync goroutine.
func (s *session) onSyncError(err error) error {
	var ret openwechat.Ret
	if errors.As(err, &ret) && (ret == 1100 || ret == 1101 || ret == 1102) {
		s.c.log.Warn("wechat ended the session", "retcode", int(ret))
		return err
	}
	if s.ctx.Err() != nil {
		return err
	}
	now := s.c.now()
	if s.errStreak == 0 {
		s.errSince = now
	}
	d := s.c.o.SyncBackoff.delay(s.errStreak)
	s.errStreak++
	failing := now.Sub(s.errSince)
	s.c.log.Warn("wechat sync error; backing off", "err", err, "retry_in", d, "streak", s.errStreak, "failing_for", failing)
	if failing >= s.c.o.AbandonAfter {
		return fmt.Errorf("%w (failing for %s): %w", errSessionAbandoned, failing.Round(time.Second), err)
	}
	if failing >= s.c.o.OfflineAfter && !s.degraded {
		s.degraded = true
		s.c.setDegraded(s, "sync failing: "+err.Error())
	}
	if !sleepCtx(s.ctx, d) {
		return s.ctx.Err()
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// commitHook ends a sync batch when the sync goroutine issues its next
// synccheck. openwechat's loop is strictly sequential — synccheck →
// webwxsync → dump → handler(msg) for each message → synccheck, with nothing
// in between (bot.go processNewMessages, doSyncCheck) — so that request
// proves every handler of the previous batch has returned. With a
// BatchIntake the buffered messages are handed over here, in one
// AcceptBatch call; then, and only once the Intake has durably accepted
// every message the dump's SyncKey covers, the buffered dump is committed.
// A crash anywhere before the commit leaves the old SyncKey on disk and the
// batch is delivered again (the Intake dedupes).
type commitHook struct{ s *session }

func (h commitHook) BeforeRequest(req *http.Request) {
	if strings.HasSuffix(req.URL.Path, "/synccheck") {
		if h.s.endBatch() {
			h.s.store.commit()
		}
	}
}

func (commitHook) AfterRequest(*http.Response, error) {}
