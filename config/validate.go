package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"dudaobot/cronspec"
	"dudaobot/rules"
)

// Problem is one thing wrong in the file: its YAML path and what is wrong,
// in Chinese and English.
type Problem struct {
	Path string // e.g. units[3].officials[0].wechat_remark
	ZH   string
	EN   string
}

// Error formats the problem as one line: "path: 中文 / English".
func (p Problem) Error() string {
	return oneLine(fmt.Sprintf("%s: %s / %s", p.Path, p.ZH, p.EN))
}

// oneLine keeps a problem on one line whatever a library's message holds.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// ValidationError lists every problem found in a config, in file order
// (decoding problems first). Its Error is one problem per line.
type ValidationError struct {
	Problems []Problem
}

// Error joins the problems' lines with "\n", like errors.Join.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.As can find a Problem.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

var unitKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

type checker struct{ probs []Problem }

func (k *checker) add(path, zh, en string) { k.probs = append(k.probs, Problem{path, zh, en}) }

func (k *checker) required(path, v string) bool {
	if strings.TrimSpace(v) == "" {
		k.add(path, "不能为空", "must not be empty")
		return false
	}
	return true
}

func (k *checker) atLeast(path string, v, min int) {
	if v < min {
		k.add(path, fmt.Sprintf("必须至少为 %d（现为 %d）", min, v), fmt.Sprintf("must be at least %d (got %d)", min, v))
	}
}

func (k *checker) nonNegative(path string, v int) {
	if v < 0 {
		k.add(path, fmt.Sprintf("不能为负数（现为 %d）", v), fmt.Sprintf("must not be negative (got %d)", v))
	}
}

func (k *checker) nonNegativeDuration(path string, d Duration) {
	if d.Duration < 0 {
		k.add(path, fmt.Sprintf("不能为负数（现为 %s）", d), fmt.Sprintf("must not be negative (got %s)", d))
	}
}

// Validate checks the whole config and returns a *ValidationError listing
// every problem (nil when there is none).
func (c *Config) Validate() error {
	k := &checker{}

	if c.Timezone == "" {
		k.required("timezone", c.Timezone)
	} else if _, err := time.LoadLocation(c.Timezone); err != nil {
		k.add("timezone", fmt.Sprintf("无法识别的时区 %q（应如 Asia/Shanghai）", c.Timezone),
			fmt.Sprintf("unknown time zone %q (want e.g. Asia/Shanghai): %v", c.Timezone, err))
	}

	c.validateDatabase(k)
	k.required("files_dir", c.FilesDir)
	k.required("backups_dir", c.BackupsDir)
	c.validateWeChat(k)
	c.validateFiles(k)
	c.validateBinding(k)
	c.validateSMTP(k)
	c.validateReport(k)
	k.required("office.name", c.Office.Name)
	if len(c.Office.Directors) == 0 {
		k.add("office.directors", "至少需要一位主任", "at least one director is required")
	}
	for i, d := range c.Office.Directors {
		k.required(fmt.Sprintf("office.directors[%d].wechat_remark", i), d.WeChatRemark)
	}
	for i, p := range c.Office.Inspectors {
		k.required(fmt.Sprintf("office.inspectors[%d].name", i), p.Name)
		k.required(fmt.Sprintf("office.inspectors[%d].wechat_remark", i), p.WeChatRemark)
	}
	c.validateCycle(k)
	c.validateReminders(k)
	c.validateRoster(k)
	c.validateRemarks(k)
	c.validateScoring(k)

	if len(k.probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: k.probs}
}

func (c *Config) validateDatabase(k *checker) {
	d := c.Database
	switch d.Driver {
	case "sqlite":
		if d.Path == "" {
			k.add("database.path", "使用 sqlite 时不能为空", "must not be empty for sqlite")
		}
	case "postgres":
		switch {
		case d.DSN == "" && d.DSNEnv == "":
			k.add("database.dsn", "使用 postgres 时须填写 dsn 或 dsn_env", "postgres needs dsn or dsn_env")
		case d.DSN != "" && d.DSNEnv != "":
			k.add("database.dsn_env", "dsn 与 dsn_env 只能填写一个", "set only one of dsn and dsn_env")
		}
	case "":
		k.required("database.driver", d.Driver)
	default:
		k.add("database.driver", fmt.Sprintf("不支持的数据库 %q，只能是 sqlite 或 postgres", d.Driver),
			fmt.Sprintf("unsupported driver %q; want sqlite or postgres", d.Driver))
	}
}

func (c *Config) validateWeChat(k *checker) {
	w := c.WeChat
	k.required("wechat.hot_login_file", w.HotLoginFile)
	for i, g := range w.Groups {
		k.required(fmt.Sprintf("wechat.groups[%d]", i), g)
	}
	k.nonNegativeDuration("wechat.send_interval", w.SendInterval)
	k.nonNegativeDuration("wechat.send_jitter", w.SendJitter)
	k.atLeast("wechat.daily_cap_per_person", w.DailyCapPerPerson, 1)
	if w.MaxFileMB < 1 || w.MaxFileMB > 200 {
		k.add("wechat.max_file_mb", fmt.Sprintf("必须在 1 到 200 之间（现为 %d）", w.MaxFileMB),
			fmt.Sprintf("must be between 1 and 200 (got %d)", w.MaxFileMB))
	}
	if len(w.AllowedTypes) == 0 {
		k.add("wechat.allowed_types", "至少需要一种文件类型", "at least one file type is required")
	}
	known := strings.Join(KnownFileTypes, " ")
	for i, t := range w.AllowedTypes {
		if !slices.Contains(KnownFileTypes, t) {
			k.add(fmt.Sprintf("wechat.allowed_types[%d]", i),
				fmt.Sprintf("%q 不是可接收的文件类型（可选：%s）", t, known),
				fmt.Sprintf("%q is not a known file type (known: %s)", t, known))
		}
	}
	k.nonNegativeDuration("wechat.outage_alert_after", w.OutageAlertAfter)
}

// maxCodeTTL bounds binding.code_ttl: a code is a password handed out on
// paper, and one that lives for months is as good as no expiry.
const maxCodeTTL = 90 * 24 * time.Hour

func (c *Config) validateBinding(k *checker) {
	ttl := c.Binding.CodeTTL.Duration
	if ttl < time.Hour || ttl > maxCodeTTL {
		k.add("binding.code_ttl", fmt.Sprintf("必须在 1h 到 2160h（90天）之间，如 168h 即7天（现为 %s）", ttl),
			fmt.Sprintf("must be between 1h and 2160h (90 days), e.g. 168h for 7 days (got %s)", ttl))
	}
}

func (c *Config) validateFiles(k *checker) {
	f := c.Files
	if mf := c.WeChat.MaxFileMB; mf >= 1 && mf <= 200 && f.UnitDailyBytes < c.WeChat.MaxFileBytes() {
		k.add("files.unit_daily_bytes", fmt.Sprintf("不能小于单个文件上限 wechat.max_file_mb（%d 字节，现为 %d）", c.WeChat.MaxFileBytes(), f.UnitDailyBytes),
			fmt.Sprintf("must be at least wechat.max_file_mb (%d bytes; got %d)", c.WeChat.MaxFileBytes(), f.UnitDailyBytes))
	}
	if f.MinFreeBytes < 0 {
		k.add("files.min_free_bytes", fmt.Sprintf("不能为负数（现为 %d）", f.MinFreeBytes),
			fmt.Sprintf("must not be negative (got %d)", f.MinFreeBytes))
	}
}

// validateReport checks the report's files exist; whether they are a
// usable template and font is checked where they are read (app, check).
func (c *Config) validateReport(k *checker) {
	for _, f := range []struct{ path, val string }{{"report.template", c.Report.Template}, {"report.font", c.Report.Font}} {
		if f.val == "" {
			continue
		}
		if st, err := os.Stat(f.val); err != nil || !st.Mode().IsRegular() {
			k.add(f.path, fmt.Sprintf("文件不存在或不是普通文件：%s", f.val), fmt.Sprintf("no such regular file: %s", f.val))
		}
	}
}

func (c *Config) validateSMTP(k *checker) {
	s := c.SMTP
	if s.Host == "" {
		return
	}
	if s.Port < 1 || s.Port > 65535 {
		k.add("smtp.port", fmt.Sprintf("必须在 1 到 65535 之间（现为 %d）", s.Port),
			fmt.Sprintf("must be between 1 and 65535 (got %d)", s.Port))
	}
	if s.From == "" {
		k.add("smtp.from", "填写了 smtp.host 时不能为空", "must not be empty when smtp.host is set")
	}
	if len(s.To) == 0 {
		k.add("smtp.to", "填写了 smtp.host 时至少需要一个收件人", "needs at least one recipient when smtp.host is set")
	}
	for i, to := range s.To {
		k.required(fmt.Sprintf("smtp.to[%d]", i), to)
	}
}

func (c *Config) validateCycle(k *checker) {
	y := c.Cycle
	yearOK := y.Year >= 2000 && y.Year <= 2100
	if !yearOK {
		k.add("calendar.year", fmt.Sprintf("必须是 2000 到 2100 之间的年份（现为 %d）", y.Year),
			fmt.Sprintf("must be a year between 2000 and 2100 (got %d)", y.Year))
	}
	inYear := func(path string, d Date) bool {
		if d.IsZero() {
			k.required(path, "")
			return false
		}
		if yearOK && d.Year != y.Year {
			k.add(path, fmt.Sprintf("%s 不在评价年度 %d 内", d, y.Year),
				fmt.Sprintf("%s is not in the calendar year %d", d, y.Year))
			return false
		}
		return true
	}
	inYear("calendar.self_assessment_due", y.SelfAssessmentDue)
	startOK := inYear("calendar.inspection_start", y.InspectionStart)
	endOK := inYear("calendar.inspection_end", y.InspectionEnd)
	if startOK && endOK && y.InspectionEnd.Before(y.InspectionStart.Date) {
		k.add("calendar.inspection_end",
			fmt.Sprintf("%s 早于实地督导开始日期 calendar.inspection_start %s", y.InspectionEnd, y.InspectionStart),
			fmt.Sprintf("%s is before calendar.inspection_start %s", y.InspectionEnd, y.InspectionStart))
	}
	k.atLeast("calendar.feedback_days", y.FeedbackDays, 1)
	k.atLeast("calendar.rectification_plan_days", y.RectificationPlanDays, 1)
}

func (c *Config) validateReminders(k *checker) {
	r := c.Reminders
	for _, f := range []struct{ path, spec string }{
		{"reminders.sweep_cron", r.SweepCron},
		{"reminders.digest_cron", r.DigestCron},
		{"reminders.outbox_cron", r.OutboxCron},
		{"reminders.backup_cron", r.BackupCron},
	} {
		if _, err := cronspec.Parse(f.spec); err != nil {
			var ce *cronspec.Error
			if errors.As(err, &ce) {
				k.add(f.path, ce.ZH, ce.EN)
			} else {
				k.add(f.path, "无效的 cron 表达式", err.Error())
			}
		}
	}
	k.nonNegative("reminders.backup_keep", r.BackupKeep)
	for i, d := range r.BeforeDays {
		k.nonNegative(fmt.Sprintf("reminders.before_days[%d]", i), d)
	}
	k.atLeast("reminders.overdue_every_days", r.OverdueEveryDays, 1)
	k.nonNegative("reminders.overdue_max", r.OverdueMax)
	k.nonNegative("reminders.escalate_after_days", r.EscalateAfterDays)
	k.nonNegative("reminders.ack_after_hours", r.AckAfterHours)
	for _, f := range []struct {
		path string
		t    ClockTime
	}{{"reminders.quiet_start", r.QuietStart}, {"reminders.quiet_end", r.QuietEnd}} {
		if !f.t.Valid() {
			k.add(f.path, "不是有效的时刻，应写成 HH:MM，如 21:00", "is not a valid HH:MM time of day, e.g. 21:00")
		}
	}
	k.nonNegativeDuration("reminders.catchup_grace", r.CatchupGrace)
}

func (c *Config) validateRoster(k *checker) {
	if len(c.Roster) == 0 {
		k.add("units", "至少需要一个成员单位", "at least one unit is required")
	}
	keys := map[string]string{}  // key → path of its first use
	names := map[string]string{} // name or alias → path of its first use
	for i, u := range c.Roster {
		up := fmt.Sprintf("units[%d]", i)
		if k.required(up+".key", u.Key) {
			if !unitKeyRE.MatchString(u.Key) {
				k.add(up+".key",
					fmt.Sprintf("%q 不符合格式 ^[a-z][a-z0-9_]{0,31}$（小写字母开头，只含小写字母、数字和下划线，最多32个字符）", u.Key),
					fmt.Sprintf("%q does not match ^[a-z][a-z0-9_]{0,31}$ (a lowercase letter, then lowercase letters, digits or underscores; at most 32 characters)", u.Key))
			} else if first, dup := keys[u.Key]; dup {
				k.add(up+".key", fmt.Sprintf("%q 与 %s 重复", u.Key, first),
					fmt.Sprintf("%q duplicates %s", u.Key, first))
			} else {
				keys[u.Key] = up + ".key"
			}
		}
		// A unit may list its own name among its aliases; a name or alias
		// must never point at two units, or 「财政」 would be ambiguous.
		own := map[string]bool{}
		claim := func(path, s string) {
			s = strings.TrimSpace(s)
			if s == "" || own[s] {
				return
			}
			own[s] = true
			if first, dup := names[s]; dup {
				k.add(path, fmt.Sprintf("%q 已被 %s 使用，单位名称和简称只能属于一个单位", s, first),
					fmt.Sprintf("%q is already used by %s; a name or alias may belong to one unit only", s, first))
				return
			}
			names[s] = path
		}
		if k.required(up+".name", u.Name) {
			claim(up+".name", u.Name)
		}
		for j, a := range u.Aliases {
			ap := fmt.Sprintf("%s.aliases[%d]", up, j)
			if k.required(ap, a) {
				claim(ap, a)
			}
		}
		if len(u.Officials) == 0 {
			k.add(up+".officials", "至少需要一位负责同志", "at least one official is required")
		}
		for j, o := range u.Officials {
			op := fmt.Sprintf("%s.officials[%d]", up, j)
			k.required(op+".name", o.Name)
			k.required(op+".wechat_remark", o.WeChatRemark)
		}
		if u.Backup != nil {
			k.required(up+".backup.name", u.Backup.Name)
			k.required(up+".backup.wechat_remark", u.Backup.WeChatRemark)
		}
		validateUnitStages(k, up, u)
		c.validateOfficeUnit(k, up, u)
	}
}

// validateOfficeUnit: the unit that is the office itself (its name is
// office.name, or office.name with the county in front) runs the
// evaluation and must not owe itself a report or feedback.
func (c *Config) validateOfficeUnit(k *checker, up string, u Unit) {
	office, name := strings.TrimSpace(c.Office.Name), strings.TrimSpace(u.Name)
	if office == "" || name == "" || !strings.HasSuffix(office, name) {
		return
	}
	if u.Evaluated == nil || *u.Evaluated {
		k.add(up+".evaluated", fmt.Sprintf("%s 就是督导办本身（office.name），请写 evaluated: false：督导办不向自己报送自查自评报告，也不给自己书面反馈意见", name),
			fmt.Sprintf("%s is the office itself (office.name); set evaluated: false: the office owes itself no report and no feedback", name))
	}
}

// stageNames lists the names units[].stages may use.
func stageNames() string {
	names := make([]string, len(rules.AllStages))
	for i, s := range rules.AllStages {
		names[i] = string(s)
	}
	return strings.Join(names, " ")
}

// validateUnitStages checks evaluated, inspected and stages of one unit:
// known stage names, none twice, rectification only with feedback, and no
// two settings that say opposite things.
func validateUnitStages(k *checker, up string, u Unit) {
	seen := map[string]bool{}
	for j, name := range u.Stages {
		sp := fmt.Sprintf("%s.stages[%d]", up, j)
		switch {
		case !slices.Contains(rules.AllStages, rules.Stage(name)):
			k.add(sp, fmt.Sprintf("未知的阶段 %q（可选：%s）", name, stageNames()),
				fmt.Sprintf("unknown stage %q (known: %s)", name, stageNames()))
		case seen[name]:
			k.add(sp, fmt.Sprintf("阶段 %q 重复", name), fmt.Sprintf("stage %q is listed twice", name))
		}
		seen[name] = true
	}
	fb := string(rules.StageFeedback)
	if !seen[fb] && (seen[string(rules.StageRectificationPlan)] || seen[string(rules.StageRectificationDone)]) {
		k.add(up+".stages", "列出了整改阶段却没有 feedback：整改方案和整改完成情况都以收到书面反馈意见为前提",
			"lists a rectification stage without feedback: rectification follows the written feedback")
	}
	notEvaluated := u.Evaluated != nil && !*u.Evaluated
	switch {
	case notEvaluated && len(u.Stages) > 0:
		k.add(up+".evaluated", "evaluated: false 表示本单位不参加评价，不能同时列出 stages",
			"evaluated: false means the unit owes nothing; it contradicts a non-empty stages list")
	case notEvaluated && u.Inspected != nil && *u.Inspected:
		k.add(up+".evaluated", "evaluated: false 表示本单位不参加评价，不能同时写 inspected: true",
			"evaluated: false means the unit owes nothing; it contradicts inspected: true")
	}
	if u.Inspected != nil && u.Stages != nil {
		if !*u.Inspected && seen[fb] {
			k.add(up+".inspected", "inspected: false 表示本单位不受检、不接收反馈，但 stages 中列有 feedback",
				"inspected: false means no feedback, but stages lists feedback")
		}
		if *u.Inspected && !seen[fb] {
			k.add(up+".inspected", "inspected: true 表示本单位受检，但 stages 中没有 feedback",
				"inspected: true means the unit is inspected, but stages does not list feedback")
		}
	}
}

// validateRemarks checks that every remark belongs to one person, across
// directors, officials and backups: the remark is the identity key.
func (c *Config) validateRemarks(k *checker) {
	seen := map[string]string{}
	check := func(path, remark string) {
		if remark == "" {
			return // reported as empty elsewhere
		}
		if strings.TrimSpace(remark) != remark {
			k.add(path, fmt.Sprintf("%q 首尾不能有空格（备注名须逐字一致）", remark),
				fmt.Sprintf("%q must not start or end with spaces (remarks match exactly)", remark))
		}
		if first, dup := seen[remark]; dup {
			k.add(path, fmt.Sprintf("%q 已用于 %s，每个备注名只能对应一个人", remark, first),
				fmt.Sprintf("%q is already used by %s; each remark must belong to one person", remark, first))
			return
		}
		seen[remark] = path
	}
	for i, d := range c.Office.Directors {
		check(fmt.Sprintf("office.directors[%d].wechat_remark", i), d.WeChatRemark)
	}
	for i, p := range c.Office.Inspectors {
		check(fmt.Sprintf("office.inspectors[%d].wechat_remark", i), p.WeChatRemark)
	}
	for i, u := range c.Roster {
		for j, o := range u.Officials {
			check(fmt.Sprintf("units[%d].officials[%d].wechat_remark", i, j), o.WeChatRemark)
		}
		if u.Backup != nil {
			check(fmt.Sprintf("units[%d].backup.wechat_remark", i), u.Backup.WeChatRemark)
		}
	}
}
