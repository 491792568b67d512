// Package sandbox runs the real bot — the real openwechat client, a real
// database and the real scheduler — against the built-in simulated WeChat
// (wxsim), and serves a web page on loopback to play every part: any official
// of the roster, the director, and the clock.
//
// The sandbox never touches production data: the configuration is loaded as
// usual, but the database, files_dir, backups_dir and hot_login_file are moved
// under Options.DataDir, PostgreSQL is replaced by a SQLite file there, and
// e-mail alerts are switched off.
//
// Time is simulated (clock.Sim). Cron runs on wall time, so the bot is built
// with app.ClockJobs: app runs the jobs from the simulated clock — the
// reminder sweep many times per simulated hour (slots, not sweeps, decide
// what is sent, so frequent sweeps are safe), the outbox drain every half
// second, and the director's digest whenever the simulated clock passes the
// digest_cron time (or on the page's button). A jump of the clock is
// app.FastForward, with the bot online all along: the reminders of the days
// passed over are swept at their slot times and sent, not recorded as
// missed as after an outage.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"dudaobot/app"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// Defaults of Options.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultDataDir    = "sandbox-data"
	DefaultConfigPath = "config.yaml"
	// MaxSpeed is the fastest clock multiplier the page offers (one
	// simulated day per real second).
	MaxSpeed = 86400
)

// Options configures a sandbox. The zero value runs the shipped config.yaml
// on 127.0.0.1:8080 with its data in ./sandbox-data.
type Options struct {
	// Addr is the web page's listen address (default 127.0.0.1:8080;
	// "127.0.0.1:0" picks a free port).
	Addr string
	// DataDir holds the sandbox's own database, received files, backups and
	// hot-login file (default "sandbox-data"). It is created if missing.
	DataDir string
	// ConfigPath is the configuration to play (default "config.yaml").
	ConfigPath string
	// Start is the simulated time at start. Zero: the time saved in DataDir
	// by the previous run, else 10 January of the configured year, 09:00 in
	// the configured zone.
	Start time.Time
	// Speed is the clock multiplier (default 1 = real time; 0 is only
	// possible by setting it on the page, where it pauses the clock).
	Speed float64
	// Out receives the start-up lines (the URL). Nil: discarded.
	Out io.Writer
	// Logger receives the bot's logs. Nil: discarded.
	Logger *slog.Logger
	// SendInterval ± SendJitter is the outbox pace (default 300ms ± 100ms:
	// far faster than a real account may send).
	SendInterval, SendJitter time.Duration
	// LoginTimeout bounds the wait for the bot's first login (default 60s).
	LoginTimeout time.Duration
	// Public allows a listen address other than loopback. Anyone who can
	// reach it and holds the URL (with its token) plays every part,
	// director included.
	Public bool
}

// Sandbox is a running sandbox. Create it with Start; stop it with Close.
type Sandbox struct {
	o     Options
	cfg   *config.Config
	loc   *time.Location
	clock *clock.Sim
	sim   *wxsim.Server
	app   *app.App

	people []*person          // display order: directors, then units in roster order, then groups
	byID   map[string]*person // wxsim contact id → person
	units  []rules.Unit

	hist *history
	hub  *hub

	ln    net.Listener
	srv   *http.Server
	base  string // http://host:port/
	token string // per-run secret every API call carries
	hosts hostRule

	appCancel   context.CancelFunc
	appDone     chan struct{}
	appErr      error
	driveCtx    context.Context // the page's clock ticks and jumps
	driveCancel context.CancelFunc
	jumpWG      sync.WaitGroup
	jumpMu      sync.Mutex
	jumping     time.Time // target of the fast-forward in progress (zero: none)
	speed       float64   // the speed chosen on the page (the clock is paused while jumping)
	driveWG     sync.WaitGroup
	pumpDone    chan struct{}
	closing     chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

// person is one chat partner of the bot in the sandbox.
type person struct {
	ID       string `json:"id"` // wxsim contact id
	Name     string `json:"name"`
	Remark   string `json:"remark"`
	Role     string `json:"role"` // "director" | "official" | "backup" | "group"
	UnitKey  string `json:"unitKey,omitempty"`
	UnitName string `json:"unitName,omitempty"`
	// Avatar is the two characters the page shows as the contact's
	// picture: the unit's short name (组织, 宣传, 卫健…), distinct per unit.
	Avatar string `json:"avatar"`
}

// Run starts the sandbox, prints its URL to Options.Out and serves until
// ctx is done.
func Run(ctx context.Context, o Options) error {
	s, err := Start(ctx, o)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-s.appDone:
		// The bot stopped on its own: nothing left to play with.
	}
	err = s.Close()
	if s.o.Out != nil {
		fmt.Fprintln(s.o.Out, "沙盒已停止 / sandbox stopped")
	}
	return err
}

// Start builds and starts everything, waits until the bot has logged in to
// the simulator and returns. ctx bounds the start-up only; Close stops the
// sandbox.
func Start(ctx context.Context, o Options) (_ *Sandbox, err error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.ConfigPath == "" {
		o.ConfigPath = DefaultConfigPath
	}
	if o.Speed < 0 || o.Speed > MaxSpeed {
		return nil, fmt.Errorf("sandbox: speed %g out of range (0…%d)", o.Speed, MaxSpeed)
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = app.ScrubLogger(o.Logger)
	if o.SendInterval <= 0 && o.SendJitter <= 0 {
		o.SendInterval, o.SendJitter = 300*time.Millisecond, 100*time.Millisecond
	}
	if o.LoginTimeout <= 0 {
		o.LoginTimeout = 60 * time.Second
	}
	if err := checkAddr(o.Addr, o.Public); err != nil {
		return nil, err
	}
	cfg, err := config.Load(o.ConfigPath)
	if err != nil {
		return nil, err
	}
	if err := prepareDataDir(o.DataDir, cfg); err != nil {
		return nil, err
	}
	isolate(cfg, o.DataDir)
	// The simulator is new on every run, so a hot-login file from the last
	// run names a session that no longer exists: start with a fresh login.
	if err := os.Remove(cfg.WeChat.HotLoginFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sandbox: %w", err)
	}

	s := &Sandbox{
		o: o, cfg: cfg, loc: cfg.Location(),
		byID:     map[string]*person{},
		units:    cfg.Units(),
		hub:      newHub(),
		appDone:  make(chan struct{}),
		pumpDone: make(chan struct{}),
		closing:  make(chan struct{}),
	}
	start, restored := o.Start, false
	if start.IsZero() {
		start, restored = s.initialTime()
	}
	s.clock = clock.NewSim(start.In(s.loc), o.Speed)
	s.speed = o.Speed

	// Listen first: a busy port fails before anything is opened.
	s.ln, err = net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: 无法监听 %s（端口被占用？可用 -addr 换一个）/ cannot listen: %w", o.Addr, err)
	}
	s.base = "http://" + s.ln.Addr().String() + "/"
	s.hosts = newHostRule(s.ln.Addr())
	if s.token, err = newToken(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.ln.Close()
		}
	}()

	s.sim = wxsim.New(wxsim.Options{
		AutoConfirm:  true,
		LongPollHold: 2 * time.Second,
		Logger:       o.Logger.With("component", "wxsim"),
	})
	defer func() {
		if err != nil {
			s.sim.Close()
		}
	}()
	s.addContacts()
	s.hist = newHistory(s.byID)

	s.app, err = app.New(ctx, app.Options{
		Config:    cfg,
		Clock:     s.clock,
		Logger:    o.Logger,
		Transport: s.sim.Transport(),
		QRWriter:  io.Discard,
		ClockJobs: &app.ClockJobs{
			DrainEvery: 500 * time.Millisecond,
			SweepEvery: func() time.Duration { return sweepInterval(s.Speed()) },
		},
		Sandbox:      true,
		SendInterval: o.SendInterval,
		SendJitter:   o.SendJitter,
	})
	if err != nil {
		return nil, err
	}

	// The feed of what the bot sends, subscribed before it can send anything.
	feed, unsubscribe := s.sim.Subscribe()
	go s.pump(feed)

	appCtx, appCancel := context.WithCancel(context.WithoutCancel(ctx))
	s.appCancel = appCancel
	go func() {
		defer close(s.appDone)
		s.appErr = s.app.Run(appCtx)
	}()

	if err := s.waitOnline(ctx); err != nil {
		appCancel()
		<-s.appDone
		unsubscribe()
		return nil, err
	}

	s.driveCtx, s.driveCancel = context.WithCancel(context.WithoutCancel(ctx))
	s.driveWG.Go(func() { s.tickLoop(s.driveCtx) })

	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("sandbox web server", slog.Any("err", err))
		}
	}()

	now := s.clock.Now()
	fmt.Fprintf(o.Out, "督导机器人沙盒已启动 / sandbox running: %s\n", s.URL())
	fmt.Fprintln(o.Out, "  请用上面的完整网址打开（含本次运行的访问令牌 token）/ open the full URL: it carries this run's token")
	if o.Public {
		fmt.Fprintf(o.Out, "  警告：网页在 %s 上对网络开放，任何拿到上述网址的人都能以主任身份操作沙盒 / WARNING: listening beyond loopback; anyone with the URL plays the director\n", o.Addr)
	}
	// prepareDataDir refused a folder holding production data, and the
	// app refused any path outside it: the separation is checked, not
	// assumed.
	fmt.Fprintf(o.Out, "  模拟微信已登录，联系人 %d 个；数据目录 %s（沙盒专用，与正式数据库分开）\n", len(s.people), o.DataDir)
	if restored {
		fmt.Fprintf(o.Out, "  模拟时间沿用上次：%s（删除数据目录即可从头开始）\n", fmtTime(now, s.loc))
	} else {
		fmt.Fprintf(o.Out, "  模拟时间：%s，速度 %g 倍\n", fmtTime(now, s.loc), s.Speed())
	}
	fmt.Fprintln(o.Out, "  按 Ctrl+C 退出 / Ctrl+C to stop")
	return s, nil
}

// isolate points every path the bot writes at the sandbox's data folder and
// turns off what could reach the outside world.
func isolate(cfg *config.Config, dir string) {
	cfg.Database = config.Database{Driver: "sqlite", Path: filepath.Join(dir, "dudao.db")}
	cfg.FilesDir = filepath.Join(dir, "files")
	cfg.BackupsDir = filepath.Join(dir, "backups")
	cfg.WeChat.HotLoginFile = filepath.Join(dir, "hotlogin.json")
	cfg.SMTP = config.SMTP{}
}

// addContacts creates a simulator contact for every director, official and
// backup, with the remark names the office sets, and a group for every
// configured group name.
func (s *Sandbox) addContacts() {
	add := func(p *person) {
		c := s.sim.AddContact(p.Name, p.Remark)
		p.ID = c.ID
		s.people = append(s.people, p)
		s.byID[p.ID] = p
	}
	for _, d := range s.cfg.Directors() {
		add(&person{Name: d.Name, Remark: d.WeChatRemark, Role: "director", Avatar: "主任"})
	}
	avatars := unitAvatars(s.units)
	var members []string
	for _, u := range s.units {
		for _, o := range u.Officials {
			add(&person{Name: o.Name, Remark: o.WeChatRemark, Role: "official", UnitKey: u.Key, UnitName: u.Name, Avatar: avatars[u.Key]})
			members = append(members, s.people[len(s.people)-1].ID)
		}
		if b := u.Backup; b != nil {
			add(&person{Name: b.Name, Remark: b.WeChatRemark, Role: "backup", UnitKey: u.Key, UnitName: u.Name, Avatar: avatars[u.Key]})
		}
	}
	groups := append([]string(nil), s.cfg.WeChat.Groups...)
	if g := s.cfg.Reminders.GroupDigest; g != "" {
		groups = append(groups, g)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if seen[g] {
			continue
		}
		seen[g] = true
		c := s.sim.AddGroup(g, members...)
		p := &person{ID: c.ID, Name: g, Role: "group", Avatar: string([]rune(g)[:min(2, len([]rune(g)))])}
		s.people = append(s.people, p)
		s.byID[p.ID] = p
	}
}

// waitOnline waits until the bot is logged in and syncing.
func (s *Sandbox) waitOnline(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.LoginTimeout)
	defer cancel()
	select {
	case <-s.app.LoggedIn():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sandbox: 机器人未能登录模拟微信 / the bot did not log in to the simulator: %w", ctx.Err())
	case <-s.appDone:
		return fmt.Errorf("sandbox: the bot stopped during login: %v", s.appErr)
	}
}

// URL is the web page's address with this run's token, e.g.
// http://127.0.0.1:8080/?token=3f…; the page reads the token from it.
func (s *Sandbox) URL() string { return s.base + "?token=" + s.token }

// Base is the web server's address without the token,
// e.g. http://127.0.0.1:8080/.
func (s *Sandbox) Base() string { return s.base }

// Token is this run's API token (header X-Sandbox-Token or query token).
func (s *Sandbox) Token() string { return s.token }

// Sim is the simulator (tests inspect what the bot sent).
func (s *Sandbox) Sim() *wxsim.Server { return s.sim }

// App is the running bot.
func (s *Sandbox) App() *app.App { return s.app }

// Clock is the simulated clock.
func (s *Sandbox) Clock() *clock.Sim { return s.clock }

// Close stops the web server, a jump in progress, the bot (its jobs
// first) and the simulator, in that order, and saves the simulated time
// for the next run.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing) // ends the event streams, which Shutdown does not
		s.driveCancel()  // ends the clock ticks and a fast-forward in progress
		s.jumpMu.Lock()  // a Jump from now on sees driveCtx done and starts nothing
		s.jumpMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var errs []error
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: web server: %w", err))
		}
		s.driveWG.Wait()
		s.jumpWG.Wait()
		s.saveClock()
		s.appCancel()
		<-s.appDone
		if s.appErr != nil {
			errs = append(errs, s.appErr)
		}
		s.sim.Close() // closes the feed: the pump ends
		<-s.pumpDone
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// --- simulated time ---------------------------------------------------------

type savedClock struct {
	Now   time.Time `json:"now"`
	Speed float64   `json:"speed"`
}

func (s *Sandbox) clockFile() string { return filepath.Join(s.o.DataDir, "sandbox-clock.json") }

// initialTime is the time saved by the last run on this data folder, or 10
// January of the configured year at 09:00.
func (s *Sandbox) initialTime() (time.Time, bool) {
	def := time.Date(s.cfg.Calendar().Year, time.January, 10, 9, 0, 0, 0, s.loc)
	b, err := os.ReadFile(s.clockFile())
	if err != nil {
		return def, false
	}
	var sc savedClock
	if json.Unmarshal(b, &sc) != nil || sc.Now.Before(def) {
		return def, false
	}
	return sc.Now, true
}

func (s *Sandbox) saveClock() {
	b, _ := json.Marshal(savedClock{Now: s.clock.Now(), Speed: s.Speed()})
	tmp := s.clockFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err == nil {
		if err := os.Rename(tmp, s.clockFile()); err != nil {
			s.o.Logger.Warn("saving the simulated time", slog.Any("err", err))
		}
	}
}

// --- the page's clock -------------------------------------------------------

// sweepInterval is how often (in real time) app sweeps reminders: every
// second, or often enough that at least one sweep runs every simulated hour
// (a slot is then never swept later than catchup_grace allows).
func sweepInterval(speed float64) time.Duration {
	d := time.Second
	if speed > 0 {
		if h := time.Duration(float64(time.Hour) / speed); h < d {
			d = h
		}
	}
	return max(d, 50*time.Millisecond)
}

// tickLoop tells the page the time every real second and saves it now and
// then, so a killed sandbox resumes close to where it was.
func (s *Sandbox) tickLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.hub.publish("clock", s.clockState())
		if n%10 == 0 {
			s.saveClock()
		}
	}
}

// pump turns what the bot sends into chat history.
func (s *Sandbox) pump(feed <-chan wxsim.Sent) {
	defer close(s.pumpDone)
	for sent := range feed {
		m, unread, ok := s.hist.addBot(sent, s.clock.Now())
		if !ok {
			s.o.Logger.Info("bot message to a contact the sandbox does not show", slog.String("to", sent.ToID))
			continue
		}
		s.hub.publish("message", messageEvent{Message: s.view(m), Unread: unread})
	}
}

func fmtTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d年%d月%d日 %s %s", t.Year(), int(t.Month()), t.Day(), weekday(t), t.Format("15:04"))
}

func weekday(t time.Time) string {
	return "星期" + []string{"日", "一", "二", "三", "四", "五", "六"}[t.Weekday()]
}

// unitAvatars gives each unit two characters for its contacts' picture:
// the start of its shortest name without the county's 县 (组织, 宣传, 卫健),
// so the 县委 units no longer all show 委. A unit whose two characters
// another unit already has takes the next of its names that differs, or
// its first and last characters.
func unitAvatars(units []rules.Unit) map[string]string {
	out := make(map[string]string, len(units))
	taken := map[string]bool{}
	for _, u := range units {
		names := append([]string{u.ShortName()}, u.Aliases...)
		names = append(names, u.Name)
		var cands []string
		for _, n := range names {
			r := []rune(strings.TrimPrefix(n, "县"))
			if len(r) >= 2 {
				cands = append(cands, string(r[:2]), string(r[0])+string(r[len(r)-1]))
			}
		}
		pick := u.Key
		for _, c := range cands {
			if !taken[c] {
				pick = c
				break
			}
		}
		taken[pick] = true
		out[u.Key] = pick
	}
	return out
}
