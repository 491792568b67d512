package scheduler_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/scheduler"
	"dudaobot/storage"

	"github.com/robfig/cron/v3"
)

// TestNewRefusesBadSpec: New parses with cronspec and refuses a bad spec
// (robfig/cron v3.0.1 would panic on a bare CRON_TZ), naming the job.
func TestNewRefusesBadSpec(t *testing.T) {
	_, err := scheduler.New(scheduler.Options{Store: &storage.Store{}, Specs: scheduler.Specs{Sweep: "CRON_TZ=Asia/Shanghai"}})
	if err == nil || !strings.Contains(err.Error(), "sweep") {
		t.Errorf("New with bare CRON_TZ: %v", err)
	}
}

// panicOnce is a job that panics on its first run and counts its runs.
type panicOnce struct{ runs atomic.Int32 }

func (p *panicOnce) Run() {
	if p.runs.Add(1) == 1 {
		panic("boom")
	}
}

// TestChainOrder: a job that panics once runs again next time under the
// production chain (Skip outside Recover). The reversed chain — Recover
// outside Skip — loses Skip's token in the panic and skips the job for ever
// (robfig/cron #366); the test shows that too, so a "harmless" reorder of
// JobWrappers fails here.
func TestChainOrder(t *testing.T) {
	l := scheduler.CronLogger(slog.New(slog.DiscardHandler))
	t.Run("Production", func(t *testing.T) {
		j := &panicOnce{}
		wrapped := cron.NewChain(scheduler.JobWrappers(l)...).Then(j)
		for range 3 {
			wrapped.Run()
		}
		if got := j.runs.Load(); got != 3 {
			t.Errorf("runs = %d, want 3", got)
		}
	})
	t.Run("ReversedFails", func(t *testing.T) {
		j := &panicOnce{}
		wrapped := cron.NewChain(cron.Recover(l), cron.SkipIfStillRunning(l)).Then(j)
		for range 3 {
			wrapped.Run()
		}
		if got := j.runs.Load(); got != 1 {
			t.Errorf("runs = %d, want 1 (the known-bad order skips for ever)", got)
		}
	})
	t.Run("SchedulerJob", func(t *testing.T) {
		// The scheduler's own sweep job, through its cron entry: the store
		// panics once; the next run works.
		w := newWorld(t, time.Date(2027, 2, 22, 10, 0, 0, 0, time.UTC), nil)
		ps := &panickyStore{Store: w.st}
		ps.left.Store(1)
		w.mod = func(o *scheduler.Options) { o.Store = ps }
		w.restart()
		ps.Store = w.st
		w.sched.RunJob("sweep")
		if n := len(reminderRecords(t, w)); n != 0 {
			t.Fatalf("panicking sweep wrote %d", n)
		}
		w.sched.RunJob("sweep")
		if n := len(reminderRecords(t, w)); n != 3*evaluatedUnits { // 30, 14 and 7 days ahead
			t.Fatalf("second sweep wrote %d records, want %d", n, 3*evaluatedUnits)
		}
	})
}

type panickyStore struct {
	*storage.Store
	left atomic.Int32
}

func (p *panickyStore) Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error) {
	if p.left.Add(-1) >= 0 {
		panic("database on fire")
	}
	return p.Store.Calendar(ctx, year, loc)
}

func reminderRecords(t testing.TB, w *world) []rules.ReminderRecord {
	t.Helper()
	r, err := w.st.Reminders(context.Background(), 2027)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDowntime is the misfire table: the bot is down around the 10:00
// slot of 22 February (7 days before the self-assessment deadline).
func TestDowntime(t *testing.T) {
	tests := []struct {
		name         string
		lastUp, back string
		wantSent     int // reminders to officials
		wantMissed   int // missed records
		wantAlerts   int
		wantCatchup  bool
	}{
		{"WithinGrace_ExactlyOne", "2027-02-22 09:55", "2027-02-22 11:30", evaluatedUnits, 0, 0, true},
		{"JustInTime_NotCatchup", "2027-02-22 09:55", "2027-02-22 10:05", evaluatedUnits, 0, 0, false},
		{"BeyondGrace_MissedAndOneAlert", "2027-02-22 09:55", "2027-02-22 16:30", 0, evaluatedUnits, 1, false},
		// Down 25 Feb 11:00 → 1 Mar 10:30: 26 Feb and 28 Feb slots are beyond
		// grace (missed, one alert), 1 Mar is within: one catch-up, not three.
		{"SeveralSlots_OneCatchup", "2027-02-25 11:00", "2027-03-01 10:30", evaluatedUnits, 2 * evaluatedUnits, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, time.Date(2027, 2, 20, 2, 0, 0, 0, time.UTC), nil)
			// Up and sweeping every day until lastUp.
			for d := w.at("2027-02-20 10:00"); !d.After(w.at(tt.lastUp)); d = d.AddDate(0, 0, 1) {
				w.set(d)
				w.sweep()
				w.drain()
			}
			w.set(w.at(tt.lastUp))
			w.sweep()
			w.drain()
			before := len(w.tr.all())
			// Down; a new process starts at back and sweeps at once (Start).
			w.set(w.at(tt.back))
			w.restart()
			w.sweep()
			w.drain()
			w.sweep() // a second sweep changes nothing
			w.drain()
			got := w.tr.all()[before:]
			rem, alerts := kinds(got, "reminder"), kinds(got, "alert")
			if len(rem) != tt.wantSent || len(alerts) != tt.wantAlerts {
				t.Fatalf("sent %d reminders, %d alerts; want %d, %d", len(rem), len(alerts), tt.wantSent, tt.wantAlerts)
			}
			perPerson := map[string]int{}
			for _, s := range rem {
				perPerson[s.Msg.To.Remark]++
				if strings.Contains(s.Msg.Text, "补发") != tt.wantCatchup {
					t.Errorf("catch-up label = %v, want %v:\n%s", !tt.wantCatchup, tt.wantCatchup, s.Msg.Text)
				}
			}
			for p, n := range perPerson {
				if n != 1 {
					t.Errorf("%s got %d reminders", p, n)
				}
			}
			missed := 0
			for _, r := range reminderRecords(t, w) {
				if r.Missed {
					missed++
				}
			}
			if missed != tt.wantMissed {
				t.Errorf("missed records = %d, want %d", missed, tt.wantMissed)
			}
			if tt.wantAlerts > 0 {
				a := alerts[0].Msg
				if a.To.Remark != "督导办主任" || !strings.Contains(a.Text, "未能按时发出") {
					t.Errorf("alert %+v", a)
				}
			}
		})
	}
}

// TestOverlappingSweeps: 8 sweeps at once at the same slot (an overrun
// plus a restart plus a manual run) queue each reminder once.
func TestOverlappingSweeps(t *testing.T) {
	w := newWorld(t, time.Date(2027, 2, 22, 2, 0, 0, 0, time.UTC), nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := w.sched.SweepReminders(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := w.st.Outbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != evaluatedUnits {
		t.Errorf("outbox rows = %d, want %d", len(all), evaluatedUnits)
	}
	if n := len(reminderRecords(t, w)); n != 3*evaluatedUnits { // 30, 14 and 7 days ahead, in one message
		t.Errorf("records = %d, want %d", n, 3*evaluatedUnits)
	}
}

// TestSendDigest plays the digests of 3 and 4 March for the 28 shipped
// units. Before, the 4 March digest named the 24 overdue units twice
// (inline and in 「已升级…」 lines, one per unit), listed every unit under
// 书面反馈意见 two months before the inspection ended, and did not say
// what had come in. Now it leads with what came since the digest before
// (its time is stored), names each unit once, says in one line that they
// were escalated, fits a phone screen, and is pinned in
// testdata/digest_mar4.golden (-update rewrites it).
func TestSendDigest(t *testing.T) {
	w := newWorld(t, time.Date(2027, 3, 3, 9, 30, 0, 0, time.UTC), func(o *scheduler.Options) { o.GroupDigest = "督导工作群" })
	w.submit("xwb", rules.StageSelfAssessment, w.at("2027-02-20 09:00"))
	w.submit("gaj", rules.StageSelfAssessment, w.at("2027-03-02 11:00"))
	w.must(w.sched.SendDigest(context.Background()))
	w.drain()
	first := kinds(w.tr.all(), "digest")
	if len(first) != 2 || strings.Contains(first[0].Msg.Text, "新交") {
		t.Fatalf("first digest (nothing to compare with) = %+v", first)
	}
	w.set(w.at("2027-03-04 08:30"))
	w.submit("wjw", rules.StageSelfAssessment, w.clk.Now())
	w.set(w.at("2027-03-04 17:30"))
	w.must(w.sched.SendDigest(context.Background()))
	w.must(w.sched.SendDigest(context.Background())) // a second run the same day: nothing more
	w.drain()
	got := kinds(w.tr.all(), "digest")[2:]
	if len(got) != 2 {
		t.Fatalf("digests of 4 March = %d, want 2", len(got))
	}
	dir, grp := got[0].Msg, got[1].Msg
	if dir.To.Remark != "督导办主任" || grp.To.Group != "督导工作群" {
		t.Errorf("to %+v / %+v", dir.To, grp.To)
	}
	text := "=== director\n" + dir.Text + "\n=== group\n" + grp.Text + "\n"
	const golden = "testdata/digest_mar4.golden"
	if *update {
		w.must(os.WriteFile(golden, []byte(text), 0o600))
	}
	want, err := os.ReadFile(golden)
	w.must(err)
	if text != string(want) {
		t.Errorf("digests of 4 March differ from %s:\n%s", golden, firstDiff(string(want), text))
	}
	for _, m := range []string{dir.Text, grp.Text} {
		if n := rules.PhoneLines(m); n > rules.PhoneLineBudget {
			t.Errorf("digest takes %d phone lines, want at most %d:\n%s", n, rules.PhoneLineBudget, m)
		}
		if !strings.Contains(m, "新交：县卫健委（自查自评报告）") || strings.Contains(m, "反馈") {
			t.Errorf("digest:\n%s\nwant what came since the last digest first, no feedback before the inspection ended", m)
		}
		for _, u := range w.cfg.Units() {
			if n := strings.Count(m, u.Name+"、") + strings.Count(m, u.Name+"\n") + strings.Count(m, u.Name+"（"); n > 1 {
				t.Errorf("digest names %s %d times:\n%s", u.Name, n, m)
			}
		}
	}
	if strings.Count(dir.Text, "备用联系人") != 1 || strings.Contains(grp.Text, "备用联系人") || strings.Contains(grp.Text, "@") {
		t.Errorf("escalation: one line for the director, none in the group:\n%s\n---\n%s", dir.Text, grp.Text)
	}
}

// TestSendDigestReportGaps: the directors' digest names the units whose
// latest report lacks a part or names another unit, as queued and as
// rendered again at send time; a check of an older version counts for
// nothing.
func TestSendDigestReportGaps(t *testing.T) {
	w := newWorld(t, time.Date(2027, 2, 20, 9, 30, 0, 0, time.UTC), func(o *scheduler.Options) { o.GroupDigest = "督导工作群" })
	w.submit("xwb", rules.StageSelfAssessment, w.at("2027-02-20 09:00"))
	w.submit("zzb", rules.StageSelfAssessment, w.at("2027-02-21 09:00"))
	w.submit("zzb", rules.StageSelfAssessment, w.at("2027-02-22 09:00"))
	save := func(unit string, c rules.SavedReportCheck) {
		v, err := c.Encode()
		w.must(err)
		w.must(w.st.PutState(context.Background(), rules.ReportCheckKey(2027, unit), v))
	}
	save("xwb", rules.SavedReportCheck{SubmissionID: 1, Version: 1, Check: rules.ReportCheck{Chars: 3000, MissingParts: []rules.ReportPart{rules.PartProblems}}})
	save("zzb", rules.SavedReportCheck{SubmissionID: 2, Version: 1, Check: rules.ReportCheck{Chars: 3000, MissingParts: []rules.ReportPart{rules.PartResults}}})
	w.set(w.at("2027-02-22 17:30"))
	w.must(w.sched.SendDigest(context.Background()))
	w.drain()
	got := kinds(w.tr.all(), "digest")
	if len(got) != 2 {
		t.Fatalf("digests = %d, want 2", len(got))
	}
	if want := "\n自查自评报告内容待完善（1个）：县委办公室（缺“存在的问题”）"; !strings.HasSuffix(got[0].Msg.Text, want) {
		t.Errorf("director digest lacks %q:\n%s", want, got[0].Msg.Text)
	}
	if strings.Contains(got[1].Msg.Text, "待完善") {
		t.Errorf("group digest lists the reports:\n%s", got[1].Msg.Text)
	}
}

func TestBackup(t *testing.T) {
	w := newWorld(t, time.Date(2027, 3, 1, 19, 0, 0, 0, time.UTC), func(o *scheduler.Options) { o.BackupKeep = 3 })
	dir := filepath.Join(w.dir, "backups")
	w.must(os.MkdirAll(dir, 0o750))
	w.must(os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep me"), 0o600))
	for d := range 5 {
		w.set(w.at("2027-03-02 03:00").AddDate(0, 0, d))
		w.must(w.sched.Backup(context.Background()))
	}
	w.must(w.sched.Backup(context.Background())) // twice the same day: replaced
	ents, err := os.ReadDir(dir)
	w.must(err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := "dudao-2027-03-04.db,dudao-2027-03-05.db,dudao-2027-03-06.db,notes.txt"
	if strings.Join(names, ",") != want {
		t.Errorf("backups = %v, want %s", names, want)
	}
	// A backup is a usable database.
	st, err := storage.Open(context.Background(), storage.Options{Path: filepath.Join(dir, "dudao-2027-03-06.db"), Now: w.clk.Now})
	w.must(err)
	defer st.Close()
	units, err := st.Units(context.Background())
	if err != nil || len(units) != 28 {
		t.Errorf("backup units = %d, %v", len(units), err)
	}
}

type pgStore struct{ *storage.Store }

func (pgStore) Driver() string { return "postgres" }
func (pgStore) Backup(context.Context, string) error {
	return errors.New("must not be called")
}

func TestBackupPostgresSkipped(t *testing.T) {
	w := newWorld(t, time.Date(2027, 3, 1, 19, 0, 0, 0, time.UTC), nil)
	w.mod = func(o *scheduler.Options) { o.Store = pgStore{w.st} }
	w.restart()
	w.mod = nil
	w.must(w.sched.Backup(context.Background()))
	if !strings.Contains(w.logs.String(), "pg_dump") {
		t.Errorf("no pg_dump hint in logs:\n%s", w.logs)
	}
}

// TestStartStop: Start runs the catch-up sweep at once through the chain;
// Stop waits for it.
func TestStartStop(t *testing.T) {
	w := newWorld(t, time.Date(2027, 2, 22, 2, 30, 0, 0, time.UTC), nil)
	w.sched.Start()
	if err := w.sched.Stop(testutil.HangGuard(t)); err != nil { // a hang guard, not a window
		t.Fatal(err)
	}
	// 22 February 10:30: each unit's slots so far (30, 14 and 7 days ahead).
	units := map[string]bool{}
	recs := reminderRecords(t, w)
	for _, r := range recs {
		units[r.UnitKey] = true
	}
	if len(units) != evaluatedUnits || len(recs) != 3*evaluatedUnits {
		t.Errorf("start-up sweep recorded %d slots of %d units, want 3 of each of %d", len(recs), len(units), evaluatedUnits)
	}
}

// TestFirstStartMidCycle: the bot is deployed on 5 March, after the
// self-assessment deadline, with an empty database. There was no bot to be
// down, so nothing counts as missed and the director gets no alert; every
// unit that owes its report is reminded once, with how late it is; later
// slots that day do not repeat it.
func TestFirstStartMidCycle(t *testing.T) {
	w := newWorld(t, time.Date(2027, 3, 5, 1, 30, 0, 0, time.UTC), nil) // 09:30 in Shanghai
	w.sweep()
	w.drain()
	all := w.tr.all()
	if n := len(kinds(all, "alert")); n != 0 {
		t.Errorf("%d director alerts on the first start, want 0: %v", n, kinds(all, "alert"))
	}
	for _, u := range w.cfg.Units() {
		got := remindersTo(all, u.Officials[0].WeChatRemark)
		if u.Stages != nil && len(u.Stages) == 0 { // the office itself owes nothing
			if len(got) != 0 {
				t.Errorf("%s (not evaluated) got %d reminders, want 0", u.Name, len(got))
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s got %d reminders, want 1", u.Name, len(got))
			continue
		}
		if text := got[0].Msg.Text; !strings.Contains(text, "自查自评报告") || !strings.Contains(text, "已记为逾期4天") || strings.Contains(text, "补发") {
			t.Errorf("%s reminder = %q, want the self-assessment report 已记为逾期4天, not labelled 补发", u.Name, text)
		}
	}
	before := len(all)
	w.set(w.at("2027-03-05 10:00")) // today's slot: the person already got today's message
	w.sweep()
	w.drain()
	if after := len(w.tr.all()); after != before {
		t.Errorf("the 10:00 sweep sent %d more messages the same day, want 0", after-before)
	}
}
