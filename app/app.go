package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"dudaobot/bot"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/export"
	"dudaobot/extract"
	"dudaobot/handlers"
	"dudaobot/outbox"
	"dudaobot/rules"
	"dudaobot/scheduler"
)

// Options configures the whole bot.
type Options struct {
	Config *config.Config
	Clock  clock.Clock // nil: the wall clock
	Logger *slog.Logger
	// Transport replaces the HTTP transport of the WeChat client: the
	// sandbox and the tests pass wxsim's; production leaves it nil (Go's
	// default: honours HTTPS_PROXY/NO_PROXY and the system CAs).
	Transport http.RoundTripper
	QRWriter  io.Writer // where the login QR code is drawn (nil: stdout)
	// NoCron runs no job at all: neither cron nor ClockJobs (the contacts
	// command only logs in and reads the contact list).
	NoCron bool
	// ClockJobs runs the scheduler's jobs from Clock instead of cron on the
	// wall clock (the sandbox's simulated clock, the tests' fake clock).
	ClockJobs *ClockJobs
	// ShutdownGrace is how long Run waits, once ctx is done, for a running
	// job to finish before cancelling it (default 30 s).
	ShutdownGrace time.Duration
	// SendInterval/SendJitter override wechat.send_interval/send_jitter
	// (the sandbox and tests send faster than a real account may).
	SendInterval, SendJitter time.Duration
	// RelaySleep replaces the relay's pause between sends (tests pace it on
	// the fake clock, so the pace is measured in simulated seconds); nil:
	// a real timer.
	RelaySleep func(ctx context.Context, d time.Duration) error
	// Mailer sends the outage e-mail; nil builds one from config smtp.
	Mailer Mailer
	// BotOptions adjusts the WeChat client (tests shorten timeouts).
	BotOptions func(*bot.Options)
	// HandlerOptions adjusts the conversations (load tests turn flood
	// control off).
	HandlerOptions func(*handlers.Options)
	// Sandbox says the bot plays in the sandbox: every data path must lie
	// in a folder carrying SandboxMarker and the database must be SQLite.
	// Without it, data paths in such a folder are refused.
	Sandbox bool
}

// App is a running dudaobot: conversations, WeChat client, outbox relay and
// scheduler over one Core.
type App struct {
	*Core
	Intake        *handlers.Intake // inbound messages, from Bot
	Conversations *handlers.Conversations
	Bot           *bot.Client
	Relay         *outbox.Relay
	Scheduler     *scheduler.Scheduler
	extractor     *extract.Extractor
	jobs          *jobLoop // nil: cron runs the jobs (or NoCron)

	o      Options
	mailer Mailer

	mu          sync.Mutex
	offlineFrom time.Time
	alerted     bool
	statusCh    chan bot.Status
	intakeCh    chan bot.IntakeStatus // see dbalert.go
	online      chan struct{}         // closed at the first login
	onlineOnce  sync.Once
}

// New opens the core and builds every part; nothing runs until Run.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Config == nil {
		return nil, errors.New("app: no config")
	}
	// The same validation as config.Load: a config built or changed in code
	// (the sandbox, tests, a caller) must not reach the store with, e.g.,
	// an unknown zone that Location would quietly read as UTC.
	if err := o.Config.Validate(); err != nil {
		return nil, fmt.Errorf("app: config: %w", err)
	}
	o.Clock = cmp.Or[clock.Clock](o.Clock, clock.Real{})
	// Every part logs through it: no WeChat session secret reaches a log.
	o.Logger = ScrubLogger(cmp.Or(o.Logger, slog.New(slog.DiscardHandler)))
	cfg := o.Config
	core, err := openCore(ctx, cfg, o.Clock, o.Logger, o.Sandbox)
	if err != nil {
		return nil, err
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 30 * time.Second
	}
	a := &App{Core: core, o: o, statusCh: make(chan bot.Status, 16), intakeCh: make(chan bot.IntakeStatus, 16), online: make(chan struct{})}
	a.mailer = o.Mailer
	if a.mailer == nil && cfg.SMTP.Enabled() {
		a.mailer = SMTPMailer{C: cfg.SMTP}
	}
	loc := cfg.Location()
	inds, err := cfg.Indicators()
	if err != nil {
		core.Close()
		return nil, fmt.Errorf("app: %w", err)
	}
	scoring, err := cfg.ScoringModel()
	if err != nil {
		core.Close()
		return nil, fmt.Errorf("app: %w", err)
	}
	a.extractor = extract.New(extract.Options{})
	sheets := HandlerSheets{Files: core.Files, Model: scoring, Units: cfg.Units(), Indicators: inds}
	ho := handlers.Options{
		Scores:         core.Store,
		Scoring:        &scoring,
		Sheets:         sheets,
		ScoreSheets:    sheets,
		Lists:          sheets,
		Reports:        reportReader{ex: a.extractor, files: core.Files},
		Indicators:     inds,
		Inbox:          core.Store,
		Submissions:    core.Store,
		Broadcasts:     core.Store,
		State:          core.Store,
		Files:          HandlerFiles{Store: core.Files},
		Ledger:         core.Ledger(),
		AnnualReport:   core,
		Board:          overviewBoard{core},
		Problems:       core.Store,
		PlanNextYear:   cfg.Cycle.PlanNextYear,
		ProblemSheets:  export.ProblemSheets{},
		Clock:          o.Clock,
		Logger:         o.Logger.With("component", "handlers"),
		Calendar:       cfg.Calendar(),
		Units:          cfg.Units(),
		Directors:      cfg.Directors(),
		Inspectors:     cfg.Inspectors(),
		MaxFileBytes:   cfg.WeChat.MaxFileBytes(),
		UnitDailyBytes: cfg.Files.UnitDailyBytes,
		AllowedTypes:   cfg.WeChat.AllowedTypes,
		Groups:         cfg.WeChat.Groups,
		CodeKey:        core.CodeKey,
		CodeTTL:        cfg.Binding.CodeTTL.Duration,
	}
	if o.HandlerOptions != nil {
		o.HandlerOptions(&ho)
	}
	a.Intake, a.Conversations, err = handlers.New(ho)
	if err != nil {
		core.Close()
		return nil, fmt.Errorf("app: %w", err)
	}
	bo := bot.Options{
		HotLoginFile: cfg.WeChat.HotLoginFile,
		Groups:       cfg.WeChat.Groups,
		MaxFileBytes: cfg.WeChat.MaxFileBytes(),
		Transport:    o.Transport,
		QRWriter:     o.QRWriter,
		OnStatus:     a.onStatus,
		OnIntake:     a.onIntake,
		ResolveFile:  core.Files.Abs,
		OnContacts:   a.contactsSeen,
		Logger:       o.Logger,
		Now:          o.Clock.Now,
	}
	if o.BotOptions != nil {
		o.BotOptions(&bo)
	}
	a.Bot = bot.New(bo, a.Intake)
	interval, jitter := cfg.WeChat.SendInterval.Duration, cfg.WeChat.SendJitter.Duration
	if o.SendInterval > 0 || o.SendJitter > 0 {
		interval, jitter = o.SendInterval, o.SendJitter
	}
	var directorRemarks []string
	for _, d := range cfg.Directors() {
		directorRemarks = append(directorRemarks, d.WeChatRemark)
	}
	a.Relay = outbox.New(outbox.Options{
		Store:     core.Store,
		Transport: a.Bot,
		Clock:     o.Clock,
		Logger:    o.Logger.With("component", "outbox"),
		Location:  loc,
		Interval:  interval,
		Jitter:    jitter,
		DailyCap:  cfg.WeChat.DailyCapPerPerson,
		Directors: directorRemarks,
		Contacts:  rules.ContactLabels(cfg.Units(), cfg.Directors(), cfg.Inspectors()),
		Truth: outbox.StoreTruth{
			Store: core.Store, Location: loc, Policy: cfg.ReminderPolicy(), Year: cfg.Calendar().Year,
		},
		Quiet: cfg.ReminderPolicy(),
		Sleep: o.RelaySleep,
	})
	specs := scheduler.Specs{
		Sweep:  cfg.Reminders.SweepCron,
		Digest: cfg.Reminders.DigestCron,
		Outbox: cfg.Reminders.OutboxCron,
		Backup: cfg.Reminders.BackupCron,
	}
	if o.NoCron || o.ClockJobs != nil {
		specs = scheduler.Specs{}
	}
	a.Scheduler, err = scheduler.New(scheduler.Options{
		Store:       core.Store,
		Relay:       a.Relay,
		Clock:       o.Clock,
		Logger:      o.Logger.With("component", "scheduler"),
		Location:    loc,
		Year:        cfg.Calendar().Year,
		Policy:      cfg.ReminderPolicy(),
		Directors:   cfg.Directors(),
		GroupDigest: cfg.Reminders.GroupDigest,
		BackupsDir:  cfg.BackupsDir,
		BackupKeep:  cfg.Reminders.BackupKeep,
		Specs:       specs,
	})
	if err != nil {
		core.Close()
		return nil, fmt.Errorf("app: %w", err)
	}
	if o.ClockJobs != nil && !o.NoCron {
		a.jobs = newJobLoop(a, *o.ClockJobs)
	}
	return a, nil
}

// Run runs the bot until ctx is done (or the WeChat client stops by
// itself), then shuts down in order: the jobs (a running one may finish
// within ShutdownGrace), the WeChat client, the conversations (draining
// queued messages), the database.
func (a *App) Run(ctx context.Context) error {
	log := a.Logger
	a.Intake.Start(ctx)
	if err := a.Intake.Recover(ctx); err != nil {
		log.Warn("recovering unhandled messages", slog.Any("err", err))
	}
	switch {
	case a.jobs != nil:
		a.jobs.start()
	case !a.o.NoCron:
		a.Scheduler.Start()
	}
	statusCtx, stopStatus := context.WithCancel(ctx)
	defer stopStatus()
	var wg sync.WaitGroup
	wg.Go(func() { a.watchStatus(statusCtx) })
	wg.Go(func() { a.watchIntake(statusCtx) })
	// The client gets its own context: it stops after the jobs, so a
	// drain finishing within the grace still has a session to send on.
	botCtx, stopBot := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBot()
	botDone := make(chan error, 1)
	go func() { botDone <- a.Bot.Run(botCtx) }()
	var err error
	botStopped := false
	select {
	case <-ctx.Done():
	case err = <-botDone:
		botStopped = true
	}
	log.Info("stopping", slog.String("part", "jobs"))
	graceCtx, cancelGrace := context.WithTimeout(context.Background(), a.o.ShutdownGrace)
	defer cancelGrace()
	switch {
	case a.jobs != nil:
		if e := a.jobs.stop(graceCtx); e != nil {
			log.Warn("stopping the clock jobs", slog.Any("err", e))
		}
	case !a.o.NoCron:
		if e := a.Scheduler.Stop(graceCtx); e != nil {
			log.Warn("stopping scheduler", slog.Any("err", e))
		}
	}
	log.Info("stopped", slog.String("part", "jobs"))
	log.Info("stopping", slog.String("part", "wechat"))
	stopBot()
	if !botStopped {
		err = <-botDone
	}
	if ctx.Err() != nil {
		err = nil
	}
	log.Info("stopped", slog.String("part", "wechat"))
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if e := a.Intake.Stop(stopCtx); e != nil {
		log.Warn("stopping conversations", slog.Any("err", e))
	}
	stopStatus()
	wg.Wait()
	a.Conversations.WaitReportChecks()
	log.Info("stopped", slog.String("part", "conversations"))
	if e := a.extractor.Close(); e != nil {
		log.Warn("removing the converter profile", slog.Any("err", e))
	}
	if e := a.Core.Close(); e != nil && err == nil {
		err = e
	}
	log.Info("stopped", slog.String("part", "database"))
	return err
}

// LoggedIn is closed when the WeChat client is first online.
func (a *App) LoggedIn() <-chan struct{} { return a.online }

// contactsSeen hands the fetched contact list to the conversations (code
// bindings end once the person's remark appears).
func (a *App) contactsSeen(ctx context.Context, contacts []rules.Contact) {
	if err := a.Intake.ContactsSeen(ctx, contacts); err != nil {
		a.Logger.Warn("checking code bindings against the contacts", slog.Any("err", err))
	}
}

// onStatus is called by the WeChat client on its own goroutine, in order.
func (a *App) onStatus(st bot.Status) {
	if st.Online {
		a.onlineOnce.Do(func() { close(a.online) })
	}
	select {
	case a.statusCh <- st:
	default:
		a.Logger.Warn("status queue full; dropping transition", slog.Bool("online", st.Online))
	}
}

// watchStatus turns session transitions into messages: when the bot comes
// back after an outage the director is told for how long it was away; while
// it stays away longer than wechat.outage_alert_after the director is
// e-mailed (WeChat itself cannot carry that news).
func (a *App) watchStatus(ctx context.Context) {
	after := a.Config.WeChat.OutageAlertAfter.Duration
	if after <= 0 {
		after = 30 * time.Minute
	}
	var timer <-chan time.Time
	var t *time.Timer
	for {
		select {
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return
		case st := <-a.statusCh:
			if st.Online {
				// A new scan or push login gives every contact a new
				// UserName, so code-bound sessions end with it; a hot
				// login re-enters the same session.
				if !st.SameSession() {
					if err := a.Intake.ForgetSessions(ctx); err != nil {
						a.Logger.Warn("ending code bindings of the old session", slog.Any("err", err))
					}
				}
				if st.SelfName != "" {
					a.Intake.SetBotName(st.SelfName)
				}
				if t != nil {
					t.Stop()
					timer = nil
				}
				a.cameBack(ctx, st)
				continue
			}
			a.mu.Lock()
			a.offlineFrom, a.alerted = st.Since, false
			a.mu.Unlock()
			if a.mailer != nil {
				t = time.NewTimer(after)
				timer = t.C
			}
		case <-timer:
			timer = nil
			a.mailOutage(ctx)
		}
	}
}

func (a *App) cameBack(ctx context.Context, st bot.Status) {
	a.mu.Lock()
	first := a.offlineFrom.IsZero()
	a.offlineFrom = time.Time{}
	a.mu.Unlock()
	// The first login after start is not an outage worth reporting unless
	// the bot was down for a while (a restart, a lost session).
	if first && st.Downtime < time.Minute {
		return
	}
	loc := a.Config.Location()
	from := st.Since.Add(-st.Downtime).In(loc)
	text := fmt.Sprintf("【系统通知】督导机器人已恢复在线（%s）。此前离线约 %s（自 %s 起），期间各单位发来的消息已补收；如有单位反映未收到回执，请提醒其重新发送。",
		howBack(st.Cause), humanDuration(st.Downtime), from.Format("1月2日 15:04"))
	a.alertDirectors(ctx, fmt.Sprintf("online:%d", st.Since.UnixNano()), text, "back-online notice")
}

// alertDirectors queues one system notice to every director, keyed by
// keyPrefix and the director, so that the same event is queued once
// however often it is reported. what names the notice in the log.
func (a *App) alertDirectors(ctx context.Context, keyPrefix, text, what string) {
	var outs []rules.Outgoing
	for _, d := range a.Config.Directors() {
		outs = append(outs, rules.Outgoing{
			Key:  keyPrefix + ":" + d.WeChatRemark,
			Kind: "alert",
			To:   rules.Recipient{Remark: d.WeChatRemark},
			Text: text,
		})
	}
	if err := a.Store.Enqueue(ctx, outs...); err != nil {
		a.Logger.Warn("queueing "+what, slog.Any("err", err))
	}
}

func (a *App) mailOutage(ctx context.Context) {
	a.mu.Lock()
	from, done := a.offlineFrom, a.alerted
	a.alerted = true
	a.mu.Unlock()
	if from.IsZero() || done || a.mailer == nil {
		return
	}
	loc := a.Config.Location()
	subject := "督导机器人微信离线提醒"
	body := fmt.Sprintf("督导机器人自 %s 起无法连接微信，已持续 %s。\n提醒和回执将在恢复后补发。请尽快在服务器上重新扫码登录（dudaobot run），或检查手机微信是否在线。\n",
		from.In(loc).Format("2006-01-02 15:04"), humanDuration(a.Clock.Now().Sub(from)))
	if err := a.mailer.Mail(ctx, subject, body); err != nil {
		a.Logger.Error("outage e-mail failed", slog.Any("err", err))
		return
	}
	a.Logger.Info("outage e-mail sent")
}

// howBack says in Chinese how the session came back: the director reads
// it, so the client's cause codes ("push login", …) are never shown.
func howBack(cause string) string {
	switch cause {
	case bot.CauseHotLogin:
		return "已自动重新连接"
	case bot.CausePushLogin:
		return "已在手机上确认登录"
	case bot.CauseQRLogin:
		return "已重新扫码登录"
	case bot.CauseSyncRecovered:
		return "网络已恢复"
	}
	return "已重新连接"
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "不到 1 分钟"
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d/time.Minute))
	default:
		return fmt.Sprintf("%d 小时 %d 分钟", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}
