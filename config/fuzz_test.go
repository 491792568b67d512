package config_test

import (
	"errors"
	"os"
	"testing"

	"dudaobot/config"
)

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
