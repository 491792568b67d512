package cronspec_test

import (
	"errors"
	"testing"
	"time"

	"dudaobot/cronspec"
	"dudaobot/rules"
)

func TestParse(t *testing.T) {
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
		{"CRON_TZ=Asia/Shanghai 0 9 * * 1-5", true},
		{"TZ=UTC @daily", true},
		{"TZ=UTC @every 5s", true},

		{"", false},
		{"   ", false},
		{"CRON_TZ=Asia/Shanghai", false}, // robfig v3.0.1 panics: slice bounds out of range
		{"TZ=UTC", false},                // same panic
		{"CRON_TZ=", false},              // same panic
		{"CRON_TZ=Mars/Olympus 0 10 * * *", false},
		{"0 9 30 2 *", false}, // 30 February never comes
		{"0 9 31 4 *", false}, // nor 31 April
		{"59 23 31 2 *", false},
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
						t.Fatalf("Parse(%q) panicked: %v", tc.spec, r)
					}
				}()
				_, err = cronspec.Parse(tc.spec)
			}()
			if got := err == nil; got != tc.wantOK {
				t.Fatalf("Parse(%q) = %v, want ok=%v", tc.spec, err, tc.wantOK)
			}
			if err != nil {
				var ce *cronspec.Error
				if !errors.As(err, &ce) || ce.ZH == "" || ce.EN == "" || ce.Spec != tc.spec {
					t.Errorf("error %#v is not a complete *cronspec.Error", err)
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 9 30 2 *", `cron spec "0 9 30 2 *": "0 9 30 2 *" 在一年（366天）内不会执行，请检查日期 / "0 9 30 2 *" has no run within 366 days (e.g. after 2025-01-01); check the day and month`},
		{"@every 0s", `cron spec "@every 0s": "@every 0s" 的间隔必须至少 1 秒 / "@every 0s": the interval must be at least 1s`},
		{"CRON_TZ=Asia/Shanghai", `cron spec "CRON_TZ=Asia/Shanghai": "CRON_TZ=Asia/Shanghai" 只有时区，缺少执行时间，应如 "CRON_TZ=Asia/Shanghai 0 10 * * *" / "CRON_TZ=Asia/Shanghai" has a time zone but no schedule; want e.g. "CRON_TZ=Asia/Shanghai 0 10 * * *"`},
	}
	for _, tc := range tests {
		_, err := cronspec.Parse(tc.spec)
		if err == nil {
			t.Errorf("Parse(%q) = nil", tc.spec)
			continue
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("Parse(%q) =\n%s\nwant\n%s", tc.spec, got, tc.want)
		}
	}
}

func TestSlotTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec   string
		want   rules.TimeOfDay
		wantOK bool
	}{
		{"0 10 * * *", rules.TimeOfDay{Hour: 10}, true},
		{"30 9 * * 1-5", rules.TimeOfDay{Hour: 9, Minute: 30}, true},
		{"0 10 * * 0,6", rules.TimeOfDay{Hour: 10}, true},
		{"CRON_TZ=Asia/Shanghai 15 8 * * *", rules.TimeOfDay{Hour: 8, Minute: 15}, true},
		{"CRON_TZ=UTC 0 2 * * *", rules.TimeOfDay{Hour: 10}, true}, // 02:00Z is 10:00 in Shanghai
		{"0 10,16 * * *", rules.TimeOfDay{}, false},                // two slots a day: not one time
		{"*/30 * * * *", rules.TimeOfDay{}, false},
		{"@daily", rules.TimeOfDay{}, false},
		{"@every 5s", rules.TimeOfDay{}, false},
		{"0 9 30 2 *", rules.TimeOfDay{}, false}, // never runs
		{"", rules.TimeOfDay{}, false},
	}
	for _, tc := range tests {
		got, ok := cronspec.SlotTime(tc.spec, sh)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("SlotTime(%q) = %v, %v; want %v, %v", tc.spec, got, ok, tc.want, tc.wantOK)
		}
	}
}
