// Package cronspec is the one parser and validator of the cron schedules in
// config.yaml (reminders.*_cron). config validates the file with it and the
// scheduler builds its jobs with it, so a spec the file accepts is exactly a
// spec the scheduler runs; the reminder slot time is derived from the sweep
// schedule here, once.
package cronspec

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"dudaobot/rules"

	"github.com/robfig/cron/v3"
)

// Error explains why a cron spec was refused, in Chinese and English.
type Error struct {
	Spec string
	ZH   string
	EN   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("cron spec %q: %s / %s", e.Spec, e.ZH, e.EN)
}

// horizonDays is how far ahead a schedule must fire: a job that never runs
// within a year (「0 9 30 2 *」, or 29 February only) is a typo, not a plan.
const horizonDays = 366

// samples are the instants from which the next run is checked: the first
// of every month over eight years in UTC, which covers two leap cycles, so
// a schedule firing only on 29 February is caught whatever the current
// date. Fixed instants keep validation independent of the clock.
var samples = func() []time.Time {
	var out []time.Time
	for m := range 8 * 12 {
		out = append(out, time.Date(2025, time.January+time.Month(m), 1, 0, 0, 0, 0, time.UTC))
	}
	return out
}()

// Parse parses a schedule with cron.ParseStandard (five fields,
// descriptors such as @daily and @every 5s, optional CRON_TZ= prefix) and
// validates it. It never panics: robfig/cron v3.0.1 panics on a bare
// "CRON_TZ=Asia/Shanghai", so parsing runs under recover. It refuses an
// @every interval under one second (cron would silently round it up) and a
// schedule with no run within 366 days of some instant ("0 9 30 2 *" parses
// and silently never fires). The error is an *Error.
func Parse(spec string) (sched cron.Schedule, err error) {
	fail := func(zh, en string) error { return &Error{Spec: spec, ZH: zh, EN: en} }
	t := strings.TrimSpace(spec)
	if t == "" {
		return nil, fail("不能为空", "must not be empty")
	}
	if hasZone(t) && !strings.Contains(t, " ") {
		// robfig/cron v3.0.1 slices up to the first space and panics.
		return nil, fail(fmt.Sprintf("%q 只有时区，缺少执行时间，应如 \"CRON_TZ=Asia/Shanghai 0 10 * * *\"", spec),
			fmt.Sprintf("%q has a time zone but no schedule; want e.g. \"CRON_TZ=Asia/Shanghai 0 10 * * *\"", spec))
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fail(fmt.Sprintf("无法解析 cron 表达式 %q", spec),
				fmt.Sprintf("cannot parse cron spec %q (parser panicked: %v)", spec, r))
		}
	}()
	sched, perr := cron.ParseStandard(spec)
	if perr != nil {
		return nil, fail(fmt.Sprintf("无法解析 cron 表达式 %q（应为5段，如 \"0 10 * * *\"，或 @daily、@every 5s）", spec),
			fmt.Sprintf("cannot parse cron spec %q: %v", spec, perr))
	}
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		// cron.Every rounds anything under a second up to 1s, so "@every 0s"
		// and "@every -5m" parse; read the interval back to refuse them.
		arg := strings.TrimPrefix(withoutZone(spec), "@every ")
		if d, perr := time.ParseDuration(arg); perr != nil || d < time.Second {
			return nil, fail(fmt.Sprintf("%q 的间隔必须至少 1 秒", spec),
				fmt.Sprintf("%q: the interval must be at least 1s", spec))
		}
	}
	for _, from := range samples {
		next := sched.Next(from)
		if next.IsZero() || next.After(from.AddDate(0, 0, horizonDays)) {
			return nil, fail(fmt.Sprintf("%q 在一年（366天）内不会执行，请检查日期", spec),
				fmt.Sprintf("%q has no run within %d days (e.g. after %s); check the day and month", spec, horizonDays, from.Format("2006-01-02")))
		}
	}
	return sched, nil
}

// SlotTime is the reminder slot time a sweep schedule names: when the spec
// gives one minute and one hour as plain numbers ("0 10 * * *",
// "CRON_TZ=UTC 0 2 * * 1-5"), the time of day in loc of its runs; for any
// other schedule (every half hour, @daily, a list of hours) ok is false and
// the caller keeps its default slot.
func SlotTime(spec string, loc *time.Location) (t rules.TimeOfDay, ok bool) {
	f := strings.Fields(withoutZone(spec))
	if len(f) != 5 {
		return rules.TimeOfDay{}, false
	}
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 {
		return rules.TimeOfDay{}, false
	}
	sched, err := Parse(spec)
	if err != nil {
		return rules.TimeOfDay{}, false
	}
	// The first run after a midnight in loc carries the spec's own zone
	// (CRON_TZ=) over to loc.
	next := sched.Next(time.Date(2027, time.January, 4, 0, 0, 0, 0, loc).Add(-time.Nanosecond)).In(loc)
	return rules.TimeOfDay{Hour: next.Hour(), Minute: next.Minute()}, true
}

func hasZone(spec string) bool {
	return strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")
}

// withoutZone drops a CRON_TZ=/TZ= prefix so the schedule itself can be read.
func withoutZone(spec string) string {
	spec = strings.TrimSpace(spec)
	if hasZone(spec) {
		if _, rest, ok := strings.Cut(spec, " "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return spec
}
