// Package bot is the WeChat transport: the only package that imports
// openwechat. It keeps one web-WeChat session alive (hot login → push login →
// QR login, with backoff, a new openwechat.Bot per attempt), converts inbound
// messages into rules.Inbound for an Intake, and sends rules.Outgoing.
//
// Reliability decisions:
//   - the hot-reload file is written atomically and the new SyncKey it carries
//     reaches the disk only after the Intake has durably accepted every
//     message of that sync batch (hotstore.go);
//   - openwechat v1.4.10's two hot-login cookie defects are worked around in
//     the storage (hotstore.go);
//   - no handler can panic the process, and nothing slow runs on the single
//     sync goroutine except the Intake's durable record;
//   - the client's blanket 30 s timeout is replaced by per-endpoint deadlines
//     so long polls and large downloads work (transport.go).
package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/rules"
)

// Intake receives inbound messages. Accept is called on openwechat's single
// sync goroutine, in order, and must return only after the message is durably
// recorded (dedupe); slow work happens on the intake's own workers. An error
// makes the bot retry the same message with backoff (it never skips it), so
// the sync position is not advanced past an unrecorded message.
type Intake interface {
	Accept(ctx context.Context, in rules.Inbound) error
}

// BatchIntake is optional for an Intake: the bot then hands over all the
// messages of one webwxsync batch in ONE AcceptBatch call, in order, when
// the batch ends (at the next synccheck request, which openwechat issues
// right after the batch), instead of one Accept per message. AcceptBatch
// must return only after every message is durably recorded (one
// transaction); an error means none may count as recorded, and the bot
// retries the whole batch with backoff, so recording must be idempotent
// (dedupe). A panic makes the bot fall back to Accept, message by message.
type BatchIntake interface {
	Intake
	AcceptBatch(ctx context.Context, ins []rules.Inbound) error
}

// BackoffPolicy is an exponential backoff: Min, doubling, capped at Max.
type BackoffPolicy struct {
	Min, Max time.Duration
}

func (p BackoffPolicy) withDefaults(min, max time.Duration) BackoffPolicy {
	if p.Min <= 0 {
		p.Min = min
	}
	if p.Max <= 0 {
		p.Max = max
	}
	if p.Max < p.Min {
		p.Max = p.Min
	}
	return p
}

// delay returns the wait before retry number n (0-based), with up to 20%
// random jitter so that many clients (or many retries) do not line up.
func (p BackoffPolicy) delay(n int) time.Duration {
	d := p.Min
	for i := 0; i < n && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	if j := int64(d / 5); j > 0 {
		if r, err := rand.Int(rand.Reader, big.NewInt(j)); err == nil {
			d += time.Duration(r.Int64())
		}
	}
	return d
}

// Status is an online/offline transition, reported through Options.OnStatus.
type Status struct {
	Online bool
	Since  time.Time // when this state began
	// Cause: why we went offline ("synccheck 1101", "shutdown", …) or how we
	// came back ("hot login", "push login", "qr login").
	Cause string
	// Downtime is set when coming online: how long the bot was unable to
	// receive (for the first login, since Run started). The app tells the
	// director what may have been missed and for how long.
	Downtime time.Duration
	// SelfName is the bot account's nickname (set when coming online); in
	// groups people @mention the bot by it.
	SelfName string
}

// Status causes. Offline causes also include "synccheck 1101" (the server
// ended the session: 1100 logged out on the phone, 1101 session expired or
// kicked, 1102 cookie invalid), "sync failing: …" and openwechat errors.
const (
	CauseHotLogin      = "hot login"      // same session: UserNames unchanged
	CausePushLogin     = "push login"     // new session: every UserName changed
	CauseQRLogin       = "qr login"       // new session: every UserName changed
	CauseSyncRecovered = "sync recovered" // same session, sync works again
	CauseShutdown      = "shutdown"
)

// SameSession reports whether coming online kept the previous session, so
// per-session UserNames are still valid.
func (s Status) SameSession() bool {
	return s.Online && (s.Cause == CauseHotLogin || s.Cause == CauseSyncRecovered)
}

// Send and Contacts return the transport errors of rules (rules.ErrOffline,
// rules.ErrTooOften, rules.ErrNoRecipient, rules.ErrAmbiguousRecipient),
// wrapped around the cause (use errors.Is).
var (
	errAlreadyRunning   = errors.New("bot: Run already running")
	errSessionAbandoned = errors.New("bot: session abandoned after persistent sync errors")
)

// Options configures a Client. Zero values get safe defaults.
type Options struct {
	HotLoginFile    string        // path of the hot-login file; written atomically
	Groups          []string      // group names (NickName) to deliver; other groups are ignored
	MaxFileBytes    int64         // informational: the Intake refuses by File.Size before downloading
	DownloadTimeout time.Duration // per-download deadline (default 10 min), NOT the client's 30 s
	// Transport is for tests (wxsim.Transport()); nil = http.DefaultTransport
	// (honours HTTPS_PROXY/NO_PROXY and the system CAs).
	Transport http.RoundTripper
	QRWriter  io.Writer    // terminal QR + URL; nil = os.Stdout
	OnStatus  func(Status) // online/offline transitions, in order, on their own goroutine
	// OnIntake reports the Intake failing to record messages and
	// recovering (see IntakeStatus). It is called on the sync goroutine,
	// which waits for the Intake anyway: it must return quickly.
	OnIntake    func(IntakeStatus)
	ResolveFile func(path string) (string, error) // docstore path → absolute path, for sending files
	// OnContacts receives the friends after every fetch of the contact
	// list (login, the periodic refresh, an unknown sender), outside any
	// lock of the client: the conversations end a code binding once the
	// person's remark appears.
	OnContacts func(context.Context, []rules.Contact)
	Logger     *slog.Logger
	// Now reads the time stamped on inbound messages and status changes
	// (nil: time.Now); tests pass a fake clock's Now.
	Now     func() time.Time
	Backoff BackoffPolicy // between failed login attempts (default 1 s … 2 min)

	// SyncBackoff paces retries after non-logout sync errors (default 1 s …
	// 60 s); openwechat itself would retry in a tight loop.
	SyncBackoff BackoffPolicy
	// OfflineAfter: continuous sync errors for this long are reported as
	// offline (default 60 s) while the session is still retried.
	OfflineAfter time.Duration
	// AbandonAfter: continuous sync errors for this long end the session so the
	// supervisor logs in again (default 15 min).
	AbandonAfter time.Duration
	// ContactRefresh is the contact-list refresh period (default 10 min):
	// openwechat ignores ModContactList, so renamed remarks appear only on a
	// refresh.
	ContactRefresh time.Duration
	// LongPollTimeout bounds synccheck and the login poll (default 45 s; the
	// server holds them ≤ 25 s). RequestTimeout bounds every other API call
	// except downloads (default 60 s); UploadChunkTimeout bounds one 512 KiB
	// upload chunk (default 5 min).
	LongPollTimeout    time.Duration
	RequestTimeout     time.Duration
	UploadChunkTimeout time.Duration
	// DeviceID is the web client's device id ("e" + 15 digits). Default: a
	// random one per Client (openwechat seeds its generator with the unix
	// second, so two bots started together would collide).
	DeviceID string
	// DisablePushLogin skips the phone-confirm step and goes straight to QR.
	DisablePushLogin bool
	// TempDir is where outgoing files are staged under their display name
	// (default os.TempDir()).
	TempDir string
}

// Client is the WeChat transport. Create with New, then call Run.
type Client struct {
	o   Options
	in  Intake
	log *slog.Logger
	now func() time.Time
	qrW io.Writer
	rt  http.RoundTripper

	fileMu sync.Mutex // serialises hot-login file replacement across sessions
	health intakeHealth

	mu           sync.Mutex
	sess         *session // current logged-in session, nil when offline
	online       bool
	offlineSince time.Time
	started      bool
	statusQ      chan Status

	running atomic.Bool
}

// New builds a Client; nothing happens until Run.
func New(o Options, in Intake) *Client {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.QRWriter == nil {
		o.QRWriter = os.Stdout
	}
	o.Backoff = o.Backoff.withDefaults(time.Second, 2*time.Minute)
	o.SyncBackoff = o.SyncBackoff.withDefaults(time.Second, 60*time.Second)
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.DownloadTimeout, 10 * time.Minute},
		{&o.OfflineAfter, 60 * time.Second},
		{&o.AbandonAfter, 15 * time.Minute},
		{&o.ContactRefresh, 10 * time.Minute},
		{&o.LongPollTimeout, 45 * time.Second},
		{&o.RequestTimeout, 60 * time.Second},
		{&o.UploadChunkTimeout, 5 * time.Minute},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if o.DeviceID == "" {
		o.DeviceID = randomDeviceID()
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	base := o.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := &Client{
		o:   o,
		in:  in,
		log: o.Logger.With("component", "bot"),
		now: o.Now,
		qrW: o.QRWriter,
	}
	c.rt = &deadlineTransport{
		base:     base,
		longPoll: o.LongPollTimeout,
		request:  o.RequestTimeout,
		upload:   o.UploadChunkTimeout,
	}
	return c
}

func randomDeviceID() string {
	const digits = "0123456789"
	b := []byte("e")
	for i := 0; i < 15; i++ {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			n = big.NewInt(int64(time.Now().UnixNano() % 10))
		}
		b = append(b, digits[n.Int64()])
	}
	return string(b)
}

// Online reports whether a session is logged in and syncing.
func (c *Client) Online() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.online
}

func (c *Client) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Run is the supervisor: it logs in (hot → push → QR), serves the session
// until it ends, reports the transition and logs in again, until ctx is done.
// It returns nil after ctx is cancelled.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errAlreadyRunning
	}
	defer c.running.Store(false)

	c.mu.Lock()
	c.offlineSince = c.now()
	c.statusQ = make(chan Status, 64)
	q := c.statusQ
	c.mu.Unlock()
	statusDone := make(chan struct{})
	go c.deliverStatus(q, statusDone)
	defer func() {
		c.mu.Lock()
		close(c.statusQ)
		c.statusQ = nil
		c.mu.Unlock()
		<-statusDone
	}()

	failures := 0
	pushTried := false
	for {
		if ctx.Err() != nil {
			return nil
		}
		s, err := c.login(ctx, &pushTried)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, openwechat.ErrLoginTimeout) {
				// The QR code expired unscanned: show a new one right away.
				c.log.Info("login QR expired; showing a new one")
				failures = 0
				continue
			}
			d := c.o.Backoff.delay(failures)
			failures++
			c.log.Warn("login failed", "err", err, "retry_in", d, "attempt", failures)
			if !sleepCtx(ctx, d) {
				return nil
			}
			continue
		}
		failures, pushTried = 0, false
		cause := c.serve(ctx, s)
		if ctx.Err() != nil {
			c.setOffline(s, CauseShutdown)
			return nil
		}
		c.log.Warn("wechat session ended", "cause", cause, "login", s.how)
		c.setOffline(s, cause)
	}
}

// deliverStatus calls OnStatus in order on one goroutine, so a slow callback
// (it may write alerts to the database) never stalls the sync goroutine.
func (c *Client) deliverStatus(q <-chan Status, done chan<- struct{}) {
	defer close(done)
	for st := range q {
		if c.o.OnStatus == nil {
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.log.Error("OnStatus panicked", "panic", r)
				}
			}()
			c.o.OnStatus(st)
		}()
	}
}

func (c *Client) emitLocked(st Status) {
	if c.statusQ == nil {
		return
	}
	select {
	case c.statusQ <- st:
	default:
		c.log.Error("status queue full; dropping transition", "online", st.Online, "cause", st.Cause)
	}
}

// setOnline publishes s as the current session and reports the downtime.
func (c *Client) setOnline(s *session, cause string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
	if c.online {
		return
	}
	c.online = true
	down := now.Sub(c.offlineSince)
	if down < 0 {
		down = 0
	}
	c.log.Info("wechat online", "cause", cause, "downtime", down)
	c.emitLocked(Status{Online: true, Since: now, Cause: cause, Downtime: down, SelfName: s.selfNick()})
}

// setOffline reports that s no longer receives. Only the current session
// can take the client offline.
func (c *Client) setOffline(s *session, cause string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != nil && c.sess != s {
		return
	}
	c.sess = nil
	if !c.online {
		return
	}
	c.online = false
	c.offlineSince = now
	c.emitLocked(Status{Online: false, Since: now, Cause: cause})
}

// setDegraded reports offline while the session is kept and retried; Send
// still tries it.
func (c *Client) setDegraded(s *session, cause string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != s || !c.online {
		return
	}
	c.online = false
	c.offlineSince = now
	c.log.Warn("wechat offline (sync failing)", "cause", cause)
	c.emitLocked(Status{Online: false, Since: now, Cause: cause})
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
