package rules

import (
	"errors"
	"time"
)

// DefaultCodeTTL is how long a binding code from `dudaobot codes` stays
// usable when binding.code_ttl is not set: long enough to hand codes out by
// paper or phone, short enough that a lost sheet goes stale.
const DefaultCodeTTL = 7 * 24 * time.Hour

var (
	// ErrCodeExpired means a binding code was issued longer ago than its
	// time to live.
	ErrCodeExpired = errors.New("rules: binding code expired")
	// ErrCodeUsed means a binding code was already used once.
	ErrCodeUsed = errors.New("rules: binding code already used")
)

// Ends of a Binding (Binding.EndReason).
const (
	BindingEndRemark  = "remark"  // the person's remark appeared on a contact
	BindingEndUnbind  = "unbind"  // a director ran 解绑
	BindingEndSession = "session" // the WeChat session changed: UserNames are new
)

// Binding is a WeChat contact accepted as a configured person by a one-time
// code, for as long as the WeChat session lasts. UserName is the session's
// handle of the contact, never an identity across sessions.
type Binding struct {
	ID        int64
	Remark    string // the configured person the contact acts as
	UserName  string
	NickName  string // shown to the director only
	CodeID    int64  // the code's row id: shown as 「码#12」, never the code
	BoundAt   time.Time
	EndedAt   time.Time // zero while active
	EndReason string
	EndedBy   string
}

// Active reports whether the binding has not ended.
func (b Binding) Active() bool { return b.EndedAt.IsZero() }
