package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"dudaobot/rules"
)

// codeAlphabet has no 0/O, 1/I/L: codes are read off paper and typed on
// phones.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	// CodeLength is the characters of a binding code: 31^10 ≈ 8.2e14
	// (about 49 bits). Codes are stored keyed (HashCode), so a copy of
	// the database alone does not let anyone try them offline; online,
	// maxBindFails bounds the guesses.
	CodeLength   = 10
	maxBindFails = 5 // wrong codes per contact per day
	// MinCodeKeyBytes is the shortest server secret HashCode accepts.
	MinCodeKeyBytes = 16
)

// CodeStore is what IssueBindingCodes needs; *storage.Store implements it.
type CodeStore interface {
	SetBindingCode(ctx context.Context, remark, codeHash string) (int64, error)
}

// IssuedCode is one code handed out by `dudaobot codes`.
type IssuedCode struct {
	Code string // shown once, never stored
	ID   int64  // the code's row: 「码#ID」 in 绑定列表
}

// IssueBindingCodes creates one fresh code per official (for `dudaobot
// codes`) and stores only its HMAC under key (the server secret), so the
// database never holds a usable code nor a plain hash one can test guesses
// against. It returns remark → code, to be printed and handed out. rand is
// crypto/rand.Reader in production.
func IssueBindingCodes(ctx context.Context, store CodeStore, key []byte, officials []rules.Official, rand io.Reader) (map[string]IssuedCode, error) {
	if len(key) < MinCodeKeyBytes {
		return nil, fmt.Errorf("handlers: issue codes: server secret of %d bytes, need %d", len(key), MinCodeKeyBytes)
	}
	out := make(map[string]IssuedCode, len(officials))
	for _, o := range officials {
		if o.WeChatRemark == "" {
			continue
		}
		code, err := newCode(rand)
		if err != nil {
			return nil, fmt.Errorf("handlers: issue code %s: %w", o.WeChatRemark, err)
		}
		id, err := store.SetBindingCode(ctx, o.WeChatRemark, HashCode(key, code))
		if err != nil {
			return nil, fmt.Errorf("handlers: issue code %s: %w", o.WeChatRemark, err)
		}
		out[o.WeChatRemark] = IssuedCode{Code: code, ID: id}
	}
	return out, nil
}

// newCode draws CodeLength characters uniformly from codeAlphabet
// (rejection sampling: no modulo bias).
func newCode(rand io.Reader) (string, error) {
	const limit = 256 - 256%len(codeAlphabet)
	b := make([]byte, 0, CodeLength)
	buf := make([]byte, 16)
	for len(b) < CodeLength {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return "", err
		}
		for _, x := range buf {
			if int(x) < limit && len(b) < CodeLength {
				b = append(b, codeAlphabet[int(x)%len(codeAlphabet)])
			}
		}
	}
	return string(b), nil
}

// HashCode is the stored form of a binding code: HMAC-SHA-256 under the
// server secret key, hex, of the code in upper case without spaces or
// dashes, so 「abcde-23456」 typed on a phone still matches.
func HashCode(key []byte, code string) string {
	c := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(Normalize(code, "")))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(c))
	return hex.EncodeToString(m.Sum(nil))
}

// bindings are the contacts who act as a configured person by a one-time
// code (绑定), for as long as this WeChat session lasts: the commands 绑定,
// 绑定列表 and 解绑, and the adapter's session and contact events. The
// bindings table is the truth; sessions mirrors its active rows for lookup.
// The mutex guards sessions only: every store write happens before the map
// is updated, never under the lock, so Accept on the sync goroutine never
// waits for the disk.
type bindings struct {
	*env
	inbox    InboxStore
	confirms *confirmations

	mu       sync.Mutex
	sessions map[string]string // UserName → remark
}

func newBindings(e *env, inbox InboxStore) *bindings {
	return &bindings{env: e, inbox: inbox, sessions: map[string]string{}}
}

// lookup resolves a contact to a configured person: by the remark, or by a
// code binding of this session. NickName never counts.
func (d *bindings) lookup(c rules.Contact) (rules.Identity, bool) {
	if c.Remark != "" {
		if id, ok := d.people[c.Remark]; ok {
			return id, true
		}
	}
	if c.UserName == "" {
		return rules.Identity{}, false
	}
	d.mu.Lock()
	remark, ok := d.sessions[c.UserName]
	d.mu.Unlock()
	if !ok {
		return rules.Identity{}, false
	}
	id, ok := d.people[remark]
	return id, ok
}

// bind is 绑定 <code>: a contact whose remark is not (yet) set proves with a
// one-time code which official they are. The binding lasts until the
// person's remark appears on a contact, a director unbinds it, or the WeChat
// session changes; the directors are told which remark to set.
func (d *bindings) bind(ctx context.Context, r *Request) error {
	if r.ID.Role != rules.RoleStranger {
		return d.reply(ctx, r, "您已登记为“"+r.ID.Remark+"”，无需绑定。")
	}
	code := strings.Join(r.Args, "")
	if code == "" {
		return d.reply(ctx, r, "请按“绑定 绑定码”发送，绑定码由县督导办提供。")
	}
	user := r.In.From.UserName
	failKey := user + "|" + rules.DateOf(r.At, d.loc).String()
	fails, err := d.inbox.BindFailures(ctx, failKey)
	if err != nil {
		return fmt.Errorf("handlers: bind failures: %w", err)
	}
	if fails >= maxBindFails {
		return d.reply(ctx, r, "绑定码错误次数过多，请明天再试，或联系县督导办。")
	}
	b, err := d.inbox.ClaimBindingCode(ctx, HashCode(d.o.CodeKey, code),
		rules.Binding{UserName: user, NickName: r.In.From.NickName, BoundAt: r.At}, d.o.CodeTTL)
	var refusal string
	switch {
	case err == nil:
	case errors.Is(err, rules.ErrCodeExpired):
		refusal = "该绑定码已过期，请联系督导办重新获取。"
	case errors.Is(err, rules.ErrCodeUsed):
		refusal = "该绑定码已使用过，不能再次使用。如需绑定，请联系督导办重新获取。"
	case !isNotFound(err):
		return fmt.Errorf("handlers: claim binding code: %w", err)
	default:
		refusal = "绑定码无效或已使用，请核对后重新发送，或联系县督导办。"
	}
	if refusal != "" {
		if _, err := d.inbox.AddBindFailure(ctx, failKey); err != nil {
			return fmt.Errorf("handlers: count bind failure: %w", err)
		}
		return d.reply(ctx, r, refusal)
	}
	id, known := d.people[b.Remark]
	if !known {
		// A code issued for someone since removed from config.yaml.
		d.log.Warn("binding code for unknown remark", slog.String("remark", b.Remark))
		if _, err := d.inbox.EndBindings(ctx, b.Remark, rules.BindingEndUnbind, "system", r.At); err != nil {
			return fmt.Errorf("handlers: end binding of unknown remark: %w", err)
		}
		return d.reply(ctx, r, "该绑定码对应的联系人已不在登记名单中，请联系县督导办。")
	}
	d.mu.Lock()
	d.sessions[user] = b.Remark
	d.mu.Unlock()
	unitName := "督导办"
	if id.UnitKey != "" {
		unitName = d.units[id.UnitKey].Name
	}
	nick := r.In.From.NickName
	if nick == "" {
		nick = "（无昵称）"
	}
	now := d.clock.Now()
	var outs []rules.Outgoing
	for _, dir := range d.o.Directors {
		outs = append(outs, rules.Outgoing{
			Kind: "alert", Key: "bind:" + b.Remark + ":" + r.In.Key.MsgID + ":" + dir.WeChatRemark,
			To: rules.Recipient{Remark: dir.WeChatRemark}, CreatedAt: now,
			Text: fmt.Sprintf("【绑定】微信昵称为“%s”的联系人已用绑定码登记为%s联系人（%s），本次登录期间有效。为长期有效，请在机器人微信上把该联系人的备注设置为“%s”（须逐字一致）。",
				clip(nick, 20), unitName, id.Name, b.Remark),
		})
	}
	outs = append(outs, d.replyMsg(r, fmt.Sprintf("绑定成功：您已作为%s联系人登记，本次登录期间有效。县督导办将为您设置备注名，之后无需再绑定。发送“帮助”可查看可用的命令。", unitName)))
	if err := d.inbox.Enqueue(ctx, outs...); err != nil {
		return fmt.Errorf("handlers: queue bind notices: %w", err)
	}
	return nil
}

// forget ends every code binding. The adapter calls it (Intake.ForgetSessions)
// when the WeChat session changes, because UserNames do not survive a
// re-login and nothing else a contact shows (its nickname) is a safe
// identity: the person binds again with a new code, or the director sets the
// remark. The rows end first, then the map: the lock is never held across
// the write.
func (d *bindings) forget(ctx context.Context) error {
	if _, err := d.inbox.EndBindings(ctx, "", rules.BindingEndSession, "system", d.clock.Now()); err != nil {
		return fmt.Errorf("handlers: forget code bindings: %w", err)
	}
	d.mu.Lock()
	clear(d.sessions)
	d.mu.Unlock()
	return nil
}

// contactsSeen takes the contact list the adapter fetched (Intake.ContactsSeen). A code binding
// ends once its person's remark is on a contact: from then on the remark
// identifies them, and a second account must not keep acting for them.
// Remarks found are also kept for `dudaobot codes`, which issues codes only
// to people not found.
func (d *bindings) contactsSeen(ctx context.Context, contacts []rules.Contact) error {
	found := map[string]bool{}
	for _, c := range contacts {
		if _, ok := d.people[c.Remark]; ok {
			found[c.Remark] = true
		}
	}
	remarks := make([]string, 0, len(found))
	for _, o := range d.o.Units {
		for _, p := range append(append([]rules.Official(nil), o.Officials...), backupOf(o)...) {
			if found[p.WeChatRemark] {
				remarks = append(remarks, p.WeChatRemark)
			}
		}
	}
	for _, dir := range d.o.Directors {
		if found[dir.WeChatRemark] {
			remarks = append(remarks, dir.WeChatRemark)
		}
	}
	if err := d.putState(ctx, FoundRemarksKey, FoundRemarks{At: d.clock.Now(), Remarks: remarks}); err != nil {
		return err
	}
	ending := map[string]bool{} // a remark bound in two sessions ends once
	d.mu.Lock()
	for _, remark := range d.sessions {
		if found[remark] {
			ending[remark] = true
		}
	}
	d.mu.Unlock()
	for remark := range ending {
		if _, err := d.inbox.EndBindings(ctx, remark, rules.BindingEndRemark, "system", d.clock.Now()); err != nil {
			return fmt.Errorf("handlers: end binding of %s: %w", remark, err)
		}
		d.endSessions(remark)
	}
	return nil
}

// endSessions drops the sessions bound to remark, after its rows ended.
func (d *bindings) endSessions(remark string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for user, rm := range d.sessions {
		if rm == remark {
			delete(d.sessions, user)
		}
	}
}

func backupOf(u rules.Unit) []rules.Official {
	if u.Backup == nil {
		return nil
	}
	return []rules.Official{*u.Backup}
}

// FoundRemarksKey is the state row where ContactsSeen keeps the configured
// remarks last found among the bot's contacts.
const FoundRemarksKey = "handlers.found_remarks"

// FoundRemarks is the value under FoundRemarksKey (JSON).
type FoundRemarks struct {
	At      time.Time `json:"at"`
	Remarks []string  `json:"remarks"`
}

// load restores the active code bindings after a restart: a hot
// login re-enters the same WeChat session, so the UserNames still hold.
func (d *bindings) load(ctx context.Context) error {
	bs, err := d.inbox.ActiveBindings(ctx)
	if err != nil {
		return fmt.Errorf("handlers: load bindings: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, b := range bs {
		if _, known := d.people[b.Remark]; known {
			d.sessions[b.UserName] = b.Remark
		}
	}
	return nil
}
