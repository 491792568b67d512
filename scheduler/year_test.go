package scheduler_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"dudaobot/rules"
	"dudaobot/storage"
	"dudaobot/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite testdata/year.golden")

// event is one scripted thing that happens at a time.
type event struct {
	at   time.Time
	name string
	do   func(w *world)
}

// script is the year of the 28 shipped units: a mix of on-time, late and
// never, feedback on different days, broadcasts and acknowledgements.
func script(w *world) []event {
	var ev []event
	add := func(at time.Time, name string, do func(w *world)) { ev = append(ev, event{at, name, do}) }
	ctx := context.Background()
	units := w.cfg.Units()
	day := func(m time.Month, d, h, min int) time.Time { return time.Date(2027, m, d, h, min, 0, 0, w.loc) }

	for i, u := range units {
		key := u.Key
		// Self-assessment (due 1 March).
		switch i % 4 {
		case 0: // early, before any reminder (the first is 30 days ahead)
			add(day(1, 20+i%7, 9, 30), "sa-early", func(w *world) { w.submit(key, rules.StageSelfAssessment, w.clk.Now()) })
		case 1: // on the last day, after that morning's reminder
			add(day(3, 1, 16, 0), "sa-lastday", func(w *world) { w.submit(key, rules.StageSelfAssessment, w.clk.Now()) })
		case 2: // late: 3 or 8 days
			d := 4
			if i >= 14 {
				d = 9
			}
			add(day(3, d, 11, 0), "sa-late", func(w *world) { w.submit(key, rules.StageSelfAssessment, w.clk.Now()) })
		case 3: // never
		}
		// The office's feedback: on different days, some after its own
		// deadline (14 May), some never.
		var fb time.Time
		switch i % 5 {
		case 4:
		case 3:
			fb = day(5, 17, 15, 0)
		default:
			fb = day(5, 3+i%12, 15, 0)
		}
		if fb.IsZero() || !rules.StageApplies(u, rules.Inspected{}, rules.StageFeedback) {
			continue // the office's own unit is not evaluated: no feedback to itself
		}
		add(fb, "feedback", func(w *world) {
			_, err := w.st.RecordFeedback(ctx, rules.FeedbackDelivery{
				Year: 2027, UnitKey: key, DeliveredAt: w.clk.Now(), Director: "督导办主任",
				OriginalName: u.Name + "反馈意见.docx", StoredPath: "fb/" + key, SHA256: "00", Size: 1,
			}, nil)
			w.must(err)
		})
		if i%2 == 0 {
			add(fb.AddDate(0, 0, 1).Add(-5*time.Hour), "ack-feedback", func(w *world) {
				_, err := w.st.Acknowledge(ctx, 2027, key, "督导-"+key, w.clk.Now())
				w.must(err)
			})
		}
		// Rectification plan: due 7 days after feedback.
		switch i % 3 {
		case 0:
			add(fb.AddDate(0, 0, 2).Add(-6*time.Hour), "plan-ontime", func(w *world) { w.submit(key, rules.StageRectificationPlan, w.clk.Now()) })
		case 1:
			add(fb.AddDate(0, 0, 9).Add(-4*time.Hour), "plan-late", func(w *world) { w.submit(key, rules.StageRectificationPlan, w.clk.Now()) })
		}
		// Two units get problem lists with their feedback: items due 20 June
		// and 10 July. 0: item 1 reported before its date, item 2 extended to
		// 25 July; 6: item 1 never reported (overdue, escalated), item 2
		// reported the day before its date.
		if i == 0 || i == 6 {
			add(fb.Add(-time.Hour), "problems", func(w *world) {
				_, err := w.st.AddProblems(ctx, rules.ProblemList{Year: 2027, UnitKey: key, Short: u.ShortName(), By: "督导办主任",
					Items: []rules.ProblemLine{{Seq: 1, Text: "教育经费台账不全"}, {Seq: 2, Text: "学校安全隐患未整改"}}}, nil)
				w.must(err)
			})
			add(fb.AddDate(0, 0, 1), "problem-plan", func(w *world) {
				_, err := w.st.SaveProblemPlan(ctx, rules.PlanSave{Year: 2027, UnitKey: key, By: "督导-" + key, Plans: map[int]rules.ProblemPlan{
					1: {Measure: "补齐台账", Due: rules.Date{Year: 2027, Month: 6, Day: 20}},
					2: {Measure: "排查隐患", Due: rules.Date{Year: 2027, Month: 7, Day: 10}}}}, nil)
				w.must(err)
			})
			event := func(at time.Time, name string, seq int, e rules.ProblemEvent) {
				add(at, name, func(w *world) {
					e.At = w.clk.Now()
					_, err := w.st.AddProblemEvent(ctx, rules.ProblemID(u.ShortName(), 2027, seq), e, nil)
					w.must(err)
				})
			}
			if i == 0 {
				event(day(6, 18, 11, 0), "item-done", 1, rules.ProblemEvent{Kind: rules.EventReported, Actor: "督导-" + key, Evidence: []rules.Evidence{{Text: "已补齐"}}})
				event(day(7, 5, 11, 0), "item-extended", 2, rules.ProblemEvent{Kind: rules.EventExtended, Actor: "督导办主任", NewDue: rules.Date{Year: 2027, Month: 7, Day: 25}, Reason: "资金未到位"})
			} else {
				event(day(7, 9, 11, 0), "item-done", 2, rules.ProblemEvent{Kind: rules.EventReported, Actor: "督导-" + key, Evidence: []rules.Evidence{{Text: "已排查"}}})
			}
		}
		// One unit gets a completion date equal to its plan's due date the
		// day after its feedback: both stages then share slots, and each day
		// brings ONE message listing both.
		if i == 8 {
			add(fb.Add(20*time.Hour), "set-done-due-with-plan", func(w *world) {
				due := rules.DateOf(fb, w.loc).AddDays(7)
				w.must(w.st.SetRectificationDue(ctx, 2027, key, due, "督导办主任"))
			})
		}
		// Completion: some units get a date, a few report.
		if i%6 == 0 {
			add(day(6, 1, 11, 0), "set-done-due", func(w *world) {
				w.must(w.st.SetRectificationDue(ctx, 2027, key, rules.Date{Year: 2027, Month: 6, Day: 30}, "督导办主任"))
			})
			if i%12 == 0 {
				add(day(6, 29, 9, 0), "done", func(w *world) { w.submit(key, rules.StageRectificationDone, w.clk.Now()) })
			}
		}
	}
	// On the last inspection day the director names the inspected units:
	// two units that never get feedback were not inspected, so the office's
	// own feedback reminders leave them out and they owe no plan.
	add(day(4, 30, 16, 0), "inspected", func(w *world) {
		var keys []string
		for i, u := range units {
			if i != 4 && i != 9 && rules.StageApplies(u, rules.Inspected{}, rules.StageFeedback) {
				keys = append(keys, u.Key)
			}
		}
		w.must(w.st.SetInspected(ctx, 2027, keys, "督导办主任"))
	})
	// A notice to all units on 10 March; half acknowledge at once, a quarter
	// after the 48-hour reminder, the rest never.
	add(day(3, 10, 9, 0), "broadcast", func(w *world) {
		_, err := w.st.CreateBroadcast(ctx, rules.Broadcast{Year: 2027, Kind: "broadcast", Text: "关于开展2027年度实地督导的通知", By: "督导办主任"}, nil)
		w.must(err)
	})
	for i, u := range units {
		key := u.Key
		var at time.Time
		switch i % 4 {
		case 0, 2:
			at = day(3, 10, 14, 0)
		case 1:
			at = day(3, 12, 16, 0)
		default:
			continue
		}
		add(at, "ack-broadcast", func(w *world) {
			_, err := w.st.Acknowledge(ctx, 2027, key, "督导-"+key, w.clk.Now())
			w.must(err)
		})
	}
	// The jobs, as cron would fire them: sweeps at 08:00 (before the slot:
	// nothing), 10:00 and 15:30 (slots, not sweeps, decide), the outbox
	// after each, the digest on weekdays at 17:30.
	for d := day(1, 1, 0, 0); d.Before(day(8, 1, 0, 0)); d = d.AddDate(0, 0, 1) {
		y, m, dd := d.Date()
		for _, hm := range [][2]int{{8, 0}, {10, 0}, {15, 30}} {
			add(time.Date(y, m, dd, hm[0], hm[1], 0, 0, w.loc), "sweep", func(w *world) { w.sweep(); w.drain() })
		}
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			add(time.Date(y, m, dd, 17, 30, 0, 0, w.loc), "digest", func(w *world) {
				w.must(w.sched.SendDigest(context.Background()))
				w.drain()
			})
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].at.Before(ev[j].at) })
	return ev
}

// runYear plays the script from 1 Jan to 31 Jul. At each restart point the
// process is thrown away after that event (store closed, new relay and
// scheduler on the same file) and the new one sweeps at once, as Start does.
func runYear(t *testing.T, driver string, restartAfter map[string]bool) []sent {
	w := newWorldOn(t, driver, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	restarts := 0
	for _, e := range script(w) {
		w.set(e.at)
		e.do(w)
		if restartAfter[e.at.Format("2006-01-02 15:04")+" "+e.name] {
			w.restart()
			w.sweep()
			restarts++
		}
	}
	if restarts != len(restartAfter) {
		t.Fatalf("restarted %d times, want %d", restarts, len(restartAfter))
	}
	if pending, _ := w.st.Outbox(context.Background(), rules.OutboxPending); len(pending) != 0 {
		t.Errorf("%d messages never sent", len(pending))
	}
	if !strings.Contains(w.logs.String(), "reminders swept") {
		t.Error("no sweep log")
	}
	return w.tr.all()
}

// render is the golden form: per unit (roster order) every message to its
// officials and backup, then the directors' messages.
func render(t *testing.T, all []sent) string {
	cfg := loadConfig(t)
	var b strings.Builder
	write := func(s sent) {
		fmt.Fprintf(&b, "%s  to=%s kind=%s key=%s\n", s.At.In(cfg.Location()).Format("01-02 15:04:05"), s.Msg.To.Remark, s.Msg.Kind, s.Msg.Key)
		for _, l := range strings.Split(s.Msg.Text, "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	for _, u := range cfg.Units() {
		who := map[string]bool{}
		for _, o := range u.Officials {
			who[o.WeChatRemark] = true
		}
		if u.Backup != nil {
			who[u.Backup.WeChatRemark] = true
		}
		n := 0
		for _, s := range all {
			if who[s.Msg.To.Remark] {
				n++
			}
		}
		fmt.Fprintf(&b, "=== %s %s (%d messages)\n", u.Key, u.Name, n)
		for _, s := range all {
			if who[s.Msg.To.Remark] {
				write(s)
			}
		}
	}
	for _, d := range cfg.Directors() {
		fmt.Fprintf(&b, "=== director %s\n", d.WeChatRemark)
		for _, s := range all {
			if s.Msg.To.Remark == d.WeChatRemark && s.Msg.Kind != "digest" {
				write(s)
			}
		}
		fmt.Fprintf(&b, "=== director %s: digests (first and last)\n", d.WeChatRemark)
		var dg []sent
		for _, s := range all {
			if s.Msg.To.Remark == d.WeChatRemark && s.Msg.Kind == "digest" {
				dg = append(dg, s)
			}
		}
		fmt.Fprintf(&b, "%d digests\n", len(dg))
		if len(dg) > 0 {
			write(dg[0])
			write(dg[len(dg)-1])
		}
	}
	return b.String()
}

func checkNoDuplicates(t *testing.T, all []sent) {
	t.Helper()
	keys := map[string]bool{}
	perDay := map[string]int{}
	for _, s := range all {
		if keys[s.Msg.Key] {
			t.Errorf("duplicate send %s", s.Msg.Key)
		}
		keys[s.Msg.Key] = true
		if s.Msg.Kind == "reminder" {
			k := s.Msg.To.Remark + " " + s.At.Format("2006-01-02")
			if perDay[k]++; perDay[k] > 1 {
				t.Errorf("two reminders to %s", k)
			}
		}
		if s.Msg.Kind == "reminder" && !strings.HasPrefix(s.Msg.Ref, "TX-") {
			t.Errorf("reminder without its number (Ref %q): %s", s.Msg.Ref, s.Msg.Text)
		}
	}
}

// TestYearSimulation runs the real jobs, relay and SQLite store through 1
// January – 31 July on a fake clock and compares every message with
// testdata/year.golden (go test ./scheduler -run Year -update rewrites it).
// The same year with the process restarted at three points — with reminders
// queued but not yet sent, right after a sweep, and mid-afternoon on a
// feedback day — must give the identical sequence.
//
// It runs on SQLite, and on PostgreSQL too when DUDAO_TEST_PG_DSN is set
// (scripts/test always sets it): the same script must give the same
// messages on both.
func TestYearSimulation(t *testing.T) {
	for _, driver := range storagetest.Drivers() {
		t.Run(driver, func(t *testing.T) { testYearSimulation(t, driver) })
	}
}

func testYearSimulation(t *testing.T, driver string) {
	plain := runYear(t, driver, nil)
	checkNoDuplicates(t, plain)
	got := render(t, plain)

	// Sanity figures that do not depend on the golden file.
	cfg := loadConfig(t)
	units := cfg.Units()
	never := remindersTo(plain, units[3].Officials[0].WeChatRemark) // i%4==3: never submits anything
	early := remindersTo(plain, units[0].Officials[0].WeChatRemark) // i%4==0: early, plan on time
	saNever := 0
	for _, s := range never {
		if strings.Contains(s.Msg.Text, "自查自评报告") {
			saNever++
		}
	}
	// 4 before (30, 14, 7 days; 3 and 1 day ahead, Friday 26 and Sunday 28
	// February, both on the Friday), the due date, 4 overdue (the 5th,
	// Saturday 6 March, on Friday 5 with the 4th), then weekly (Saturdays
	// on Fridays) from 12 March to 30 July: 21.
	if saNever != 30 {
		t.Errorf("never-submitting unit got %d self-assessment reminders, want 30", saNever)
	}
	for _, s := range early {
		if strings.Contains(s.Msg.Text, "自查自评报告") {
			t.Errorf("early unit reminded: %s", s.Msg.Text)
		}
	}
	if n := len(remindersTo(plain, units[3].Backup.WeChatRemark)); n == 0 {
		t.Error("backup of a never-submitting unit never reminded")
	}

	const golden = "testdata/year.golden"
	if *update && driver == storage.DriverSQLite {
		if err := os.MkdirAll("testdata", 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("year differs from %s:\n%s", golden, firstDiff(string(want), got))
	}

	restarted := runYear(t, driver, map[string]bool{
		"2027-02-28 08:00 sweep":    true, // quiet morning
		"2027-03-04 10:00 sweep":    true, // right after the escalation sweep and its sends
		"2027-05-12 15:00 feedback": true, // a feedback was just recorded
		"2027-03-05 10:00 sweep":    true, // right after the 转为每周提醒 notice was queued
		"2027-03-12 10:00 sweep":    true, // right after the first weekly reminders
	})
	checkNoDuplicates(t, restarted)
	if r := render(t, restarted); r != got {
		t.Errorf("restarted run differs:\n%s", firstDiff(got, r))
	}
}

// TestYearRestartWithQueuedReminders: the process dies right after a sweep
// queued its reminders and before the relay sent any; the new process
// sends each exactly once.
func TestYearRestartWithQueuedReminders(t *testing.T) {
	w := newWorld(t, time.Date(2027, 2, 21, 2, 0, 0, 0, time.UTC), nil)
	w.sweep() // the first start: what is owed so far (30 and 14 days ahead) once
	w.drain()
	first := len(kinds(w.tr.all(), "reminder"))
	w.set(w.at("2027-02-22 10:00"))
	w.sweep() // queued, not sent
	w.restart()
	w.sweep()
	w.drain()
	w.restart()
	w.sweep()
	w.drain()
	all := w.tr.all()
	checkNoDuplicates(t, all)
	if n := len(kinds(all, "reminder")) - first; n != evaluatedUnits {
		t.Errorf("sent %d reminders on 22 February, want %d", n, evaluatedUnits)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n want: %s\n  got: %s", i+1, x, y)
		}
	}
	return "(no difference)"
}
