package config_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zoneinfo

	"dudaobot/config"
	"dudaobot/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.golden")

func mustLoad(t *testing.T, path string) *config.Config {
	t.Helper()
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", path, err)
	}
	return c
}

func TestShippedConfig(t *testing.T) {
	c := mustLoad(t, "../config.yaml")

	units := c.Units()
	if got, want := len(units), 28; got != want {
		t.Fatalf("len(Units()) = %d, want %d", got, want)
	}
	byName := map[string]rules.Unit{}
	for i, u := range units {
		byName[u.Name] = u
		if got, want := u.SortOrder, i+1; got != want {
			t.Errorf("%s: SortOrder = %d, want %d", u.Name, got, want)
		}
		if len(u.Officials) == 0 {
			t.Errorf("%s: no officials", u.Name)
		}
		for _, o := range u.Officials {
			if o.UnitKey != u.Key || o.IsBackup {
				t.Errorf("%s: official %+v: want UnitKey %q, IsBackup false", u.Name, o, u.Key)
			}
		}
		if u.Backup == nil || u.Backup.UnitKey != u.Key || !u.Backup.IsBackup {
			t.Errorf("%s: backup = %+v, want UnitKey %q and IsBackup", u.Name, u.Backup, u.Key)
		}
		if strings.HasSuffix(u.Duties, "\n") || u.Duties == "" {
			t.Errorf("%s: duties %q: want non-empty, no trailing newline", u.Name, u.Duties)
		}
	}
	for _, name := range []string{"县国家安全局", "县生态环境局", "县人民政府教育督导委员会办公室", "县委编办", "县人社局"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("unit %s missing", name)
		}
	}
	if last := units[len(units)-1]; last.Key != "ddb" || !strings.HasSuffix(c.Office.Name, last.Name) {
		t.Errorf("last unit = %s %s, want the office (ddb, %s)", last.Key, last.Name, c.Office.Name)
	}
	for _, u := range units {
		if u.Key == "ddb" {
			if u.Stages == nil || len(u.Stages) != 0 {
				t.Errorf("the office's own unit: Stages = %v, want none (evaluated: false)", u.Stages)
			}
		} else if u.Stages != nil {
			t.Errorf("%s: Stages = %v, want nil (every stage)", u.Name, u.Stages)
		}
	}
	bb, rsj := byName["县委编办"], byName["县人社局"]
	if bb.Duties != rsj.Duties {
		t.Errorf("县委编办 and 县人社局 duties differ:\n%s\n---\n%s", bb.Duties, rsj.Duties)
	}
	if !strings.HasPrefix(bb.Duties, "【说明：附件1中本条分工为“县委编办、县人社局”两单位共用的同一条") {
		t.Errorf("shared duty text lacks the note: %q", bb.Duties)
	}

	if got, want := c.Location().String(), "Asia/Shanghai"; got != want {
		t.Errorf("Location() = %s, want %s", got, want)
	}
	cal := c.Calendar()
	wantCal := rules.Calendar{
		Year: 2027, Location: cal.Location,
		SelfAssessmentDue:     rules.Date{Year: 2027, Month: time.March, Day: 1},
		InspectionStart:       rules.Date{Year: 2027, Month: time.March, Day: 2},
		InspectionEnd:         rules.Date{Year: 2027, Month: time.April, Day: 30},
		FeedbackDays:          14,
		RectificationPlanDays: 7,
	}
	if cal != wantCal {
		t.Errorf("Calendar() = %+v, want %+v", cal, wantCal)
	}
	if got, want := c.Directors(), []rules.Director{{Name: "木合图别克·木日扎别克（示例，请核实）", WeChatRemark: "督导办主任"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Directors() = %+v, want %+v", got, want)
	}
	driver, path, err := c.DatabaseDSN()
	if driver != "sqlite" || path != "data/dudao.db" || err != nil {
		t.Errorf("DatabaseDSN() = %q, %q, %v; want sqlite, data/dudao.db, nil", driver, path, err)
	}
	r := c.Reminders
	if got, want := r.QuietStart.String()+"-"+r.QuietEnd.String(), "21:00-08:00"; got != want {
		t.Errorf("quiet hours = %s, want %s", got, want)
	}
	if got, want := r.CatchupGrace.Duration, 6*time.Hour; got != want {
		t.Errorf("catchup_grace = %v, want %v", got, want)
	}
	if got, want := c.WeChat.SendInterval.Duration, 3*time.Second; got != want {
		t.Errorf("send_interval = %v, want %v", got, want)
	}
}

// The shipped file spells out every default, so it must equal Default()
// with only the office, calendar and roster filled in.
func TestShippedConfigMatchesDefaults(t *testing.T) {
	c := mustLoad(t, "../config.yaml")
	d := config.Default()
	d.Office, d.Roster = c.Office, c.Roster
	d.Cycle.Year, d.Cycle.SelfAssessmentDue, d.Cycle.InspectionStart, d.Cycle.InspectionEnd =
		c.Cycle.Year, c.Cycle.SelfAssessmentDue, c.Cycle.InspectionStart, c.Cycle.InspectionEnd
	d.SMTP.To = c.SMTP.To // [] in the file, nil in Default
	if !reflect.DeepEqual(*c, d) {
		t.Errorf("config.yaml differs from Default():\n got %+v\nwant %+v", *c, d)
	}
}

func TestReminderPolicy(t *testing.T) {
	c := mustLoad(t, "../config.yaml")
	if got, want := c.ReminderPolicy(), rules.DefaultReminderPolicy(); !reflect.DeepEqual(got, want) {
		t.Errorf("shipped ReminderPolicy() = %+v, want the rules default %+v", got, want)
	}
	tests := []struct {
		sweep string
		want  rules.TimeOfDay
	}{
		{"30 9 * * *", rules.TimeOfDay{Hour: 9, Minute: 30}},
		{"CRON_TZ=Asia/Shanghai 5 14 * * 1-5", rules.TimeOfDay{Hour: 14, Minute: 5}},
		// The sweep runs at 02:00 UTC, 10:00 in the configured zone: the slot
		// is when it runs there, not the spec's numbers.
		{"CRON_TZ=UTC 0 2 * * *", rules.TimeOfDay{Hour: 10}},
		{"0 10,16 * * *", rules.DefaultReminderPolicy().SlotTime},
		{"*/30 * * * *", rules.DefaultReminderPolicy().SlotTime},
		{"@daily", rules.DefaultReminderPolicy().SlotTime},
	}
	for _, tc := range tests {
		c.Reminders.SweepCron = tc.sweep
		if got := c.ReminderPolicy().SlotTime; got != tc.want {
			t.Errorf("sweep_cron %q: SlotTime = %v, want %v", tc.sweep, got, tc.want)
		}
	}
}

func TestIndicators(t *testing.T) {
	var c *config.Config // Indicators does not read the config
	inds, err := c.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	codes := map[string]rules.Indicator{}
	for i, ind := range inds {
		count[ind.Level]++
		codes[ind.Code] = ind
		if got, want := ind.Order, i+1; got != want {
			t.Errorf("%s: Order = %d, want %d", ind.Code, got, want)
		}
		if ind.Text == "" {
			t.Errorf("%s: empty text", ind.Code)
		}
		if ind.Level == 1 {
			if ind.ParentCode != "" {
				t.Errorf("%s: level 1 with parent %q", ind.Code, ind.ParentCode)
			}
			continue
		}
		p, ok := codes[ind.ParentCode]
		if !ok || p.Level != ind.Level-1 {
			t.Errorf("%s (level %d): parent %q is not an earlier level-%d indicator", ind.Code, ind.Level, ind.ParentCode, ind.Level-1)
		}
	}
	if got, want := count, map[int]int{1: 6, 2: 15, 3: 30}; !reflect.DeepEqual(got, want) {
		t.Errorf("indicators per level = %v, want %v", got, want)
	}
	for _, tc := range []struct{ code, parent, prefix string }{
		{"一", "", "贯彻执行党的教育方针情况"},
		{"（一）", "一", "全面加强党对教育工作的领导"},
		{"5", "（四）", "普惠性幼儿园覆盖率达到80%"},
		{"30", "（十五）", "建立由政府有关部门共同参与"},
	} {
		got := codes[tc.code]
		if got.ParentCode != tc.parent || !strings.HasPrefix(got.Text, tc.prefix) {
			t.Errorf("indicator %s = parent %q text %q, want parent %q text %q…", tc.code, got.ParentCode, got.Text, tc.parent, tc.prefix)
		}
	}
	if got, want := codes["13"].Thresholds, []string{"地方教育附加收入用于职业教育的比例不低于30%", "中等职业学校生均公用经费标准达到2000元"}; !reflect.DeepEqual(got, want) {
		t.Errorf("thresholds of 13 = %q, want %q", got, want)
	}
}

func TestMinimalConfigDefaults(t *testing.T) {
	c := mustLoad(t, "testdata/minimal.yaml")
	if got, want := c.Timezone, "Asia/Shanghai"; got != want {
		t.Errorf("Timezone = %q, want %q", got, want)
	}
	if got, want := c.WeChat.AllowedTypes, config.KnownFileTypes; !reflect.DeepEqual(got, want) {
		t.Errorf("AllowedTypes = %v, want %v", got, want)
	}
	units := c.Units()
	if got, want := len(units), 2; got != want {
		t.Fatalf("len(Units()) = %d, want %d", got, want)
	}
	want0 := rules.Unit{
		Key: "czj", Name: "县财政局", Aliases: []string{"财政局", "县财政局"}, Duties: "（一）测试分工。",
		Officials: []rules.Official{{Name: "官员甲", WeChatRemark: "督导-财政局", UnitKey: "czj"}},
		Backup:    &rules.Official{Name: "备用甲", WeChatRemark: "督导-财政局-备", UnitKey: "czj", IsBackup: true},
		SortOrder: 1,
	}
	if !reflect.DeepEqual(units[0], want0) {
		t.Errorf("Units()[0] = %+v, want %+v", units[0], want0)
	}
	if units[1].Backup != nil || units[1].SortOrder != 2 {
		t.Errorf("Units()[1] = %+v, want no backup and SortOrder 2", units[1])
	}
}

// TestBadConfigs loads every testdata/bad/*.yaml and compares the whole error
// text with the .golden file next to it (go test -run BadConfigs -update
// rewrites them).
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/bad/*.yaml: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, err := config.Load(f)
			if err == nil {
				t.Fatalf("Load succeeded, want problems")
			}
			if c != nil {
				t.Errorf("Load returned a config with an error")
			}
			var ve *config.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *config.ValidationError: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantB, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if want := string(wantB); got != want {
				t.Errorf("error text differs from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
			for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if i >= len(ve.Problems) || line != ve.Problems[i].Error() {
					t.Errorf("line %d %q is not Problems[%d]", i, line, i)
				}
				if strings.Count(line, ": ") < 1 || !strings.Contains(line, " / ") {
					t.Errorf("line %q is not of the form `path: 中文 / English`", line)
				}
			}
		})
	}
}

// Inline cases pin down single problems exactly; each starts from the valid
// minimal file and changes one thing.
func TestValidateInline(t *testing.T) {
	base, err := config.Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clone := func() config.Config {
		c := *base
		c.Roster = append([]config.Unit(nil), base.Roster...)
		for i := range c.Roster {
			c.Roster[i].Officials = append([]config.Person(nil), c.Roster[i].Officials...)
		}
		c.Office.Directors = append([]config.Person(nil), base.Office.Directors...)
		return c
	}
	tests := []struct {
		name   string
		modify func(c *config.Config)
		want   string // "" = valid
	}{
		{"valid", func(c *config.Config) {}, ""},
		{"official remark empty", func(c *config.Config) { c.Roster[1].Officials[0].WeChatRemark = "" },
			"units[1].officials[0].wechat_remark: 不能为空 / must not be empty"},
		{"empty timezone", func(c *config.Config) { c.Timezone = "" },
			"timezone: 不能为空 / must not be empty"},
		{"postgres with both dsn and dsn_env", func(c *config.Config) {
			c.Database = config.Database{Driver: "postgres", DSN: "postgres://x", DSNEnv: "PG"}
		}, "database.dsn_env: dsn 与 dsn_env 只能填写一个 / set only one of dsn and dsn_env"},
		{"postgres with dsn_env", func(c *config.Config) {
			c.Database = config.Database{Driver: "postgres", DSNEnv: "DUDAO_TEST_DSN"}
		}, ""},
		{"quiet hour out of range", func(c *config.Config) { c.Reminders.QuietEnd = 24 * 60 },
			"reminders.quiet_end: 不是有效的时刻，应写成 HH:MM，如 21:00 / is not a valid HH:MM time of day, e.g. 21:00"},
		{"feedback days zero", func(c *config.Config) { c.Cycle.FeedbackDays = 0 },
			"calendar.feedback_days: 必须至少为 1（现为 0） / must be at least 1 (got 0)"},
		{"year out of range", func(c *config.Config) { c.Cycle.Year = 27 },
			"calendar.year: 必须是 2000 到 2100 之间的年份（现为 27） / must be a year between 2000 and 2100 (got 27)"},
		{"smtp port", func(c *config.Config) {
			c.SMTP = config.SMTP{Host: "smtp.example.org", Port: 0, From: "a@example.org", To: []string{"b@example.org"}}
		}, "smtp.port: 必须在 1 到 65535 之间（现为 0） / must be between 1 and 65535 (got 0)"},
		{"max file 200 ok", func(c *config.Config) { c.WeChat.MaxFileMB = 200 }, ""},
		{"max file 201", func(c *config.Config) { c.WeChat.MaxFileMB = 201 },
			"wechat.max_file_mb: 必须在 1 到 200 之间（现为 201） / must be between 1 and 200 (got 201)"},
		{"inspection one day", func(c *config.Config) { c.Cycle.InspectionEnd = c.Cycle.InspectionStart }, ""},
		{"unit daily below one file", func(c *config.Config) { c.Files.UnitDailyBytes = 1 << 20 },
			"files.unit_daily_bytes: 不能小于单个文件上限 wechat.max_file_mb（52428800 字节，现为 1048576） / must be at least wechat.max_file_mb (52428800 bytes; got 1048576)"},
		{"min free negative", func(c *config.Config) { c.Files.MinFreeBytes = -1 },
			"files.min_free_bytes: 不能为负数（现为 -1） / must not be negative (got -1)"},
		{"report template missing", func(c *config.Config) { c.Report.Template = "/nonexistent/模板.docx" },
			"report.template: 文件不存在或不是普通文件：/nonexistent/模板.docx / no such regular file: /nonexistent/模板.docx"},
		{"report font a directory", func(c *config.Config) { c.Report.Font = "testdata" },
			"report.font: 文件不存在或不是普通文件：testdata / no such regular file: testdata"},
		{"report template exists", func(c *config.Config) { c.Report.Template = "testdata/minimal.yaml" }, ""},
		{"code ttl 7 days", func(c *config.Config) { c.Binding.CodeTTL.Duration = 168 * time.Hour }, ""},
		{"code ttl zero", func(c *config.Config) { c.Binding.CodeTTL.Duration = 0 },
			"binding.code_ttl: 必须在 1h 到 2160h（90天）之间，如 168h 即7天（现为 0s） / must be between 1h and 2160h (90 days), e.g. 168h for 7 days (got 0s)"},
		{"code ttl a year", func(c *config.Config) { c.Binding.CodeTTL.Duration = 365 * 24 * time.Hour },
			"binding.code_ttl: 必须在 1h 到 2160h（90天）之间，如 168h 即7天（现为 8760h0m0s） / must be between 1h and 2160h (90 days), e.g. 168h for 7 days (got 8760h0m0s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := clone()
			tc.modify(&c)
			err := c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestDatabaseDSN(t *testing.T) {
	t.Setenv("DUDAO_TEST_DSN", "postgres://secret@db/dudao")
	tests := []struct {
		name       string
		db         config.Database
		wantDriver string
		wantDSN    string
		wantErr    bool
	}{
		{"sqlite", config.Database{Driver: "sqlite", Path: "data/x.db"}, "sqlite", "data/x.db", false},
		{"postgres dsn", config.Database{Driver: "postgres", DSN: "postgres://inline"}, "postgres", "postgres://inline", false},
		{"postgres env", config.Database{Driver: "postgres", DSNEnv: "DUDAO_TEST_DSN"}, "postgres", "postgres://secret@db/dudao", false},
		{"postgres env unset", config.Database{Driver: "postgres", DSNEnv: "DUDAO_TEST_UNSET_DSN"}, "", "", true},
		{"mysql", config.Database{Driver: "mysql"}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.Database = tc.db
			driver, dsn, err := c.DatabaseDSN()
			if driver != tc.wantDriver || dsn != tc.wantDSN || (err != nil) != tc.wantErr {
				t.Errorf("DatabaseDSN() = %q, %q, %v; want %q, %q, err=%v", driver, dsn, err, tc.wantDriver, tc.wantDSN, tc.wantErr)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := func(h, m int) time.Time { return time.Date(2027, 3, 1, h, m, 0, 0, loc) }
	tests := []struct {
		start, end string
		t          time.Time
		want       bool
	}{
		{"21:00", "08:00", at(20, 59), false},
		{"21:00", "08:00", at(21, 0), true},
		{"21:00", "08:00", at(3, 0), true},
		{"21:00", "08:00", at(7, 59), true},
		{"21:00", "08:00", at(8, 0), false},
		{"12:00", "14:00", at(13, 0), true},
		{"12:00", "14:00", at(14, 0), false},
		{"00:00", "00:00", at(3, 0), false},
	}
	for _, tc := range tests {
		s, err1 := config.ParseClockTime(tc.start)
		e, err2 := config.ParseClockTime(tc.end)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		// The quiet window reaches the rules through ReminderPolicy: a time
		// inside it is moved to the window's end, any other stays put.
		c := config.Default()
		c.Reminders.QuietStart, c.Reminders.QuietEnd = s, e
		if got := !c.ReminderPolicy().Effective(tc.t, loc).Equal(tc.t); got != tc.want {
			t.Errorf("quiet(%s-%s, %s) = %v, want %v", tc.start, tc.end, tc.t.Format("15:04"), got, tc.want)
		}
	}
}

func TestParseClockTime(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"21:00", 21 * 60, false},
		{"08:00", 8 * 60, false},
		{"8:05", 8*60 + 5, false},
		{"23:59", 23*60 + 59, false},
		{"00:00", 0, false},
		{"24:00", 0, true},
		{"12:60", 0, true},
		{"8am", 0, true},
		{"8:5", 0, true},
		{"-1:00", 0, true},
		{"+1:00", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		got, err := config.ParseClockTime(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && got.Minutes() != tc.want) {
			t.Errorf("ParseClockTime(%q) = %d, %v; want %d, err=%v", tc.in, got.Minutes(), err, tc.want, tc.wantErr)
		}
	}
}

// Unquoted YAML dates resolve as !!timestamp, quoted ones as !!str: both
// must decode to the same Date.
func TestDateQuotedAndUnquoted(t *testing.T) {
	data, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Cycle.InspectionStart.String(), "2027-03-02"; got != want { // quoted in the file
		t.Errorf("inspection_start = %s, want %s", got, want)
	}
	if got, want := c.Cycle.SelfAssessmentDue.String(), "2027-03-01"; got != want { // unquoted
		t.Errorf("self_assessment_due = %s, want %s", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an os.ErrNotExist error", err)
	}
}

// TestUnitStages: evaluated, inspected and stages as the rules see them.
func TestUnitStages(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	SA, FB, RP := rules.StageSelfAssessment, rules.StageFeedback, rules.StageRectificationPlan
	for _, tc := range []struct {
		extra string
		want  []rules.Stage
	}{
		{"", nil},
		{"    evaluated: true\n", nil},
		{"    inspected: true\n", nil},
		{"    evaluated: false\n", []rules.Stage{}},
		{"    inspected: false\n", []rules.Stage{SA}},
		{"    stages: [self_assessment]\n", []rules.Stage{SA}},
		{"    stages: [rectification_plan, self_assessment, feedback]\n", []rules.Stage{SA, FB, RP}},
		{"    stages: []\n", []rules.Stage{}},
		{"    inspected: false\n    stages: [self_assessment]\n", []rules.Stage{SA}},
	} {
		data := strings.Replace(string(base), "    officials:\n      - name: 官员乙", tc.extra+"    officials:\n      - name: 官员乙", 1)
		c, err := config.Parse([]byte(data))
		if err != nil {
			t.Errorf("%q: %v", tc.extra, err)
			continue
		}
		got := c.Units()[1].Stages
		if (got == nil) != (tc.want == nil) || !reflect.DeepEqual([]rules.Stage(append([]rules.Stage{}, got...)), append([]rules.Stage{}, tc.want...)) {
			t.Errorf("%q: Stages = %#v, want %#v", tc.extra, got, tc.want)
		}
		if c.Units()[0].Stages != nil {
			t.Errorf("%q: the other unit changed: %v", tc.extra, c.Units()[0].Stages)
		}
	}
}

// TestIndicatorKeywords: every third-level indicator has keywords for the
// report check, and the reviewed examples are there.
func TestIndicatorKeywords(t *testing.T) {
	var c *config.Config
	inds, err := c.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ind := range inds {
		if ind.Level != 3 {
			if len(ind.Keywords) > 0 {
				t.Errorf("%s: keywords on a level-%d indicator", ind.Code, ind.Level)
			}
			continue
		}
		n++
		if len(ind.Keywords) < 2 {
			t.Errorf("%s: keywords %v, want at least 2", ind.Code, ind.Keywords)
		}
		if ind.Code == "13" {
			for _, k := range []string{"地方教育附加", "职业教育", "30%"} {
				if !slices.Contains(ind.Keywords, k) {
					t.Errorf("13: keywords %v lack %s", ind.Keywords, k)
				}
			}
		}
	}
	if n != 30 {
		t.Errorf("%d third-level indicators, want 30", n)
	}
}
