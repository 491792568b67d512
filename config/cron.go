package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// CronSpecError explains why a cron spec was refused, in Chinese and English.
type CronSpecError struct {
	Spec string
	ZH   string
	EN   string
}

func (e *CronSpecError) Error() string {
	return fmt.Sprintf("config: cron spec %q: %s / %s", e.Spec, e.ZH, e.EN)
}

// cronHorizon is how far ahead a schedule must fire: a job that never runs
// within a year (「0 9 30 2 *」, or 29 February only) is a typo, not a plan.
const cronHorizonDays = 366

// cronSamples are the instants from which the next run is checked: the
// first of every month over eight years in UTC, which covers two leap
// cycles, so a schedule firing only on 29 February is caught whatever the
// current date. Fixed instants keep validation independent of the clock.
var cronSamples = func() []time.Time {
	var out []time.Time
	for m := 0; m < 8*12; m++ {
		out = append(out, time.Date(2025, time.January+time.Month(m), 1, 0, 0, 0, 0, time.UTC))
	}
	return out
}()

// ValidateCronSpec checks a schedule the way the scheduler will parse it
// (cron.ParseStandard: five fields, descriptors such as @daily and
// @every 5s, optional CRON_TZ= prefix). It never panics: robfig/cron
// v3.0.1 panics on a bare "CRON_TZ=Asia/Shanghai", so parsing runs under
// recover. It refuses an @every interval under one second (cron would
// silently round it up) and a schedule with no run within 366 days of some
// instant. The error is a *CronSpecError.
func ValidateCronSpec(spec string) (err error) {
	fail := func(zh, en string) error { return &CronSpecError{Spec: spec, ZH: zh, EN: en} }
	if strings.TrimSpace(spec) == "" {
		return fail("不能为空", "must not be empty")
	}
	if t := strings.TrimSpace(spec); (strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=")) && !strings.Contains(t, " ") {
		// robfig/cron v3.0.1 slices up to the first space and panics.
		return fail(fmt.Sprintf("%q 只有时区，缺少执行时间，应如 \"CRON_TZ=Asia/Shanghai 0 10 * * *\"", spec),
			fmt.Sprintf("%q has a time zone but no schedule; want e.g. \"CRON_TZ=Asia/Shanghai 0 10 * * *\"", spec))
	}
	defer func() {
		if r := recover(); r != nil {
			err = fail(fmt.Sprintf("无法解析 cron 表达式 %q", spec),
				fmt.Sprintf("cannot parse cron spec %q (parser panicked: %v)", spec, r))
		}
	}()
	sched, perr := cron.ParseStandard(spec)
	if perr != nil {
		return fail(fmt.Sprintf("无法解析 cron 表达式 %q（应为5段，如 \"0 10 * * *\"，或 @daily、@every 5s）", spec),
			fmt.Sprintf("cannot parse cron spec %q: %v", spec, perr))
	}
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		// cron.Every rounds anything under a second up to 1s, so "@every 0s"
		// and "@every -5m" parse; read the interval back to refuse them.
		arg := strings.TrimPrefix(everyArg(spec), "@every ")
		if d, perr := time.ParseDuration(arg); perr != nil || d < time.Second {
			return fail(fmt.Sprintf("%q 的间隔必须至少 1 秒", spec),
				fmt.Sprintf("%q: the interval must be at least 1s", spec))
		}
	}
	for _, from := range cronSamples {
		next := sched.Next(from)
		if next.IsZero() || next.After(from.AddDate(0, 0, cronHorizonDays)) {
			return fail(fmt.Sprintf("%q 在一年（366天）内不会执行，请检查日期", spec),
				fmt.Sprintf("%q has no run within %d days (e.g. after %s); check the day and month", spec, cronHorizonDays, from.Format("2006-01-02")))
		}
	}
	return nil
}

// everyArg drops a CRON_TZ=/TZ= prefix so the @every argument can be read.
func everyArg(spec string) string {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if _, rest, ok := strings.Cut(spec, " "); ok {
			return rest
		}
	}
	return spec
}
