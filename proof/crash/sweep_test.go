package crash_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"dudaobot/proof/harness"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// reReminderHeader reads the unit a reminder is for from its first line.
// The reminder's number (TX-…) is kept on its outbox row and in the log,
// not in the text: a message is known by its recipient and its unit.
var reReminderHeader = regexp.MustCompile(`^【督导提醒】([^：]+)：`)

// TestKillDuringReminderSweep: the calendar is generated around the wall
// clock so that every unit owes its self-assessment today and today's
// reminder slot passed two minutes ago. The bot sweeps at start
// (scheduler.Start), writes one reminder row per unit with its outbox row
// (one transaction each; 1,528 units), and the relay sends them.
//
// Every kill is placed by progress, never by a delay: the test watches the
// reminders table through its own connection and sends SIGKILL once the
// sweep has written a seeded number of rows more than the last run left
// (≥ 10 kills inside a sweep), then once the simulator has received a
// seeded number of further reminders, or once the restarted bot has logged
// in (start-up and sending). A slow machine only makes each run longer.
//
// Afterwards: the reminders table holds each (unit, stage, slot) exactly
// once, none missed; every official got exactly one reminder message, for
// their own unit; a message sent twice is only ever the one in flight at a
// kill.
func TestKillDuringReminderSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	t.Parallel()
	rng := seeded(t)
	bin := harness.Binary(t)

	now := time.Now().UTC()
	slot := now.Add(-2 * time.Minute).Truncate(time.Minute)
	day := time.Date(slot.Year(), slot.Month(), slot.Day(), 0, 0, 0, 0, time.UTC)
	inspect := day.AddDate(0, 0, 1)
	if inspect.Year() != day.Year() {
		inspect = day
	}
	far := slot.Add(12 * time.Hour) // digest and backup far from the test window
	env := harness.NewEnv(t, func(m map[string]any) {
		harness.Set(m, "timezone", "UTC")
		harness.Set(m, "calendar.year", day.Year())
		harness.Set(m, "calendar.self_assessment_due", day.Format("2006-01-02"))
		harness.Set(m, "calendar.inspection_start", inspect.Format("2006-01-02"))
		harness.Set(m, "calendar.inspection_end", inspect.Format("2006-01-02"))
		harness.Set(m, "reminders.sweep_cron", fmt.Sprintf("%d %d * * *", slot.Minute(), slot.Hour()))
		harness.Set(m, "reminders.digest_cron", fmt.Sprintf("%d %d * * *", far.Minute(), far.Hour()))
		harness.Set(m, "reminders.backup_cron", fmt.Sprintf("%d %d * * *", (far.Minute()+7)%60, far.Hour()))
		harness.Set(m, "reminders.before_days", []any{0})
		harness.Set(m, "reminders.overdue_max", 0)
		harness.Set(m, "reminders.escalate_after_days", 0)
		harness.Set(m, "reminders.quiet_start", "00:00")
		harness.Set(m, "reminders.quiet_end", "00:00")
		harness.Set(m, "reminders.skip_weekends", false)
		harness.Set(m, "reminders.catchup_grace", "6h")
		harness.Set(m, "wechat.send_interval", "1ms") // 0 would mean the relay default (3 s)
		units := m["units"].([]any)
		for i := 1; i <= extraUnits; i++ {
			units = append(units, map[string]any{
				"key": fmt.Sprintf("s%04d", i), "name": fmt.Sprintf("压测单位%04d", i),
				"officials": []any{map[string]any{"name": fmt.Sprintf("联系人%04d", i), "wechat_remark": fmt.Sprintf("督导-压测%04d", i)}},
			})
		}
		m["units"] = units
	})
	sim, _ := harness.Sim(t, env.Config, wxsim.Options{LongPollHold: 2 * time.Second})

	// Who must get a reminder: every official of every unit that owes the
	// self-assessment.
	// Units the self-assessment does not apply to (the office itself,
	// evaluated: false) owe nothing and must hear nothing.
	want := map[string]string{}   // remark → unit key
	exempt := map[string]string{} // remark → unit key
	due := 0                      // reminder rows: one per unit that owes the report
	for _, u := range env.Config.Units() {
		applies := rules.StageApplies(u, rules.Inspected{}, rules.StageSelfAssessment)
		if applies {
			due++
		}
		for _, o := range u.Officials {
			if applies {
				want[o.WeChatRemark] = u.Key
			} else {
				exempt[o.WeChatRemark] = u.Key
			}
		}
	}

	// Kill inside the start-up sweep: it writes one transaction per unit
	// and skips the units a killed run already recorded, so each run
	// continues where the last one stopped. The seeded target is at most a
	// sixteenth of the rows still to write past the last count, which
	// leaves the sweep far from done when the kill lands however fast the
	// machine is; a kill counts as mid-sweep when that run recorded some
	// reminders but not all that were due.
	db := harness.OpenDB(t, env.DBPath)
	count := func() int {
		var n int
		if _, err := os.Stat(env.DBPath); err != nil {
			return -1 // the bot has not created it yet
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM reminders`).Scan(&n); err != nil {
			return -1 // not created yet
		}
		return n
	}
	guard := harness.HangGuard(t)
	const minMidSweep, extraKills = 10, 4
	var kills []string // what each kill waited for
	midSweep, run, before := 0, 0, 0
	p := harness.Start(t, bin, env, sim.URL(), run)
	kill := func(point string) {
		if ok, err := p.Exited(); ok {
			t.Fatalf("run %d: bot exited by itself before %s: %v\n%s", run, point, err, p.Tail(3000))
		}
		p.Kill()
		kills = append(kills, point)
		after := count()
		if after > before && after < due {
			midSweep++
		}
		t.Logf("kill %d at %s: reminder rows %d -> %d of %d", len(kills), point, before, after, due)
		before = max(after, 0)
		run++
		p = harness.Start(t, bin, env, sim.URL(), run)
	}
	for midSweep < minMidSweep {
		if before >= due {
			t.Fatalf("the sweep completed after %d kills, %d of them inside it (want %d): the targets leave too little room",
				len(kills), midSweep, minMidSweep)
		}
		target := before + 1 + rng.Intn(max(1, (due-before)/16))
		ctx, cancel := p.UntilExit(guard)
		reached := harness.WaitFor(ctx, func() bool { return count() >= target })
		cancel()
		if !reached {
			t.Fatalf("run %d: the sweep never reached %d reminder rows (has %d)\n%s", run, target, count(), p.Tail(3000))
		}
		kill(fmt.Sprintf("reminder row %d", target))
	}
	// A few more kills in start-up and sending: at a seeded number of
	// further reminders received by the simulator, or at the restart's
	// login when the seed says so (or nothing is left to send).
	for range extraKills {
		sent := len(sim.Sent())
		left := len(want) - sent
		ctx, cancel := p.UntilExit(guard)
		var point string
		var err error
		if left > 1 && rng.Intn(3) > 0 {
			n := sent + 1 + rng.Intn(left/2)
			point = fmt.Sprintf("message %d sent", n)
			_, err = sim.WaitSent(ctx, n)
		} else {
			logins := sim.Logins()
			point = fmt.Sprintf("login %d", logins+1)
			err = sim.WaitLogins(ctx, logins+1)
		}
		cancel()
		if err != nil {
			t.Fatalf("run %d: never reached %s: %v\n%s", run, point, err, p.Tail(3000))
		}
		kill(point)
	}

	unitOf := map[string]string{} // unit name → key
	for _, u := range env.Config.Units() {
		unitOf[u.Name] = u.Key
	}
	// per: recipient → the unit of each reminder it got; numbers: each
	// (recipient, unit) message → how many times it came.
	reminders := func() (per map[string][]string, numbers map[string]int) {
		per, numbers = map[string][]string{}, map[string]int{}
		for _, s := range sim.Sent() {
			m := reReminderHeader.FindStringSubmatch(s.Text)
			if m == nil {
				continue
			}
			unit := unitOf[m[1]]
			per[s.ToRemark] = append(per[s.ToRemark], unit)
			numbers[s.ToRemark+" "+unit]++
		}
		return
	}
	// Rows claimed by a killed relay come back after the 2-minute lease.
	if !harness.WaitFor(guard, func() bool {
		per, _ := reminders()
		for r := range want {
			if len(per[r]) == 0 {
				return false
			}
		}
		return true
	}) {
		per, _ := reminders()
		var missing []string
		for r := range want {
			if len(per[r]) == 0 {
				missing = append(missing, r)
			}
		}
		t.Errorf("no reminder reached %v\n%s", missing, p.Tail(4000))
	}
	p.Stop(2 * time.Minute) // SIGKILL only if it hangs

	per, numbers := reminders()
	dupes := 0
	for r, unit := range want {
		for _, n := range per[r] {
			if n != unit {
				t.Errorf("%s (unit %s) got a reminder for unit %q", r, unit, n)
			}
		}
	}
	for n, c := range numbers {
		if c > 1 {
			dupes += c - 1
			t.Logf("reminder %s sent %d times", n, c)
		}
	}
	if dupes > len(kills) {
		t.Errorf("%d duplicate reminders for %d kills", dupes, len(kills))
	}

	if ic, err := harness.IntegrityCheck(db); err != nil || ic != "ok" {
		t.Errorf("integrity_check = %q, %v", ic, err)
	}
	rows, err := db.Query(`SELECT unit_key, stage, slot, missed, COUNT(*) FROM reminders GROUP BY unit_key, stage, slot, missed`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	recorded := map[string]int{}
	total := 0
	for rows.Next() {
		var unit, stage, sl string
		var missed bool
		var n int
		if err := rows.Scan(&unit, &stage, &sl, &missed, &n); err != nil {
			t.Fatal(err)
		}
		total += n
		if missed {
			t.Errorf("reminder %s/%s/%s recorded as missed", unit, stage, sl)
		}
		if n != 1 {
			t.Errorf("reminder %s/%s/%s recorded %d times", unit, stage, sl, n)
		}
		recorded[unit] += n
	}
	units := env.Config.Units()
	for _, u := range units {
		owes := rules.StageApplies(u, rules.Inspected{}, rules.StageSelfAssessment)
		if w := map[bool]int{true: 1, false: 0}[owes]; recorded[u.Key] != w {
			t.Errorf("unit %s has %d reminder rows, want %d", u.Key, recorded[u.Key], w)
		}
	}
	for r := range exempt {
		if len(per[r]) > 0 {
			t.Errorf("%s (self-assessment not applicable) got reminders %v", r, per[r])
		}
	}
	var dupKeys int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT key FROM outbox GROUP BY key HAVING COUNT(*) > 1)`).Scan(&dupKeys); err != nil {
		t.Fatal(err)
	}
	if dupKeys != 0 {
		t.Errorf("%d outbox keys queued twice", dupKeys)
	}
	t.Logf("RESULT sweep: kills=%d mid_sweep_kills=%d units=%d reminder_rows=%d officials=%d reminded=%d messages=%d duplicate_messages=%d",
		len(kills), midSweep, len(units), total, len(want), len(per), sumStr(numbers), dupes)
	if t.Failed() || os.Getenv("DUDAO_PROOF_VERBOSE") != "" {
		for i := 0; i <= run; i += max(1, run/4) {
			t.Logf("log of run %d:\n%s", i, harness.Tail(filepath.Join(env.Dir, fmt.Sprintf("run-%03d.log", i)), 2500))
		}
	}
}

// extraUnits are added to the shipped roster so that one sweep lasts
// long enough to be killed in the middle.
const extraUnits = 1500

func sumStr(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
