package handlers

import (
	"context"
	"io"
	"time"

	"dudaobot/rules"
)

// The stores below are the parts of *storage.Store that handlers uses, one
// interface per concern, each declared here where it is used. Every error
// that means "no such row" wraps rules.ErrNotFound.

// InboxStore is what Intake needs: the durable inbox that dedupes inbound
// messages and lets Recover re-run the unhandled ones, the outbox for the
// replies of strangers (who have no inbox row), and the code bindings.
type InboxStore interface {
	RecordInbound(ctx context.Context, k rules.InboundKey, kind rules.MsgKind, text string, at time.Time) (bool, error)
	RecordInboundBatch(ctx context.Context, recs []rules.InboundRecord) ([]bool, error)
	// FinishInbound queues outs and marks the inbox row handled, in one
	// transaction.
	FinishInbound(ctx context.Context, k rules.InboundKey, outs []rules.Outgoing) error
	UnhandledInbound(ctx context.Context) ([]rules.InboundRecord, error)
	Enqueue(ctx context.Context, msgs ...rules.Outgoing) error

	ClaimBindingCode(ctx context.Context, codeHash string, b rules.Binding, ttl time.Duration) (rules.Binding, error)
	ActiveBindings(ctx context.Context) ([]rules.Binding, error)
	EndBindings(ctx context.Context, remark, reason, actor string, at time.Time) ([]rules.Binding, error)
	BindFailures(ctx context.Context, key string) (int, error)
	AddBindFailure(ctx context.Context, key string) (int, error)
}

// SubmissionStore is the year of each unit: the calendar overrides, the
// inspected set and the documents received.
type SubmissionStore interface {
	Calendar(ctx context.Context, year int, loc *time.Location) (rules.Calendar, error)
	SetInspectionEnd(ctx context.Context, year int, d rules.Date, actor string) error
	SetInspected(ctx context.Context, year int, unitKeys []string, actor string) error
	Inspected(ctx context.Context, year int) (rules.Inspected, error)
	SetRectificationDue(ctx context.Context, year int, unitKey string, d rules.Date, actor string) error

	UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error)
	UnitYear(ctx context.Context, year int, unitKey string) (rules.UnitYear, error)
	// UnitNow is Calendar and UnitYear from one read; the calendar is
	// zero when the year has no row.
	UnitNow(ctx context.Context, year int, unitKey string, loc *time.Location) (rules.Calendar, rules.UnitYear, error)
	Submissions(ctx context.Context, year int, unitKey string) ([]rules.Submission, error)
	// AddSubmission, RefileSubmission and WithdrawSubmission commit the row
	// change with the messages outs builds from the saved row.
	AddSubmission(ctx context.Context, sub rules.Submission, actor string,
		outs func(saved rules.Submission) []rules.Outgoing) (rules.Submission, error)
	RefileSubmission(ctx context.Context, id int64, stage rules.Stage, onTime bool, actor string,
		outs func(saved rules.Submission) []rules.Outgoing) (rules.Submission, error)
	WithdrawSubmission(ctx context.Context, id int64, actor string, at time.Time,
		outs func(was rules.Submission) []rules.Outgoing) (rules.Submission, error)
}

// BroadcastStore is what the commands send to other people: notices,
// feedback deliveries and their acknowledgements, reminders, plain outbox
// rows, and the audit trail.
type BroadcastStore interface {
	RecordFeedback(ctx context.Context, f rules.FeedbackDelivery, outs []rules.Outgoing) (rules.FeedbackDelivery, error)
	CreateBroadcast(ctx context.Context, b rules.Broadcast, outs []rules.Outgoing) (rules.Broadcast, error)
	AcknowledgeOpen(ctx context.Context, year int, unitKey, remark string, at time.Time) ([]rules.Broadcast, error)
	Unacknowledged(ctx context.Context, broadcastID int64) ([]string, error)
	Broadcasts(ctx context.Context, year int) ([]rules.Broadcast, error)

	RecordReminder(ctx context.Context, r rules.ReminderRecord, outs []rules.Outgoing) (bool, error)
	Enqueue(ctx context.Context, msgs ...rules.Outgoing) error
	Audit(ctx context.Context, e rules.AuditEntry) error
}

// StateStore keeps small named values: the questions waiting for an answer
// (state.go, confirm.go), report checks, the remarks found among contacts.
type StateStore interface {
	GetState(ctx context.Context, key string) (string, bool, error)
	PutState(ctx context.Context, key, value string) error
	DeleteState(ctx context.Context, key string) error
}

// Files keeps received documents; app adapts the docstore to it. The store
// checks what it keeps (type by content, size, quota, disk reserve, archive
// directories) and refuses with the rules.ErrFile… errors, rules.ErrDiskFull
// or rules.ErrArchiveTooLarge, keeping nothing of a refused file.
type Files interface {
	Put(ctx context.Context, r io.Reader, o PutOptions) (Blob, error)
	PutBytes(ctx context.Context, b []byte, o PutOptions) (Blob, error)
	// Name is a sender's file name as it is stored and shown (unsafe
	// characters dropped, length bounded) and its lower-case extension.
	Name(raw string) (name, ext string)
	// Types lists the extensions the store accepts, in the order a refusal
	// names them.
	Types() []string
	// MaxArchiveEntries is the most entries a document package may list.
	MaxArchiveEntries() int
}

// PutOptions are the limits of one Files.Put.
type PutOptions struct {
	Ext     string // the type the content must match, without dot
	MaxSize int64  // 0: the store's default
	// Quota, when set, refuses content over QuotaLeft bytes
	// (rules.ErrFileQuota).
	Quota     bool
	QuotaLeft int64
}

// Blob is a stored document.
type Blob struct {
	Path   string // relative to the store, as given to the outbox
	SHA256 string
	Size   int64
}

// Ledger writes the year's Excel ledger (the same file as `dudaobot export`).
type Ledger interface {
	WriteLedger(ctx context.Context, year int, w io.Writer) error
}
