package handlers

import (
	"context"
	"fmt"
	"strings"

	"dudaobot/rules"
)

// bindingList is 绑定列表: the contacts acting as a configured person by a
// code, since when and by which code (its id, never the code itself).
func (d *bindings) bindingList(ctx context.Context, r *Request) error {
	bs, err := d.inbox.ActiveBindings(ctx)
	if err != nil {
		return fmt.Errorf("handlers: binding list: %w", err)
	}
	if len(bs) == 0 {
		return d.reply(ctx, r, "目前没有通过绑定码登记的联系人。")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "通过绑定码登记的联系人（%d个）：", len(bs))
	for i, x := range bs {
		fmt.Fprintf(&b, "\n%d. %s：微信昵称“%s”，%s起，绑定码#%d", i+1, d.personLabel(x.Remark), clip(nickOr(x.NickName), 20), fmtTime(x.BoundAt, d.loc), x.CodeID)
	}
	b.WriteString("\n设置备注名后绑定自动结束；如需提前解除，请发送“解绑 备注名”。")
	return d.reply(ctx, r, b.String())
}

// askUnbind is 解绑 <remark or name>: it previews ending a person's code
// bindings and waits for 确认.
func (d *bindings) askUnbind(ctx context.Context, r *Request) error {
	arg := strings.Join(r.Args, "")
	same := func(s string) bool { return s != "" && strings.ReplaceAll(Normalize(s, ""), " ", "") == arg }
	if arg == "" {
		return d.reply(ctx, r, "请按“解绑 备注名”发送，如“解绑 财政-张三”；发送“绑定列表”查看当前绑定。")
	}
	bs, err := d.inbox.ActiveBindings(ctx)
	if err != nil {
		return fmt.Errorf("handlers: unbind: %w", err)
	}
	var match []rules.Binding
	remarks := map[string]bool{}
	for _, b := range bs {
		if same(b.Remark) || same(d.people[b.Remark].Name) {
			match = append(match, b)
			remarks[b.Remark] = true
		}
	}
	switch {
	case len(match) == 0:
		return d.reply(ctx, r, "没有找到“"+clip(arg, 20)+"”的绑定。发送“绑定列表”查看当前绑定。")
	case len(remarks) > 1:
		return d.reply(ctx, r, "“"+clip(arg, 20)+"”对应多人，请按备注名发送，如“解绑 "+match[0].Remark+"”。")
	}
	var lines []string
	for _, b := range match {
		lines = append(lines, fmt.Sprintf("微信昵称“%s”，%s起，绑定码#%d", clip(nickOr(b.NickName), 20), fmtTime(b.BoundAt, d.loc), b.CodeID))
	}
	preview := fmt.Sprintf("即将解除%s的绑定（%s）。解除后该微信号不再代表此人，需重新获取绑定码，或由督导办设置备注名。",
		d.personLabel(match[0].Remark), strings.Join(lines, "；"))
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmUnbind, Text: match[0].Remark}, preview)
}

// unbind ends the confirmed person's code bindings (audited by the store).
func (d *bindings) unbind(ctx context.Context, r *Request, remark string) error {
	ended, err := d.inbox.EndBindings(ctx, remark, rules.BindingEndUnbind, r.ID.Remark, r.At)
	if err != nil {
		return fmt.Errorf("handlers: unbind %s: %w", remark, err)
	}
	d.endSessions(remark)
	if len(ended) == 0 {
		return d.reply(ctx, r, "“"+remark+"”的绑定已结束（已设置备注名或微信重新登录），无需解除。")
	}
	return d.reply(ctx, r, fmt.Sprintf("已解除%s的绑定。", d.personLabel(remark)))
}

// personLabel is 「县财政局 张三（财政-张三）」.
func (d *bindings) personLabel(remark string) string {
	id, ok := d.people[remark]
	if !ok {
		return "“" + remark + "”"
	}
	unit := "督导办"
	if id.UnitKey != "" {
		unit = d.units[id.UnitKey].Name
	}
	return unit + " " + id.Name + "（" + remark + "）"
}

func nickOr(nick string) string {
	if nick == "" {
		return "（无昵称）"
	}
	return nick
}
