// Package config loads and validates config.yaml, the file the county office
// edits, and serves the embedded Annex 2 indicator system
// (config/indicators.yaml).
//
// Load starts from Default, decodes the file with yaml.v3 set to
// KnownFields(true) so a misspelt key fails instead of being ignored, and then
// calls Validate. Every problem in the file is reported at once, one line per
// problem, each naming its YAML path in Chinese and English:
//
//	units[3].officials[0].wechat_remark: 不能为空 / must not be empty
//
// Relative paths (database.path, files_dir, backups_dir,
// wechat.hot_login_file) are NOT resolved against the config file's
// directory: they stay relative to the process's working directory, exactly
// as written, so `dudaobot run` started from the install directory finds
// data/ next to config.yaml. Callers use the fields as they are.
//
// Secrets never live in the file: database.dsn_env and smtp.password_env name
// environment variables that DatabaseDSN and SMTP.Password read.
//
// The config is passed down explicitly; this package keeps no global state.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"dudaobot/cronspec"
	"dudaobot/rules"

	"gopkg.in/yaml.v3"
)

// Config mirrors config.yaml exactly. Go field names differ from the YAML
// keys only where a method has the natural name: the `calendar` section is
// Cycle (see Calendar) and `units` is Roster (see Units).
type Config struct {
	Timezone   string    `yaml:"timezone"`
	Database   Database  `yaml:"database"`
	FilesDir   string    `yaml:"files_dir"`
	BackupsDir string    `yaml:"backups_dir"`
	Files      Files     `yaml:"files"`
	WeChat     WeChat    `yaml:"wechat"`
	Binding    Binding   `yaml:"binding"`
	SMTP       SMTP      `yaml:"smtp"`
	Office     Office    `yaml:"office"`
	Cycle      Cycle     `yaml:"calendar"`
	Reminders  Reminders `yaml:"reminders"`
	Roster     []Unit    `yaml:"units"`
	Scoring    Scoring   `yaml:"scoring"`
	Report     Report    `yaml:"report"`
}

// Report is the `report` section: the annual report's template and the
// font of the 总览 picture. Both optional.
type Report struct {
	// Template is a .docx with the placeholders {{年度}} {{督导办}} {{日期}}
	// and a paragraph {{正文}} (empty: the shipped report/template.docx).
	Template string `yaml:"template"`
	// Font is a .ttf/.otf/.ttc file with Chinese glyphs for the 总览
	// picture (empty: a CJK font found on the system).
	Font string `yaml:"font"`
}

// Database is the `database` section.
type Database struct {
	Driver string `yaml:"driver"`  // "sqlite" | "postgres"
	Path   string `yaml:"path"`    // sqlite file, relative to the working directory
	DSN    string `yaml:"dsn"`     // postgres DSN written in the file…
	DSNEnv string `yaml:"dsn_env"` // …or the name of the environment variable holding it
}

// Files is the `files` section: limits on what received documents may take
// of the disk.
type Files struct {
	// UnitDailyBytes bounds the bytes one unit's people may store per day
	// (calendar day in the configured zone).
	UnitDailyBytes int64 `yaml:"unit_daily_bytes"`
	// MinFreeBytes is the free space kept on the files_dir disk: below it
	// files are refused, so the database (same disk, usually) keeps room
	// and text commands keep working.
	MinFreeBytes int64 `yaml:"min_free_bytes"`
}

// Binding is the `binding` section: the one-time codes of `dudaobot codes`.
type Binding struct {
	// CodeTTL is how long a code stays usable after it is issued.
	CodeTTL Duration `yaml:"code_ttl"`
}

// WeChat is the `wechat` section.
type WeChat struct {
	HotLoginFile      string   `yaml:"hot_login_file"`
	Groups            []string `yaml:"groups"`
	SendInterval      Duration `yaml:"send_interval"`
	SendJitter        Duration `yaml:"send_jitter"`
	DailyCapPerPerson int      `yaml:"daily_cap_per_person"`
	MaxFileMB         int      `yaml:"max_file_mb"`
	AllowedTypes      []string `yaml:"allowed_types"`
	OutageAlertAfter  Duration `yaml:"outage_alert_after"`
}

// MaxFileBytes is max_file_mb in bytes.
func (w WeChat) MaxFileBytes() int64 { return int64(w.MaxFileMB) << 20 }

// SMTP is the optional `smtp` section; an empty Host turns e-mail alerts off.
type SMTP struct {
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"`
	Username    string   `yaml:"username"`
	PasswordEnv string   `yaml:"password_env"`
	From        string   `yaml:"from"`
	To          []string `yaml:"to"`
}

// Enabled reports whether e-mail alerts are configured.
func (s SMTP) Enabled() bool { return s.Host != "" }

// Password reads the password from the environment variable named by
// password_env ("" when unset).
func (s SMTP) Password() string {
	if s.PasswordEnv == "" {
		return ""
	}
	return os.Getenv(s.PasswordEnv)
}

// Office is the `office` section: the supervision office running the bot.
type Office struct {
	Name      string   `yaml:"name"`
	Directors []Person `yaml:"directors"`
	// Inspectors (督学) may send the inspection 评分表 and nothing else.
	Inspectors []Person `yaml:"inspectors"`
}

// Person is a director, official or backup contact. WeChatRemark is the 备注
// the office sets on the bot's WeChat account: the identity key.
type Person struct {
	Name         string `yaml:"name"`
	WeChatRemark string `yaml:"wechat_remark"`
}

// Cycle is the `calendar` section: one year's dates.
type Cycle struct {
	Year                  int  `yaml:"year"`
	SelfAssessmentDue     Date `yaml:"self_assessment_due"`
	InspectionStart       Date `yaml:"inspection_start"`
	InspectionEnd         Date `yaml:"inspection_end"`
	FeedbackDays          int  `yaml:"feedback_days"`
	RectificationPlanDays int  `yaml:"rectification_plan_days"`
	// PlanNextYear lets the completion dates of a unit's rectification
	// items fall in the year after the cycle's year too.
	PlanNextYear bool `yaml:"plan_next_year"`
}

// Reminders is the `reminders` section, already parsed: durations are
// time.Durations, quiet hours are minutes of the day.
type Reminders struct {
	SweepCron         string    `yaml:"sweep_cron"`
	DigestCron        string    `yaml:"digest_cron"`
	OutboxCron        string    `yaml:"outbox_cron"`
	BackupCron        string    `yaml:"backup_cron"`
	BackupKeep        int       `yaml:"backup_keep"`
	BeforeDays        []int     `yaml:"before_days"`
	OverdueEveryDays  int       `yaml:"overdue_every_days"`
	OverdueMax        int       `yaml:"overdue_max"`
	EscalateAfterDays int       `yaml:"escalate_after_days"`
	AckAfterHours     int       `yaml:"ack_after_hours"`
	QuietStart        ClockTime `yaml:"quiet_start"`
	QuietEnd          ClockTime `yaml:"quiet_end"`
	SkipWeekends      bool      `yaml:"skip_weekends"`
	CatchupGrace      Duration  `yaml:"catchup_grace"`
	GroupDigest       string    `yaml:"group_digest"`
}

// AckAfter is ack_after_hours as a duration.
func (r Reminders) AckAfter() time.Duration { return time.Duration(r.AckAfterHours) * time.Hour }

// Unit is one entry of `units`.
type Unit struct {
	Key       string   `yaml:"key"`
	Name      string   `yaml:"name"`
	Aliases   []string `yaml:"aliases"`
	Duties    string   `yaml:"duties"`
	Officials []Person `yaml:"officials"`
	Backup    *Person  `yaml:"backup"` // optional
	// Evaluated false: the unit is not evaluated and owes nothing (the
	// office's own unit). Inspected false: the unit reports its
	// self-assessment but is never inspected, so gets no feedback and has
	// nothing to rectify. Stages lists the stages explicitly instead. All
	// three unset: every stage applies.
	Evaluated *bool    `yaml:"evaluated"`
	Inspected *bool    `yaml:"inspected"`
	Stages    []string `yaml:"stages"`
}

// UnitStages are the stages a unit's entry says apply (nil: every stage).
// Call it on a validated config: an unknown stage name is dropped.
func (u Unit) UnitStages() []rules.Stage {
	switch {
	case u.Evaluated != nil && !*u.Evaluated:
		return []rules.Stage{}
	case u.Stages != nil:
		var out []rules.Stage
		for _, s := range rules.AllStages {
			if slices.Contains(u.Stages, string(s)) {
				out = append(out, s)
			}
		}
		if out == nil {
			out = []rules.Stage{}
		}
		return out
	case u.Inspected != nil && !*u.Inspected:
		return []rules.Stage{rules.StageSelfAssessment}
	}
	return nil
}

// KnownFileTypes are the file extensions allowed_types may list.
var KnownFileTypes = []string{"doc", "docx", "wps", "pdf", "ofd", "xls", "xlsx", "et", "jpg", "jpeg", "png", "zip", "rar"}

// Default returns the configuration used for every key the file leaves
// out. It has no office, calendar dates or units: those must be written.
func Default() Config {
	return Config{
		Timezone:   "Asia/Shanghai",
		Database:   Database{Driver: "sqlite", Path: "data/dudao.db"},
		FilesDir:   "data/files",
		BackupsDir: "data/backups",
		Files:      Files{UnitDailyBytes: 200 << 20, MinFreeBytes: 1 << 30},
		Binding:    Binding{CodeTTL: Duration{rules.DefaultCodeTTL}},
		WeChat: WeChat{
			HotLoginFile:      "data/hotlogin.json",
			Groups:            []string{},
			SendInterval:      Duration{3 * time.Second},
			SendJitter:        Duration{time.Second},
			DailyCapPerPerson: 30,
			MaxFileMB:         50,
			AllowedTypes:      append([]string(nil), KnownFileTypes...),
			OutageAlertAfter:  Duration{30 * time.Minute},
		},
		SMTP: SMTP{Port: 587},
		Cycle: Cycle{
			FeedbackDays:          14,
			RectificationPlanDays: 7,
		},
		Reminders: Reminders{
			SweepCron:         "0 10 * * *",
			DigestCron:        "30 17 * * 1-5",
			OutboxCron:        "@every 5s",
			BackupCron:        "0 3 * * *",
			BackupKeep:        14,
			BeforeDays:        append([]int(nil), rules.DefaultBeforeDays...),
			OverdueEveryDays:  1,
			OverdueMax:        5,
			EscalateAfterDays: 3,
			AckAfterHours:     48,
			QuietStart:        21 * 60,
			QuietEnd:          8 * 60,
			SkipWeekends:      true,
			CatchupGrace:      Duration{6 * time.Hour},
		},
		Scoring: defaultScoring(),
	}
}

// Load reads and parses the file at path (see Parse). A problem in the file
// is returned as a *ValidationError listing every problem, one per line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Parse(data)
}

// Parse decodes data over Default with unknown keys refused, then validates
// it. On any problem it returns nil and a *ValidationError holding decoding
// and validation problems together; problems under a key that failed to
// decode are not repeated by validation. An empty document decodes to the
// defaults (and then fails validation for the required keys).
func Parse(data []byte) (*Config, error) {
	cfg := Default()
	decodeProbs, covered := decode(data, &cfg)
	var probs []Problem
	probs = append(probs, decodeProbs...)
	if err := cfg.Validate(); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		for _, p := range ve.Problems {
			if !coveredBy(p.Path, covered) {
				probs = append(probs, p)
			}
		}
	}
	if len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	return &cfg, nil
}

// decode fills cfg from data and returns the problems yaml.v3 reported, each
// mapped back to its YAML path, and the paths those problems left undecoded.
func decode(data []byte, cfg *Config) (probs []Problem, covered []string) {
	defer func() {
		// yaml.v3 is not known to panic on v3.0.1, but a config file is
		// untrusted input and a crash here would take the CLI down with a
		// stack trace instead of a readable line.
		if r := recover(); r != nil {
			probs = append(probs, Problem{Path: rootPath,
				ZH: fmt.Sprintf("无法解析文件：%v", r),
				EN: fmt.Sprintf("cannot parse the file: %v", r)})
			covered = append(covered, rootPath)
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return []Problem{syntaxProblem(err)}, []string{rootPath}
	}
	idx := indexNodes(&root)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil || errors.Is(err, io.EOF) {
		return nil, nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			p, c := idx.problem(msg)
			probs = append(probs, p)
			covered = append(covered, c)
		}
		return probs, covered
	}
	return []Problem{syntaxProblem(err)}, []string{rootPath}
}

// coveredBy reports whether path lies at or under a path that decoding
// left undecoded.
func coveredBy(path string, covered []string) bool {
	for _, c := range covered {
		if c == rootPath || path == c ||
			strings.HasPrefix(path, c+".") || strings.HasPrefix(path, c+"[") {
			return true
		}
	}
	return false
}

// Location returns the configured time zone. For a zone that does not load
// (Validate reports it; Load never returns such a config) it returns UTC.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Calendar returns the year's dates as the rules see them.
func (c *Config) Calendar() rules.Calendar {
	return rules.Calendar{
		Year:                  c.Cycle.Year,
		Location:              c.Location(),
		SelfAssessmentDue:     c.Cycle.SelfAssessmentDue.Date,
		InspectionStart:       c.Cycle.InspectionStart.Date,
		InspectionEnd:         c.Cycle.InspectionEnd.Date,
		FeedbackDays:          c.Cycle.FeedbackDays,
		RectificationPlanDays: c.Cycle.RectificationPlanDays,
	}
}

// Units returns the roster in file order with SortOrder 1, 2, 3…; every
// official carries its UnitKey, and the backup has IsBackup set. Duties lose
// the trailing newline of the YAML block scalar.
func (c *Config) Units() []rules.Unit {
	out := make([]rules.Unit, 0, len(c.Roster))
	for i, u := range c.Roster {
		ru := rules.Unit{
			Key:       u.Key,
			Name:      u.Name,
			Aliases:   append([]string(nil), u.Aliases...),
			Duties:    strings.TrimRight(u.Duties, "\n"),
			SortOrder: i + 1,
			Stages:    u.UnitStages(),
		}
		for _, o := range u.Officials {
			ru.Officials = append(ru.Officials, rules.Official{Name: o.Name, WeChatRemark: o.WeChatRemark, UnitKey: u.Key})
		}
		if u.Backup != nil {
			ru.Backup = &rules.Official{Name: u.Backup.Name, WeChatRemark: u.Backup.WeChatRemark, UnitKey: u.Key, IsBackup: true}
		}
		out = append(out, ru)
	}
	return out
}

// Directors returns office.directors.
func (c *Config) Directors() []rules.Director {
	out := make([]rules.Director, 0, len(c.Office.Directors))
	for _, d := range c.Office.Directors {
		out = append(out, rules.Director{Name: d.Name, WeChatRemark: d.WeChatRemark})
	}
	return out
}

// Inspectors returns office.inspectors.
func (c *Config) Inspectors() []rules.Inspector {
	out := make([]rules.Inspector, 0, len(c.Office.Inspectors))
	for _, p := range c.Office.Inspectors {
		out = append(out, rules.Inspector{Name: p.Name, WeChatRemark: p.WeChatRemark})
	}
	return out
}

// DatabaseDSN returns the driver and, for sqlite, the file path or, for
// postgres, the DSN: database.dsn if written, else the value of the
// environment variable named by database.dsn_env.
func (c *Config) DatabaseDSN() (driver, dsnOrPath string, err error) {
	d := c.Database
	switch d.Driver {
	case "sqlite":
		if d.Path == "" {
			return "", "", errors.New("config: database.path is empty")
		}
		return d.Driver, d.Path, nil
	case "postgres":
		if d.DSN != "" {
			return d.Driver, d.DSN, nil
		}
		if d.DSNEnv == "" {
			return "", "", errors.New("config: database: postgres needs dsn or dsn_env")
		}
		v := os.Getenv(d.DSNEnv)
		if v == "" {
			return "", "", fmt.Errorf("config: database.dsn_env: environment variable %s is empty or unset", d.DSNEnv)
		}
		return d.Driver, v, nil
	}
	return "", "", fmt.Errorf("config: database.driver %q: want sqlite or postgres", d.Driver)
}

// ReminderPolicy returns the reminders section as the rules' planner takes
// it. The slot time (when in the day reminders are due) is the time of
// sweep_cron in the configured zone when that spec names one minute and one
// hour ("0 10 * * *" → 10:00, cronspec.SlotTime); for any other sweep
// schedule it is the rules' default slot.
func (c *Config) ReminderPolicy() rules.ReminderPolicy {
	r := c.Reminders
	p := rules.DefaultReminderPolicy()
	p.BeforeDays = append([]int(nil), r.BeforeDays...)
	p.OverdueEveryDays = r.OverdueEveryDays
	p.OverdueMax = r.OverdueMax
	p.EscalateAfterDays = r.EscalateAfterDays
	p.AckAfter = r.AckAfter()
	p.QuietStart = rules.TimeOfDay{Hour: r.QuietStart.Minutes() / 60, Minute: r.QuietStart.Minutes() % 60}
	p.QuietEnd = rules.TimeOfDay{Hour: r.QuietEnd.Minutes() / 60, Minute: r.QuietEnd.Minutes() % 60}
	p.SkipWeekends = r.SkipWeekends
	p.CatchupGrace = r.CatchupGrace.Duration
	if t, ok := cronspec.SlotTime(r.SweepCron, c.Location()); ok {
		p.SlotTime = t
	}
	return p
}
