package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"dudaobot/rules"
)

// codeAlphabet has no 0/O, 1/I/L: codes are read off paper and typed on
// phones.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	codeLength   = 8 // 31^8 ≈ 8.5e11
	maxBindFails = 5 // wrong codes per contact per day
)

// CodeStore is what IssueBindingCodes needs; *storage.Store implements it.
type CodeStore interface {
	SetBindingCode(ctx context.Context, remark, codeHash string) error
}

// IssueBindingCodes creates one fresh code per official (for `dudaobot
// codes`) and stores only its SHA-256, so the database never holds a usable
// code. It returns remark → code, to be printed and handed out. rand is
// crypto/rand.Reader in production.
func IssueBindingCodes(ctx context.Context, store CodeStore, officials []rules.Official, rand io.Reader) (map[string]string, error) {
	out := make(map[string]string, len(officials))
	for _, o := range officials {
		if o.WeChatRemark == "" {
			continue
		}
		code, err := newCode(rand)
		if err != nil {
			return nil, fmt.Errorf("handlers: issue code %s: %w", o.WeChatRemark, err)
		}
		if err := store.SetBindingCode(ctx, o.WeChatRemark, HashCode(code)); err != nil {
			return nil, fmt.Errorf("handlers: issue code %s: %w", o.WeChatRemark, err)
		}
		out[o.WeChatRemark] = code
	}
	return out, nil
}

// newCode draws codeLength characters uniformly from codeAlphabet
// (rejection sampling: no modulo bias).
func newCode(rand io.Reader) (string, error) {
	const limit = 256 - 256%len(codeAlphabet)
	b := make([]byte, 0, codeLength)
	buf := make([]byte, 16)
	for len(b) < codeLength {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return "", err
		}
		for _, x := range buf {
			if int(x) < limit && len(b) < codeLength {
				b = append(b, codeAlphabet[int(x)%len(codeAlphabet)])
			}
		}
	}
	return string(b), nil
}

// HashCode is the stored form of a binding code: SHA-256 hex of the code in
// upper case without spaces, so 「abcd 2345」 typed on a phone still matches.
func HashCode(code string) string {
	c := strings.ToUpper(strings.ReplaceAll(Normalize(code, ""), " ", ""))
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:])
}

// bind is 绑定 <code>: a contact whose remark is not (yet) set proves with a
// one-time code which official they are. The binding lasts for this session;
// the directors are told which remark to set to make it permanent.
func (d *Dispatcher) bind(ctx context.Context, r *Request) error {
	if r.ID.Role != rules.RoleStranger {
		return d.reply(ctx, r, "您已登记为“"+r.ID.Remark+"”，无需绑定。")
	}
	code := strings.Join(r.Args, "")
	if code == "" {
		return d.reply(ctx, r, "请按“绑定 绑定码”发送，绑定码由县督导办提供。")
	}
	user := r.In.From.UserName
	today := rules.DateOf(d.clock.Now(), d.loc)
	failKey := user + "|" + today.String()
	d.mu.Lock()
	fails := d.bindFails[failKey]
	d.mu.Unlock()
	if fails >= maxBindFails {
		return d.reply(ctx, r, "绑定码错误次数过多，请明天再试，或联系县督导办。")
	}
	remark, err := d.store.ConsumeBindingCode(ctx, HashCode(code))
	switch {
	case err == nil:
	case d.o.ErrNotFound != nil && !d.isNotFound(err):
		return fmt.Errorf("handlers: consume binding code: %w", err)
	default:
		d.mu.Lock()
		if len(d.bindFails) > 10000 {
			clear(d.bindFails)
		}
		d.bindFails[failKey]++
		d.mu.Unlock()
		return d.reply(ctx, r, "绑定码无效或已使用，请核对后重新发送，或联系县督导办。")
	}
	if err := d.Bind(user, remark); err != nil {
		// A code issued for someone since removed from config.yaml.
		d.log.Warn("binding code for unknown remark", "remark", remark)
		return d.reply(ctx, r, "该绑定码对应的联系人已不在登记名单中，请联系县督导办。")
	}
	id := d.people[remark]
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
			Kind: "alert", Key: "bind:" + remark + ":" + r.In.Key.MsgID + ":" + dir.WeChatRemark,
			To: rules.Recipient{Remark: dir.WeChatRemark}, CreatedAt: now,
			Text: fmt.Sprintf("【绑定】微信昵称为“%s”的联系人已用绑定码登记为%s联系人（%s），本次登录期间有效。为长期有效，请在机器人微信上把该联系人的备注设置为“%s”（须逐字一致）。",
				clip(nick, 20), unitName, id.Name, remark),
		})
	}
	outs = append(outs, d.replyMsg(r, fmt.Sprintf("绑定成功：您已作为%s联系人登记，本次登录期间有效。县督导办将为您设置备注名，之后无需再绑定。发送“帮助”可查看可用的命令。", unitName)))
	if err := d.store.Enqueue(ctx, outs...); err != nil {
		return fmt.Errorf("handlers: queue bind notices: %w", err)
	}
	return nil
}
