package rules

import "errors"

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
