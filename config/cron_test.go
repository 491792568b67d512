package config_test

import (
	"errors"
	"os"
	"testing"

	"dudaobot/config"
)

func TestValidateCronSpec(t *testing.T) {
	tests := []struct {
		spec   string
		wantOK bool
	}{
		{"0 10 * * *", true},
		{"30 17 * * 1-5", true},
		{"0 3 * * *", true},
		{"*/15 8-18 * * *", true},
		{"0 0 1 1 *", true}, // yearly: gaps of 365 and 366 days
		{"0 0 31 12 *", true},
		{"0 9 29 2 1", true}, // dom OR dow when both are restricted: every Monday in February
		{"@every 5s", true},
		{"@every 1s", true},
		{"@every 1h30m", true},
		{"@daily", true},
		{"@hourly", true},
		{"@yearly", true},
		{"CRON_TZ=Asia/Shanghai 0 10 * * *", true},
		{"TZ=UTC @daily", true},

		{"", false},
		{"   ", false},
		{"CRON_TZ=Asia/Shanghai", false}, // robfig v3.0.1 panics: slice bounds out of range
		{"TZ=UTC", false},                // same panic
		{"CRON_TZ=", false},              // same panic
		{"CRON_TZ=Mars/Olympus 0 10 * * *", false},
		{"0 9 30 2 *", false}, // 30 February never comes
		{"0 9 31 4 *", false}, // nor 31 April
		{"0 9 29 2 *", false}, // leap years only: years without a run
		{"@every 0s", false},  // cron rounds it up to 1s silently
		{"@every -5m", false}, // likewise
		{"@every 500ms", false},
		{"@every 9000h", false}, // 375 days
		{"@every", false},
		{"@every five", false},
		{"@reboot", false},
		{"0 10 * *", false},     // four fields
		{"0 0 10 * * *", false}, // seconds field: not the standard parser
		{"61 * * * *", false},
		{"0 25 * * *", false},
		{"*/0 * * * *", false},
		{"0 10 * * 8", false},
		{"a b c d e", false},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("ValidateCronSpec(%q) panicked: %v", tc.spec, r)
					}
				}()
				err = config.ValidateCronSpec(tc.spec)
			}()
			if got := err == nil; got != tc.wantOK {
				t.Fatalf("ValidateCronSpec(%q) = %v, want ok=%v", tc.spec, err, tc.wantOK)
			}
			if err != nil {
				var ce *config.CronSpecError
				if !errors.As(err, &ce) || ce.ZH == "" || ce.EN == "" || ce.Spec != tc.spec {
					t.Errorf("error %#v is not a complete *CronSpecError", err)
				}
			}
		})
	}
}

func TestCronSpecErrorText(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 9 30 2 *", `config: cron spec "0 9 30 2 *": "0 9 30 2 *" 在一年（366天）内不会执行，请检查日期 / "0 9 30 2 *" has no run within 366 days (e.g. after 2025-01-01); check the day and month`},
		{"@every 0s", `config: cron spec "@every 0s": "@every 0s" 的间隔必须至少 1 秒 / "@every 0s": the interval must be at least 1s`},
		{"CRON_TZ=Asia/Shanghai", `config: cron spec "CRON_TZ=Asia/Shanghai": "CRON_TZ=Asia/Shanghai" 只有时区，缺少执行时间，应如 "CRON_TZ=Asia/Shanghai 0 10 * * *" / "CRON_TZ=Asia/Shanghai" has a time zone but no schedule; want e.g. "CRON_TZ=Asia/Shanghai 0 10 * * *"`},
	}
	for _, tc := range tests {
		err := config.ValidateCronSpec(tc.spec)
		if err == nil {
			t.Errorf("ValidateCronSpec(%q) = nil", tc.spec)
			continue
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("ValidateCronSpec(%q) =\n%s\nwant\n%s", tc.spec, got, tc.want)
		}
	}
}

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and a
// config it accepts must validate again and yield consistent accessors.
func FuzzParse(f *testing.F) {
	valid, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		f.Fatal(err)
	}
	shipped, err := os.ReadFile("../config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(shipped)
	f.Add([]byte(""))
	f.Add([]byte("reminders:\n  sweep_cron: CRON_TZ=Asia/Shanghai\n"))
	f.Add([]byte("reminders:\n  outbox_cron: \"@every 0s\"\n"))
	f.Add([]byte("reminders:\n  digest_cron: \"0 9 30 2 *\"\n"))
	f.Add(append(append([]byte{}, valid...), []byte("  - key: dup\n    name: 重复\n    officials: [{name: x, wechat_remark: 督导-财政局}]\n")...))
	f.Add([]byte("units: [{key: a, officials: [{wechat_remark: x}]}, {key: a, backup: {wechat_remark: x}}]\n"))
	f.Add([]byte("calendar: {year: 2028, self_assessment_due: 2028-02-29, inspection_start: 2028-02-30}\n"))
	f.Add([]byte("a: &a [*a, *a]\nunits: *a\n"))
	f.Add([]byte("timezone: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data)
		if err != nil {
			var ve *config.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Parse error %T %v is not a non-empty *ValidationError", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		if got, want := len(c.Units()), len(c.Roster); got != want {
			t.Fatalf("len(Units()) = %d, want %d", got, want)
		}
		_ = c.Calendar()
		_ = c.Directors()
	})
}
