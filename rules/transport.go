package rules

import "errors"

// Transport errors: why a message could not be delivered to WeChat. The
// WeChat adapter (bot) returns them wrapped around the cause; the outbox
// relay recognises them with errors.Is to decide how to retry and what to
// tell the director. They live here so neither side imports the other.
var (
	// ErrOffline: no WeChat session (not logged in, or the session died
	// mid-send).
	ErrOffline = errors.New("wechat: not logged in")
	// ErrTooOften: WeChat refused the send as too frequent (Ret 1205,
	// 操作太频繁); the pace is too fast for this account.
	ErrTooOften = errors.New("wechat refused: operating too often (ret 1205)")
	// ErrNoRecipient: the recipient's remark or group name matches no
	// contact of the bot's account.
	ErrNoRecipient = errors.New("wechat: recipient not among the contacts")
	// ErrAmbiguousRecipient: the recipient's remark or group name matches
	// several contacts.
	ErrAmbiguousRecipient = errors.New("wechat: recipient matches several contacts")
)
