package rules

import "time"

// Unit is one responsible unit (责任单位) of Annex 1 / section 二.
type Unit struct {
	Key       string   // short stable ASCII key, e.g. "czj"
	Name      string   // full name, e.g. 县财政局
	Aliases   []string // what people type: 财政局, 财政
	Duties    string   // Annex 1 duty text
	Officials []Official
	Backup    *Official // optional backup official; receives escalations
	SortOrder int       // order of the roster in config.yaml
	// Stages are the stages of AllStages the config says this unit takes
	// part in; nil means every stage. StageFeedback in it means the unit
	// may be inspected (受检) and so gets feedback; see StageApplies.
	Stages []Stage
}

// Official is a person who answers for a unit in chat. Identity is the WeChat
// remark name (备注) the office sets on the bot's account: the only contact
// key that survives re-login and that the contact cannot change.
type Official struct {
	Name         string
	WeChatRemark string
	UnitKey      string
	IsBackup     bool
}

// Director is a director of the supervision office (督导委员会办公室主任); the
// director sees every unit and runs the cycle from chat.
type Director struct {
	Name         string
	WeChatRemark string
}

// Inspector is a 督学 of the inspection team: a person who may submit
// inspection scores (评分表) and nothing else.
type Inspector struct {
	Name         string
	WeChatRemark string
}

// Role is what a sender is allowed to do.
type Role int

const (
	RoleStranger  Role = iota // unknown contact: one polite refusal a day
	RoleOfficial              // acts only for their own unit
	RoleDirector              // sees and acts on everything
	RoleInspector             // 督学: submits inspection scores, nothing else
)

func (r Role) String() string {
	switch r {
	case RoleOfficial:
		return "official"
	case RoleDirector:
		return "director"
	case RoleInspector:
		return "inspector"
	}
	return "stranger"
}

// Identity is who sent a message, resolved from the remark name.
type Identity struct {
	Role    Role
	Name    string
	Remark  string
	UnitKey string // set for officials
}

// Stage is one obligation of the yearly cycle.
type Stage string

const (
	// StageSelfAssessment is the unit's 自查自评报告, due by 1 March.
	StageSelfAssessment Stage = "self_assessment"
	// StageRectificationPlan is the unit's 整改方案, due 7 days after that
	// unit received its feedback.
	StageRectificationPlan Stage = "rectification_plan"
	// StageRectificationDone is the optional 整改完成 report, due on a date the
	// director sets per unit.
	StageRectificationDone Stage = "rectification_done"
	// StageFeedback is the office's own obligation: written feedback (书面反馈
	// 意见) to each unit within 14 days after field inspection ends.
	StageFeedback Stage = "feedback"
	// StageSupporting marks material received outside any open stage.
	StageSupporting Stage = "supporting"
)

// UnitStages are the stages a unit submits documents for, in cycle order.
var UnitStages = []Stage{StageSelfAssessment, StageRectificationPlan, StageRectificationDone}

// AllStages are the stages shown in the compliance table, in cycle order.
var AllStages = []Stage{StageSelfAssessment, StageFeedback, StageRectificationPlan, StageRectificationDone}

// Label is the stage's Chinese name.
func (s Stage) Label() string {
	switch s {
	case StageSelfAssessment:
		return "自查自评报告"
	case StageRectificationPlan:
		return "整改方案"
	case StageRectificationDone:
		return "整改完成情况"
	case StageFeedback:
		return "书面反馈意见"
	case StageSupporting:
		return "补充材料"
	case StageReportParts:
		return "自查自评报告缺少的部分"
	}
	if s.IsItemStage() {
		return s.itemLabel()
	}
	return string(s)
}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool {
	switch s {
	case StageSelfAssessment, StageRectificationPlan, StageRectificationDone, StageFeedback, StageSupporting:
		return true
	}
	return false
}

// Calendar is one year's dates from config.yaml (and the director's
// 督导结束 command, which may move InspectionEnd).
type Calendar struct {
	Year                  int
	Location              *time.Location
	SelfAssessmentDue     Date // 自查自评: by this date (inclusive)
	InspectionStart       Date // 实地督导 start
	InspectionEnd         Date // 实地督导 end (inclusive)
	FeedbackDays          int  // office feedback within N days after inspection end (14)
	RectificationPlanDays int  // unit plan within N days after receiving feedback (7)
}

// Submission is one received version of a unit's document for a stage.
type Submission struct {
	ID           int64
	Year         int
	UnitKey      string
	Stage        Stage
	Version      int // 1 for the first version of (year, unit, stage)
	Official     string
	OriginalName string // sanitized original file name, shown to people only
	StoredPath   string // server-generated, relative to files_dir
	Size         int64
	SHA256       string // hex
	ReceivedAt   time.Time
	OnTime       bool
	IsText       bool // a plan sent as chat text
	// Resembles is what the receipt said about another unit (a file named
	// for it, or the same as its file); stored with the row and read back
	// by the digest's list (storage's SubmissionsToVerify), not by the
	// plain Submissions list.
	Resembles Resemblance
}

// FeedbackDelivery records the office delivering written feedback to a unit;
// the unit's 7-day rectification-plan clock starts at DeliveredAt.
type FeedbackDelivery struct {
	ID           int64
	Year         int
	UnitKey      string
	DeliveredAt  time.Time
	Director     string
	OriginalName string
	StoredPath   string
	SHA256       string
	Size         int64
}

// UnitYear is everything the rules need to know about one unit in one year.
type UnitYear struct {
	UnitKey string
	// FirstSubmitted holds the time of the first version per stage; lateness
	// is judged on it, so a later version never turns on-time into late.
	FirstSubmitted map[Stage]time.Time
	// LastSubmitted and Versions describe the latest version per stage.
	LastSubmitted map[Stage]time.Time
	Versions      map[Stage]int
	// FeedbackAt is when the office delivered this unit's feedback (zero: not yet).
	FeedbackAt time.Time
	// RectificationDue is the completion date the director set (zero: none).
	RectificationDue Date
	// NotApplicable holds the stages this unit does not owe this year
	// (NotApplicableStages: the config's stages and the year's inspected
	// set). nil: every stage applies.
	NotApplicable map[Stage]bool
}

// Applies reports whether the unit owes (or, for feedback, is owed) stage s
// this year.
func (u UnitYear) Applies(s Stage) bool { return !u.NotApplicable[s] }
