package rules

import (
	"errors"
	"strings"
)

// The domain's named errors, all in this file, grouped by concern: what the
// adapters return (rows, files), then problem lists and plans, item events
// and scores.

// Errors the adapters return wrapped, so that a caller tells the cases apart
// with errors.Is without importing the adapter: storage maps its own
// failures to ErrNotFound and ErrConflict, the file store to the file
// errors below. The texts are kept short: they are read inside wrapped
// errors, never by users.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule was violated or the row is in a
	// state that does not allow the change.
	ErrConflict = errors.New("conflict")
	// ErrStoreBusy means the database stayed locked by someone else (another
	// process holds its write lock) for longer than the store waits.
	ErrStoreBusy = errors.New("database locked")
	// ErrStoreUnavailable means the database server cannot be reached or
	// refuses connections.
	ErrStoreUnavailable = errors.New("database unreachable")
)

// Refusals of a file by the file store; nothing of the file was kept.
var (
	// ErrFileTooLarge means the content exceeded the size limit.
	ErrFileTooLarge = errors.New("file too large")
	// ErrFileContent means the bytes are not what the extension claims
	// (wrong magic bytes, an HTML error page, invalid UTF-8 text).
	ErrFileContent = errors.New("content does not match file type")
	// ErrFileType means the extension is not an accepted document type.
	ErrFileType = errors.New("file type not accepted")
	// ErrFileQuota means the content exceeded the sender's allowance for
	// the day.
	ErrFileQuota = errors.New("daily quota exceeded")
	// ErrDiskFull means the disk kept less free space than required, or a
	// write failed for want of space.
	ErrDiskFull = errors.New("disk full")
	// ErrArchiveTooLarge means a document package lists more entries than
	// any real document has.
	ErrArchiveTooLarge = errors.New("archive has too many entries")
)

// Errors of problem lists and plans. Each comes wrapped in an *ItemError
// naming the item and the field, whose Chinese() is what the sender reads.
var (
	// ErrNoProblems: a problem list (or plan) with no numbered item.
	ErrNoProblems = errors.New("rules: no numbered items")
	// ErrDuplicateItem: the same item number twice in one list or plan.
	ErrDuplicateItem = errors.New("rules: duplicate item number")
	// ErrUnknownItem: an item number the unit's list does not have.
	ErrUnknownItem = errors.New("rules: unknown item number")
	// ErrEmptyItem: a numbered line with nothing after the number.
	ErrEmptyItem = errors.New("rules: empty item")
	// ErrUnnumbered: text before the first numbered line.
	ErrUnnumbered = errors.New("rules: text before the first numbered item")
	// ErrMissingField: a plan item without a measure or a date.
	ErrMissingField = errors.New("rules: missing field")
	// ErrBadDate: a date that cannot be read.
	ErrBadDate = errors.New("rules: bad date")
	// ErrDateOutOfRange: a plan date outside the cycle's years (PlanRange).
	ErrDateOutOfRange = errors.New("rules: date out of range")
)

// Errors of item events (CheckProblemEvent).
var (
	// ErrProblemClosed: the item was verified closed; nothing but a visit
	// may follow.
	ErrProblemClosed = errors.New("rules: item already closed")
	// ErrNotReported: 退回 returns a report; the item has none pending.
	ErrNotReported = errors.New("rules: item not reported done")
	// ErrNoNewDate: 退回 and 延期 need the item's new date.
	ErrNoNewDate = errors.New("rules: new date missing")
	// ErrNoPlan: an item without a planned date cannot be extended.
	ErrNoPlan = errors.New("rules: item has no planned date")
	// ErrUnknownEvent: not a ProblemEventKind.
	ErrUnknownEvent = errors.New("rules: unknown item event")
)

// Errors of ParsePoints. The sheet parser turns them into cell-named
// Chinese messages.
var (
	ErrScoreNotNumber   = errors.New("rules: score is not a number")
	ErrScoreNegative    = errors.New("rules: score is negative")
	ErrScoreTooPrecise  = errors.New("rules: score has more than two decimals")
	ErrScoreOverMax     = errors.New("rules: score is over the indicator's max points")
	ErrScoreNotApplied  = errors.New("rules: indicator does not apply to the unit")
	ErrScoreUnknownCode = errors.New("rules: unknown indicator")
)

// ListText is the text of a list of errors (ItemErrors, a sheet's cell
// errors), "; " between them.
func ListText[E error](es []E) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// ListUnwrap is a list of errors as the []error an Unwrap method returns,
// so that errors.Is and errors.As see each one.
func ListUnwrap[E error](es []E) []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
