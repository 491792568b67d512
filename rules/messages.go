package rules

import (
	"context"
	"io"
	"time"
)

// MsgKind is the kind of an inbound chat message.
type MsgKind string

const (
	MsgText  MsgKind = "text"
	MsgFile  MsgKind = "file"  // app message type 6 (attachment)
	MsgImage MsgKind = "image" // picture; may be a photo of a document
	MsgOther MsgKind = "other" // voice, video, sticker, link, card…: politely refused
)

// InboundKey identifies an inbound message for deduplication. MsgId alone
// has been seen to collide, so the sender and CreateTime are part of it.
type InboundKey struct {
	Sender     string // remark name (identity), never the per-session UserName
	MsgID      string
	CreateTime int64 // unix seconds, as WeChat sends it
}

// Contact is a chat peer as the transport sees it this session.
type Contact struct {
	Remark   string // 备注 set by the office: the identity key
	NickName string // chosen by the contact: never authorises anything
	UserName string // per-session handle (@…): only for replying in this session
}

// InboundFile is an attachment that has not been downloaded yet.
type InboundFile struct {
	Name string // sender's original file name (untrusted)
	Size int64  // size announced by WeChat (a hint; the stream may lie)
	// Open streams the content. The caller must Close it.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Inbound is one message from a person to the bot, transport-neutral.
type Inbound struct {
	Key        InboundKey
	From       Contact
	Group      string // group name when sent in a group chat, else ""
	Kind       MsgKind
	Text       string // text messages: the content, HTML-unescaped
	File       *InboundFile
	ReceivedAt time.Time
}

// Recipient says where an outgoing message goes.
type Recipient struct {
	Remark   string // a configured person, resolved to a contact at send time
	UserName string // a session handle (strangers, code-bound contacts); dies with the session
	Group    string // a group chat by name
}

// OutboxStatus is an outgoing message's delivery state.
type OutboxStatus string

const (
	OutboxPending OutboxStatus = "pending"
	OutboxSending OutboxStatus = "sending" // claimed by the sender, under a lease
	OutboxSent    OutboxStatus = "sent"
	OutboxDead    OutboxStatus = "dead" // gave up; the director is told
	// OutboxSuperseded is never sent: what it asserted stopped being true
	// before its turn (the unit submitted, acknowledged…), or a newer
	// reply of the same kind to the same person replaced it.
	OutboxSuperseded OutboxStatus = "superseded"
)

// Obligation is one thing a bulk message asserts is still owed, stored
// with it so the relay can re-check it just before the send:
//   - a unit stage (self-assessment, plan, completion): UnitKey still owes it;
//   - StageFeedback: the office still owes UnitKey its written feedback;
//   - StageAck: UnitKey has not acknowledged (收到) broadcast Broadcast.
type Obligation struct {
	Year      int    `json:"y"`
	UnitKey   string `json:"u"`
	Stage     Stage  `json:"s"`
	Broadcast int64  `json:"b,omitempty"`
}

// Lane is a claim priority of the outbox: the reply lane goes first.
type Lane int

const (
	// LaneReply: answers to someone who wrote (receipts, replies,
	// confirmations and refusals all use kind "reply" or "receipt"), and
	// the system alerts to the directors (kind "alert": a failure to act
	// on — a dead message, missed slots, the bot back online; rare, and
	// like the daily cap's exemption they must get through). Recipients
	// take turns within the lane, so alerts never starve a receipt.
	LaneReply Lane = 0
	// LaneBulk: everything else the bot sends on its own initiative —
	// reminders, 催办, broadcasts, feedback, digests, escalation lists.
	LaneBulk Lane = 1
)

// LaneOf is the lane of a message kind.
func LaneOf(kind string) Lane {
	switch kind {
	case "receipt", "reply", "alert":
		return LaneReply
	}
	return LaneBulk
}

// IsAnswer reports whether a kind answers someone who wrote (a receipt or
// a reply): only those, queued within ReplyFresh, go out in quiet hours.
func IsAnswer(kind string) bool { return kind == "receipt" || kind == "reply" }

// ReplyFresh is how long after it was queued a reply still answers someone
// who just wrote: such a reply is sent even in quiet hours.
const ReplyFresh = 10 * time.Minute

// Outgoing is one message in the persistent outbox. Every message the bot
// sends goes through it, so a crash never loses a receipt or a reminder.
type Outgoing struct {
	ID  int64
	Key string // idempotency key, unique: "receipt:<id>", "reminder:<year>:<unit>:<stage>:<slot>:<remark>"…
	// Kind: receipt, reply, reminder, broadcast, feedback, digest, alert.
	Kind      string
	To        Recipient
	Text      string
	FilePath  string // file to send, relative to files_dir ("" for text)
	FileName  string // the name the recipient sees (original Chinese name)
	Status    OutboxStatus
	Attempts  int
	NextTry   time.Time
	CreatedAt time.Time
	SentAt    time.Time
	LastError string
	// Asserts lists what the message says is still owed (reminders, 催办,
	// acknowledgement reminders). The relay re-checks it before the send:
	// a message none of whose obligations still holds is superseded, one
	// where only some hold is rebuilt for those (see RecheckReminder).
	Asserts []Obligation
	// ReplaceKey, when set, makes a newer message with the same key
	// supersede an older one still pending (one queued 状态 answer per
	// person). Never set on receipts: nothing stored is lost.
	ReplaceKey string
	// Ref is the message's reference for the logs: a reminder's
	// ReminderNumber (TX-…), a digest's Digest.Number (RB-…); "" for the
	// rest. It is kept on the outbox row and logged by the relay, never
	// written into Text: officials and the director read no internal codes.
	Ref string
}

// Rechecked reports whether the relay must re-check the message at send
// time: it asserts obligations, or it is a digest (a snapshot re-rendered
// when it goes out).
func (m Outgoing) Rechecked() bool { return len(m.Asserts) > 0 || m.Kind == "digest" }

// AuditEntry is one row of the append-only audit trail: every state change,
// who did it and when.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // remark name of the person, or "system"/"scheduler"/"cli"
	Action  string // submission, feedback, inspection_end, rectification_due, broadcast, ack, bind, remind…
	Year    int
	UnitKey string
	Detail  string
}

// Broadcast is a notice the office sent to all units (下发) or a feedback
// delivery to one unit; units acknowledge with 收到.
type Broadcast struct {
	ID           int64
	Year         int
	Kind         string // "broadcast" or "feedback"
	UnitKey      string // feedback: the unit; broadcast: ""
	Text         string
	OriginalName string
	StoredPath   string
	SentAt       time.Time
	By           string
}

// Indicator is one entry of the Annex 2 indicator system (6 first-level, 15
// second-level, 30 third-level indicators).
type Indicator struct {
	Code       string // "一", "（一）", "1"
	Level      int    // 1, 2 or 3
	ParentCode string
	Text       string // title (levels 1–2) or full text (level 3)
	Thresholds []string
	// Keywords are the terms a report that covers this third-level
	// indicator uses (see rules.CheckReport).
	Keywords []string
	Order    int
}

// InboundRecord is a stored inbound message (known senders only).
type InboundRecord struct {
	Key        InboundKey
	Kind       MsgKind
	Text       string
	ReceivedAt time.Time
	Handled    bool
}

// ReminderRecord is one reminder slot that was planned: sent (its outbox rows
// were written in the same transaction) or recorded as missed. The key
// (Year, UnitKey, Stage, Slot) is unique, which is what makes reminders
// exactly-once across overlapping sweeps, restarts and crashes.
type ReminderRecord struct {
	Year    int
	UnitKey string // "" for the office's own obligations (feedback to all units)
	Stage   Stage
	Slot    string // e.g. "2027-02-22@10:00" or "ack:17"
	Kind    string // "before", "due", "overdue", "escalate", "catchup", "ack", "office"
	Missed  bool   // fell due while the bot was down, beyond the grace window
	At      time.Time
}
