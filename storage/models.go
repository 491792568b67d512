package storage

import (
	"context"
	"fmt"

	"dudaobot/rules"
)

// The gorm models are unexported: they are the schema, not the API. Index
// names are global in SQLite, so every one is spelled out and unique. Fields
// named CreatedAt carry autoCreateTime:false because their values are Unix
// nanoseconds set from the injected clock, not gorm's Unix seconds.

type unitRow struct {
	UnitKey   string `gorm:"column:unit_key;primaryKey;size:64"`
	Name      string `gorm:"not null"`
	Aliases   string // JSON array
	Duties    string
	SortOrder int `gorm:"not null;index:ix_units_order"`
	// Stages are the config's stages for the unit (encodeStages): "" every
	// stage, "none" none, else comma-separated stage names.
	Stages string
}

func (unitRow) TableName() string { return "units" }

type officialRow struct {
	ID       int64  `gorm:"primaryKey"`
	UnitKey  string `gorm:"size:64;not null;index:ix_officials_unit"`
	Name     string
	Remark   string `gorm:"not null;index:ix_officials_remark"`
	IsBackup bool   `gorm:"not null"`
	Position int    `gorm:"not null"`
}

func (officialRow) TableName() string { return "officials" }

type directorRow struct {
	ID       int64 `gorm:"primaryKey"`
	Name     string
	Remark   string `gorm:"not null"`
	Position int    `gorm:"not null"`
}

func (directorRow) TableName() string { return "directors" }

// yearRow holds the year's calendar from config plus the director's
// overrides, kept in separate columns so a restart with config never
// erases what the director set in chat.
type yearRow struct {
	Year                  int `gorm:"primaryKey;autoIncrement:false"`
	SelfAssessmentDue     string
	InspectionStart       string
	InspectionEnd         string
	FeedbackDays          int
	RectificationPlanDays int
	InspectionEndOverride string // "" = none; set by 督导结束
	// InspectedUnits is the year's 受检单位 as the director marked them:
	// comma-separated unit keys; "" = not marked yet (every unit counts).
	InspectedUnits string
}

func (yearRow) TableName() string { return "years" }

// rectificationDueRow is the completion date the director set for a unit.
type rectificationDueRow struct {
	Year    int    `gorm:"primaryKey;autoIncrement:false"`
	UnitKey string `gorm:"primaryKey;size:64"`
	Due     string `gorm:"not null"`
}

func (rectificationDueRow) TableName() string { return "rectification_dues" }

type submissionRow struct {
	ID int64 `gorm:"primaryKey"`
	// ux_sub_version makes (year, unit, stage, version) unique: two writers
	// can never both get version n. ix_sub_agg covers the UnitYears
	// aggregate, which then reads the index alone.
	Year         int    `gorm:"not null;uniqueIndex:ux_sub_version,priority:1;index:ix_sub_agg,priority:1"`
	UnitKey      string `gorm:"size:64;not null;uniqueIndex:ux_sub_version,priority:2;index:ix_sub_agg,priority:2"`
	Stage        string `gorm:"size:32;not null;uniqueIndex:ux_sub_version,priority:3;index:ix_sub_agg,priority:3"`
	Version      int    `gorm:"not null;uniqueIndex:ux_sub_version,priority:4;index:ix_sub_agg,priority:5"`
	Official     string
	OriginalName string
	StoredPath   string
	Size         int64
	SHA256       string `gorm:"column:sha256;size:64"`
	ReceivedAt   int64  `gorm:"not null;index:ix_sub_agg,priority:4"`
	OnTime       bool   `gorm:"not null"`
	IsText       bool   `gorm:"not null"`
	// A withdrawn (撤回) row is kept for the audit with its version moved
	// to -id: every live query filters version > 0 (inside ix_sub_agg),
	// and the stage's next version reuses the number it had.
	WithdrawnAt      int64 `gorm:"not null;default:0"`
	WithdrawnBy      string
	WithdrawnVersion int `gorm:"not null;default:0"`
	// Resembles is the JSON of rules.Submission.Resembles ("" = the file
	// resembles no other unit's; added by AutoMigrate on older databases).
	// Read by SubmissionsToVerify only, not by the hot Submissions list.
	Resembles string `gorm:"not null;default:''"`
}

func (submissionRow) TableName() string { return "submissions" }

type feedbackRow struct {
	ID           int64  `gorm:"primaryKey"`
	Year         int    `gorm:"not null;index:ix_feedback_unit,priority:1"`
	UnitKey      string `gorm:"size:64;not null;index:ix_feedback_unit,priority:2"`
	DeliveredAt  int64  `gorm:"not null;index:ix_feedback_unit,priority:3"`
	Director     string
	OriginalName string
	StoredPath   string
	SHA256       string `gorm:"column:sha256;size:64"`
	Size         int64
	BroadcastID  int64 `gorm:"not null"`
}

func (feedbackRow) TableName() string { return "feedback_deliveries" }

type broadcastRow struct {
	ID           int64  `gorm:"primaryKey"`
	Year         int    `gorm:"not null;index:ix_broadcasts_year,priority:1"`
	Kind         string `gorm:"size:16;not null"`
	UnitKey      string `gorm:"size:64;not null"` // "" for a notice to all units
	Text         string
	OriginalName string
	StoredPath   string
	SentAt       int64  `gorm:"not null;index:ix_broadcasts_year,priority:2"`
	SentBy       string // "by" is an SQL keyword
}

func (broadcastRow) TableName() string { return "broadcasts" }

type ackRow struct {
	ID          int64  `gorm:"primaryKey"`
	BroadcastID int64  `gorm:"not null;uniqueIndex:ux_ack,priority:1"`
	UnitKey     string `gorm:"size:64;not null;uniqueIndex:ux_ack,priority:2"`
	Remark      string
	At          int64         `gorm:"not null"`
	Broadcast   *broadcastRow `gorm:"foreignKey:BroadcastID;constraint:OnDelete:CASCADE"`
}

func (ackRow) TableName() string { return "acks" }

type inboundRow struct {
	ID         int64  `gorm:"primaryKey"`
	Sender     string `gorm:"not null;uniqueIndex:ux_inbound,priority:1"`
	MsgID      string `gorm:"column:msg_id;not null;uniqueIndex:ux_inbound,priority:2"`
	CreateTime int64  `gorm:"not null;uniqueIndex:ux_inbound,priority:3"`
	Kind       string `gorm:"size:16"`
	Text       string
	ReceivedAt int64 `gorm:"not null"`
	Handled    bool  `gorm:"not null;index:ix_inbound_handled"`
}

func (inboundRow) TableName() string { return "inbound" }

type outboxRow struct {
	ID         int64  `gorm:"primaryKey;index:ix_outbox_claim,priority:5"`
	Key        string `gorm:"column:key;size:255;not null;uniqueIndex:ux_outbox_key"`
	Kind       string `gorm:"size:32;not null"`
	ToRemark   string `gorm:"not null;index:ix_outbox_sent,priority:1;index:ix_outbox_turn,priority:1"`
	ToUser     string `gorm:"not null;index:ix_outbox_turn,priority:2"`
	ToGroup    string `gorm:"not null;index:ix_outbox_turn,priority:3"`
	Text       string
	FilePath   string
	FileName   string
	Status     string `gorm:"size:16;not null;index:ix_outbox_lease,priority:1;index:ix_outbox_claim,priority:1;index:ix_outbox_turn,priority:5;index:ix_outbox_pending_replace,priority:2"`
	Attempts   int    `gorm:"not null"`
	NextTry    int64  `gorm:"not null;index:ix_outbox_claim,priority:4"`
	LeaseUntil int64  `gorm:"not null;index:ix_outbox_lease,priority:2"`
	CreatedAt  int64  `gorm:"not null;autoCreateTime:false"`
	SentAt     int64  `gorm:"not null;index:ix_outbox_sent,priority:2"`
	LastError  string
	// Lane (rules.Lane: 0 replies, 1 bulk) and Turn (1 + the turn of the
	// recipient's last unsent row in that lane when queued, 1 if none)
	// order the claim: replies first, within a lane every recipient's
	// first message before anyone's second, and one recipient's messages
	// in the order they were queued. ix_outbox_claim serves that order for
	// the pending rows (it replaces ix_outbox_due on (status, next_try),
	// dropped by migrate so the planner never sorts the queue through it);
	// ix_outbox_turn finds the recipient's last turn in one index seek.
	Lane int `gorm:"not null;default:1;index:ix_outbox_claim,priority:2;index:ix_outbox_turn,priority:4"`
	Turn int `gorm:"not null;default:1;index:ix_outbox_claim,priority:3;index:ix_outbox_turn,priority:6"`
	// Asserts is the JSON of rules.Outgoing.Asserts ("" = none).
	Asserts string `gorm:"not null;default:''"`
	// ix_outbox_pending_replace finds the pending rows a new reply replaces
	// (replaceSQL) without reading the superseded ones, which pile up under
	// the same key: it replaces ix_outbox_replace (replace_key alone),
	// dropped by migrate.
	ReplaceKey string `gorm:"not null;default:'';index:ix_outbox_pending_replace,priority:1,where:replace_key <> ''"`
	// Ref is rules.Outgoing.Ref: a reminder's or digest's number, for the
	// relay's log ("" = none; added by AutoMigrate on older databases).
	Ref string `gorm:"not null;default:''"`
}

func (outboxRow) TableName() string { return "outbox" }

type reminderRow struct {
	ID      int64  `gorm:"primaryKey"`
	Year    int    `gorm:"not null;uniqueIndex:ux_reminder,priority:1"`
	UnitKey string `gorm:"size:64;not null;uniqueIndex:ux_reminder,priority:2"`
	Stage   string `gorm:"size:32;not null;uniqueIndex:ux_reminder,priority:3"`
	Slot    string `gorm:"size:64;not null;uniqueIndex:ux_reminder,priority:4"`
	Kind    string `gorm:"size:16"`
	Missed  bool   `gorm:"not null"`
	At      int64  `gorm:"not null"`
}

func (reminderRow) TableName() string { return "reminders" }

// auditRow is append-only: no method of the Store updates or deletes it.
type auditRow struct {
	ID      int64  `gorm:"primaryKey"`
	At      int64  `gorm:"not null"`
	Actor   string `gorm:"not null"`
	Action  string `gorm:"size:32;not null"`
	Year    int    `gorm:"not null;index:ix_audit_year,priority:1"`
	UnitKey string `gorm:"size:64;not null;index:ix_audit_year,priority:2"`
	Detail  string
}

func (auditRow) TableName() string { return "audit" }

type stateRow struct {
	Key   string `gorm:"column:key;primaryKey;size:255"`
	Value string
}

func (stateRow) TableName() string { return "state" }

type bindingCodeRow struct {
	ID        int64  `gorm:"primaryKey"`
	Hash      string `gorm:"size:128;not null;uniqueIndex:ux_binding_hash"`
	Remark    string `gorm:"not null;index:ix_binding_remark"`
	CreatedAt int64  `gorm:"not null;autoCreateTime:false"`
	UsedAt    int64  `gorm:"not null"`
}

func (bindingCodeRow) TableName() string { return "binding_codes" }

type indicatorRow struct {
	ID         int64  `gorm:"primaryKey"`
	Code       string `gorm:"not null"`
	Level      int    `gorm:"not null"`
	ParentCode string
	Text       string
	Thresholds string // JSON array
	Position   int    `gorm:"not null"` // "order" is an SQL keyword
}

func (indicatorRow) TableName() string { return "indicators" }

// models in creation order: referenced tables before the ones that refer
// to them.
var models = []any{
	&unitRow{}, &officialRow{}, &directorRow{}, &yearRow{}, &rectificationDueRow{},
	&submissionRow{}, &broadcastRow{}, &feedbackRow{}, &ackRow{}, &inboundRow{},
	&outboxRow{}, &reminderRow{}, &auditRow{}, &stateRow{}, &bindingCodeRow{}, &bindingRow{}, &bindFailRow{},
	&indicatorRow{}, &problemRow{}, &problemPlanRow{}, &problemEventRow{},
	&scoreRow{}, &scoreTotalRow{}, &scoreHistoryRow{}, &scorePublicationRow{},
}

// migrate creates or updates the schema. AutoMigrate only adds what is
// missing, so it is safe at every start.
func (s *Store) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	// A database from before the claim lanes gets the lane column with the
	// bulk default; its queued replies and receipts are moved to the reply
	// lane once, right after the column is added.
	laneAdded := db.Migrator().HasTable(&outboxRow{}) && !db.Migrator().HasColumn(&outboxRow{}, "Lane")
	if err := db.AutoMigrate(models...); err != nil {
		return fmt.Errorf("storage: migrate: %w", err)
	}
	for _, ix := range []string{"ix_outbox_due", "ix_outbox_replace"} {
		if err := db.Exec(`DROP INDEX IF EXISTS ` + ix).Error; err != nil {
			return fmt.Errorf("storage: migrate: drop %s: %w", ix, err)
		}
	}
	if laneAdded {
		if err := db.Exec(`UPDATE outbox SET lane = ? WHERE kind IN ('receipt', 'reply')`, int(rules.LaneReply)).Error; err != nil {
			return fmt.Errorf("storage: migrate: outbox lanes: %w", err)
		}
	}
	return nil
}
