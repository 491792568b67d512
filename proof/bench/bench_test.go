// Package bench holds the end-to-end benchmarks of issue #7 (scripts/bench
// runs them and BENCHMARKS.md records the figures):
//
//   - BenchmarkInbound: text commands per second through wxsim, the whole
//     bot against a no-op openwechat bot on the same simulator, same run;
//   - BenchmarkReceive200MB: the real binary receives a 200 MB file; peak
//     RSS over idle, and throughput against sha256sum of the same file;
//   - BenchmarkStartup: the real binary's start-to-ready time (QR shown)
//     and idle RSS before login, and idle RSS once logged in.
//
// The storage scale benchmarks are in storage/scale_bench_test.go.
package bench_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/app"
	"dudaobot/bot"
	"dudaobot/config"
	"dudaobot/handlers"
	"dudaobot/internal/testutil"
	"dudaobot/proof/harness"
	"dudaobot/wxsim"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.Cleanup()
	os.Exit(code)
}

// inboundBurst is the size of one burst. The sides take turns, burst by
// burst, until the no-op side has run inboundMinNoop and at least
// inboundMinBursts bursts each (a single window of 500 messages, 40–65 ms,
// let one scheduler hiccup move the ratio by 0.3; and on a busy machine the
// load changes from one second to the next, so both sides must meet the
// same load). inboundMaxBursts bounds a run on a very fast machine.
const (
	inboundBurst     = 1000
	inboundMinNoop   = 2 * time.Second
	inboundMinBursts = 5
	inboundMaxBursts = 40
)

// BenchmarkInbound measures text commands per second through wxsim: a
// no-op openwechat bot that answers each "ping" with "pong" straight from
// its handler, and the whole bot, each on a simulator of its own, both
// logged in at once. The whole bot meets two kinds of burst:
//
//   - “状态” (handled): each answered from the database through the outbox,
//     the goal's path;
//   - “帮助” (the durable floor): answered from memory, with everything the
//     durability rules demand of any text and nothing else: the inbox row
//     committed before the sync position moves, the answer queued and the
//     row marked handled in one commit. No handling can be cheaper than
//     this, so it is the floor the handled rate is judged against when the
//     floor itself is below the goal.
//
// The sides take turns (which goes first rotates): one burst of
// inboundBurst texts sent at once to one side, timed until its last
// message is done, then the same to the next. A rate is the messages over
// the summed burst times. The goal (P1) is on handled/s: the reply
// durably queued and the inbox row marked handled, over the no-op bot's
// rate. Also reported: the fsync latency of the disk holding the
// database, measured in the same run.
//
// Each official sends about 36 texts a burst, so flood control (20 a
// minute) is off for the whole bot; it would mute the texts and answer
// none (the 500-message version stayed under it, 18 a sender). The daily
// cap per person is raised for the same reason (see below).
//
// The whole bot runs with the shipped send pacing (wechat.send_interval
// and send_jitter of config.yaml, 3 s ± 1 s; the proof harness's 20 ms
// would let the relay send about 50 answers a second, each costing two
// commits, on the one SQLite writer beside the handled messages') and the
// shipped outbox poll.
func BenchmarkInbound(b *testing.B) {
	for b.Loop() {
		// The daily cap (30 messages a person a day) is raised above the
		// ~200 answers each official gets here: past the cap the relay
		// claims each queued answer and puts it off to tomorrow, two
		// commits a row, unpaced, on the one SQLite writer.
		shipped := shippedConfig(b)
		env := harness.NewEnv(b, func(m map[string]any) {
			harness.Set(m, "wechat.daily_cap_per_person", 1_000_000)
			harness.Set(m, "wechat.send_interval", shipped.WeChat.SendInterval.String())
			harness.Set(m, "wechat.send_jitter", shipped.WeChat.SendJitter.String())
			harness.Set(m, "reminders.outbox_cron", shipped.Reminders.OutboxCron)
		})
		guard := harness.HangGuard(b)
		fsync := fsyncLatency(b, env.Dir)

		// The no-op openwechat bot.
		nsim, nids := harness.Sim(b, env.Config, wxsim.Options{LongPollHold: time.Second})
		nctx, ncancel := context.WithCancel(context.Background())
		defer ncancel()
		nb := openwechat.DefaultBot(openwechat.Desktop, openwechat.WithContextOption(nctx))
		nb.UUIDCallback = func(string) {}
		nb.SyncCheckCallback = nil // no per-poll log lines
		nb.ScanCallBack = func(openwechat.CheckLoginResponse) {}
		nb.LoginCallBack = func(openwechat.CheckLoginResponse) {}
		nb.Caller.Client.HTTPClient().Transport = nsim.Transport()
		nb.MessageHandler = func(m *openwechat.Message) {
			if m.IsText() && m.Content == "ping" {
				_, _ = m.ReplyText("pong")
			}
		}
		if err := nb.Login(); err != nil {
			b.Fatal(err)
		}
		nsenders := senders(env, nids)

		// The whole bot.
		sim, ids := harness.Sim(b, env.Config, wxsim.Options{LongPollHold: time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		a, err := app.New(ctx, app.Options{
			Config: env.Config, Logger: slog.New(slog.DiscardHandler), Transport: sim.Transport(),
			QRWriter: io.Discard, BotOptions: func(o *bot.Options) { o.TempDir = b.TempDir() },
			// Flood control off: each official sends far more than 20 texts a
			// minute here, and every one must be answered from the database
			// (muted texts would be handled without a read or a reply).
			HandlerOptions: func(o *handlers.Options) { o.RateLimit = -1 },
		})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		wait(b, func() bool { return sim.LoggedIn() })
		db := harness.OpenDB(b, env.DBPath)
		bsenders := senders(env, ids)

		var noopTook, recordedTook, handledTook, floorTook time.Duration
		botMsgs := 0 // texts sent to the whole bot so far: its inbox ids
		noopBurst := func(k int) {
			start := time.Now()
			sendBurst(b, nsim, nsenders, "ping")
			if _, err := nsim.WaitSent(guard, k*inboundBurst); err != nil {
				b.Fatal(err)
			}
			noopTook += time.Since(start)
		}
		// botBurst sends one burst of text to the whole bot and returns
		// the times until it was recorded and handled.
		botBurst := func(text string) inboundTimes {
			botMsgs += inboundBurst
			start := time.Now()
			w := watchInbound(guard, db, start, botMsgs)
			sendBurst(b, sim, bsenders, text)
			r := <-w
			if r.handled == 0 {
				b.Fatalf("hung: the %s burst was never handled", text)
			}
			return r
		}
		sides := []func(k int){
			noopBurst,
			func(int) {
				r := botBurst("状态")
				recordedTook += r.recorded
				handledTook += r.handled
			},
			func(int) { floorTook += botBurst("帮助").handled },
		}
		bursts := 0
		for (noopTook < inboundMinNoop || bursts < inboundMinBursts) && bursts < inboundMaxBursts {
			bursts++
			for i := range sides {
				sides[(bursts+i)%len(sides)](bursts)
			}
		}
		ncancel()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		n := bursts * inboundBurst
		if got := countSent(nsim, func(s wxsim.Sent) bool { return s.Text == "pong" }); got != n {
			b.Fatalf("no-op bot answered %d of %d", got, n)
		}
		var rows, unhandled, queued, helped int
		if err := db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN handled THEN 0 ELSE 1 END), 0) FROM inbound`).Scan(&rows, &unhandled); err != nil {
			b.Fatal(err)
		}
		if rows != 2*n || unhandled != 0 {
			b.Fatalf("inbox: %d rows, %d unhandled; want %d, 0", rows, unhandled, 2*n)
		}
		// Each handled “状态” and “帮助” has its answer durably queued (or sent).
		if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE text LIKE '%督导评价情况%'`).Scan(&queued); err != nil {
			b.Fatal(err)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE text LIKE '%的同志。您可以：%'`).Scan(&helped); err != nil {
			b.Fatal(err)
		}
		if queued != n || helped != n {
			b.Fatalf("outbox: %d 状态 and %d 帮助 answers queued; want %d each", queued, helped, n)
		}

		noop := float64(n) / noopTook.Seconds()
		handled := float64(n) / handledTook.Seconds()
		recorded := float64(n) / recordedTook.Seconds()
		b.ReportMetric(float64(n), "msgs")
		b.ReportMetric(noopTook.Seconds(), "noop_s")
		b.ReportMetric(noop, "noop_msg/s")
		b.ReportMetric(handled, "handled_msg/s")
		b.ReportMetric(handled/noop, "handled_ratio") // the goal: reply durably queued + marked handled
		b.ReportMetric(recorded, "recorded_msg/s")
		b.ReportMetric(recorded/noop, "recorded_ratio") // accepted: inbox row durable
		floor := float64(n) / floorTook.Seconds()
		b.ReportMetric(floor, "floor_msg/s")
		b.ReportMetric(floor/noop, "floor_ratio")         // 帮助: durable intake and answer, no reads
		b.ReportMetric(handled/floor, "handled_vs_floor") // what handling 状态 keeps of the floor
		b.ReportMetric(float64(fsync.Microseconds())/1000, "fsync_ms")
	}
}

// shippedConfig is the config.yaml the repository ships, for the settings
// a benchmark must run as shipped.
func shippedConfig(b *testing.B) *config.Config {
	b.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	c, err := config.Load(filepath.Join(root, "config.yaml"))
	if err != nil {
		b.Fatalf("the shipped config.yaml does not load: %v", err)
	}
	return c
}

func senders(env *harness.Env, ids map[string]string) []string {
	var out []string
	for _, u := range env.Config.Units() {
		out = append(out, ids[u.Officials[0].WeChatRemark])
	}
	return out
}

// sendBurst sends inboundBurst texts round-robin from senders at once.
func sendBurst(b *testing.B, sim *wxsim.Server, senders []string, text string) {
	b.Helper()
	for i := range inboundBurst {
		if _, err := sim.SendText(senders[i%len(senders)], text); err != nil {
			b.Fatal(err)
		}
	}
}

func countSent(sim *wxsim.Server, ok func(wxsim.Sent) bool) int {
	n := 0
	for _, s := range sim.Sent() {
		if ok(s) {
			n++
		}
	}
	return n
}

type inboundTimes struct{ recorded, handled time.Duration }

// watchInbound polls the inbox until target rows are handled and sends the
// times since start at which target rows were recorded and handled. The
// poll is cheap on purpose (it shares the cores with the bot): the largest
// id (the rows are only ever inserted) and the unhandled rows, read from
// ix_inbound_handled; a count over the table would read every row.
func watchInbound(guard context.Context, db *sql.DB, start time.Time, target int) <-chan inboundTimes {
	out := make(chan inboundTimes, 1)
	go func() {
		var t inboundTimes
		defer func() { out <- t }()
		for {
			var maxID, unhandled int
			if db.QueryRow(`SELECT COALESCE((SELECT MAX(id) FROM inbound), 0), (SELECT COUNT(*) FROM inbound WHERE handled = 0)`).Scan(&maxID, &unhandled) == nil {
				if t.recorded == 0 && maxID >= target {
					t.recorded = time.Since(start)
				}
				if t.recorded != 0 && maxID-unhandled >= target {
					t.handled = time.Since(start)
					return
				}
			}
			select {
			case <-guard.Done():
				return
			case <-time.After(2 * time.Millisecond): // poll interval, not a wait for an outcome
			}
		}
	}()
	return out
}

// fsyncLatency is the median time of writing 4 KiB and fsyncing it, over
// 100 writes, in dir (the disk the database is on).
func fsyncLatency(b *testing.B, dir string) time.Duration {
	b.Helper()
	f, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	took := make([]time.Duration, 100)
	for i := range took {
		t := time.Now()
		if _, err := f.WriteAt(buf, int64(i)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		took[i] = time.Since(t)
	}
	slices.Sort(took)
	return took[len(took)/2]
}

func wait(b *testing.B, cond func() bool) {
	b.Helper()
	if !harness.WaitFor(harness.HangGuard(b), cond) {
		b.Fatal("hung: the awaited progress never came")
	}
}

var reReceipt = regexp.MustCompile(`【回执】回执号 R-\d+`)

// BenchmarkReceive200MB runs the real binary (max_file_mb: 200) and sends
// it one 200 MB PDF. Reported: receive throughput (wxsim has the file →
// row committed: download, SHA-256, fsync, rename, commit), the time until
// the receipt is sent, sha256sum's
// throughput on the same file on the same disk, their ratio (goal ≥ 0.5),
// and the bot's peak RSS over its idle RSS (VmHWM − VmRSS before the file;
// goal ≤ 32 MB).
func BenchmarkReceive200MB(b *testing.B) {
	bin := harness.Binary(b)
	const size = 200 << 20
	for b.Loop() {
		env := harness.NewEnv(b, func(m map[string]any) { harness.Set(m, "wechat.max_file_mb", 200) })
		dataDir := filepath.Join(env.Dir, "sim")
		sim, ids := harness.Sim(b, env.Config, wxsim.Options{LongPollHold: time.Second, DataDir: dataDir})
		p := harness.Start(b, bin, env, sim.URL(), 0)
		wait(b, func() bool { return sim.LoggedIn() })
		time.Sleep(2 * time.Second) // let start-up settle (contacts, first drain)
		idle, _, err := harness.ProcStatus(p.Pid())
		if err != nil {
			b.Fatal(err)
		}

		// The file is written by wxsim to its data dir first (as WeChat's
		// servers hold it before the bot is told).
		content := harness.PDF(42, size)
		from := ids[env.Config.Units()[0].Officials[0].WeChatRemark]
		before := len(sim.Sent())
		if _, err := sim.SendFile(from, "大文件.pdf", bytes.NewReader(content)); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		content = nil
		// Stored = the submission row is committed (after download, hash,
		// fsync, rename); the receipt follows at the next outbox drain
		// (outbox_cron, 1 s here, 5 s shipped).
		db := harness.OpenDB(b, env.DBPath)
		wait(b, func() bool {
			var n int
			return db.QueryRow(`SELECT COUNT(*) FROM submissions`).Scan(&n) == nil && n > 0
		})
		stored := time.Since(start)
		wait(b, func() bool {
			for _, s := range sim.Sent()[before:] {
				if reReceipt.MatchString(s.Text) {
					return true
				}
			}
			return false
		})
		took := time.Since(start)
		_, hwm, err := harness.ProcStatus(p.Pid())
		if err != nil {
			b.Fatal(err)
		}
		p.Stop(30 * time.Second)

		// sha256sum of the same bytes on the same disk (the sim's copy).
		media, err := filepath.Glob(filepath.Join(dataDir, "media", "*"))
		if err != nil || len(media) == 0 {
			b.Fatalf("media file not found: %v", err)
		}
		t0 := time.Now()
		if out, err := exec.Command("sha256sum", media[0]).CombinedOutput(); err != nil {
			b.Fatalf("sha256sum: %v %s", err, out)
		}
		shaTook := time.Since(t0)

		mb := float64(size) / (1 << 20)
		b.ReportMetric(mb/stored.Seconds(), "bot_MB/s")
		b.ReportMetric(took.Seconds(), "receipt_s")
		b.ReportMetric(mb/shaTook.Seconds(), "sha256sum_MB/s")
		b.ReportMetric(shaTook.Seconds()/stored.Seconds(), "ratio")
		b.ReportMetric(float64(idle)/1024, "idle_RSS_MB")
		b.ReportMetric(float64(hwm)/1024, "peak_RSS_MB")
		b.ReportMetric(float64(hwm-idle)/1024, "peak_over_idle_MB")
	}
}

// BenchmarkStartup starts the real binary against a simulator that never
// confirms the login: start-to-ready is the time until the QR code is
// shown, and the idle RSS is measured then; then the phone confirms and the
// idle RSS once online is measured too.
func BenchmarkStartup(b *testing.B) {
	bin := harness.Binary(b)
	for b.Loop() {
		env := harness.NewEnv(b, nil)
		sim := wxsim.New(wxsim.Options{LongPollHold: time.Second})
		for _, u := range env.Config.Units() {
			for _, o := range u.Officials {
				sim.AddContact(o.Name, o.WeChatRemark)
			}
		}
		start := time.Now()
		p := harness.Start(b, bin, env, sim.URL(), 0)
		ctx, cancel := context.WithDeadline(context.Background(), testutil.GuardDeadline(b)) // hang guard
		if _, err := sim.WaitPending(ctx); err != nil {
			b.Fatalf("no QR login pending: %v\n%s", err, p.Tail(2000))
		}
		ready := time.Since(start)
		time.Sleep(time.Second)
		rssBefore, _, err := harness.ProcStatus(p.Pid())
		if err != nil {
			b.Fatal(err)
		}
		if err := sim.ConfirmLogin(); err != nil {
			b.Fatal(err)
		}
		if err := sim.WaitLoggedIn(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
		time.Sleep(3 * time.Second)
		rssOnline, _, err := harness.ProcStatus(p.Pid())
		if err != nil {
			b.Fatal(err)
		}
		p.Stop(30 * time.Second)
		sim.Close()
		b.ReportMetric(float64(ready.Microseconds())/1000, "start_to_ready_ms")
		b.ReportMetric(float64(rssBefore)/1024, "idle_RSS_before_login_MB")
		b.ReportMetric(float64(rssOnline)/1024, "idle_RSS_online_MB")
	}
}
