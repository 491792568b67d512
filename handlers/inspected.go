package handlers

import (
	"context"
	"fmt"
	"strings"

	"dudaobot/rules"
)

// inspected is 受检单位 [单位 …]. Alone it lists this year's set. With
// names it resolves each one (unknown or ambiguous names are refused by
// name, and so are units whose config says they are never inspected),
// then shows a preview; the set is stored only after 「确认」. Feedback and
// rectification apply only to the inspected units.
func (d *director) inspected(ctx context.Context, r *Request) error {
	if len(r.Args) == 0 {
		return d.listInspected(ctx, r)
	}
	chosen := map[string]bool{}
	var unknown, ambiguous, excluded []string
	for _, name := range r.Args {
		m := MatchUnit(d.o.Units, name)
		switch {
		case len(m) == 0:
			unknown = append(unknown, "“"+clip(name, 20)+"”")
		case len(m) > 1:
			ambiguous = append(ambiguous, "“"+clip(name, 20)+"”（可能是"+unitNames(m)+"）")
		case !rules.StageApplies(m[0], rules.Inspected{}, rules.StageFeedback):
			excluded = append(excluded, m[0].Name)
		default:
			chosen[m[0].Key] = true
		}
	}
	var problems []string
	if len(unknown) > 0 {
		problems = append(problems, "没有找到这些单位："+strings.Join(unknown, "、")+"。请使用单位全称或常用简称，如“财政局”。")
	}
	if len(ambiguous) > 0 {
		problems = append(problems, "以下名称对应多个单位，请写得更具体一些："+strings.Join(ambiguous, "；")+"。")
	}
	if len(excluded) > 0 {
		problems = append(problems, "按配置文件，"+strings.Join(excluded, "、")+"不接受实地督导，不能列为受检单位。")
	}
	if len(problems) > 0 {
		return userErr(ErrBadInput, strings.Join(problems, "\n")+"\n受检单位尚未登记，请改正后重新发送。")
	}
	var in, out []rules.Unit
	p := pendingConfirm{Kind: confirmInspected}
	for _, u := range d.o.Units {
		switch {
		case chosen[u.Key]:
			in = append(in, u)
			p.Units = append(p.Units, u.Key)
		case rules.StageApplies(u, rules.Inspected{}, rules.StageFeedback):
			out = append(out, u)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "将把以下%d个单位登记为%d年受检单位：%s。", len(in), d.year, unitNames(in))
	if len(out) > 0 {
		fmt.Fprintf(&b, "\n其余%d个单位今年不受检，书面反馈意见和整改均为“不适用”，不再提醒：%s。", len(out), unitNames(out))
	}
	// A unit left out that already had its feedback would silently stop
	// owing its plan: say so before 确认.
	if len(out) > 0 {
		uys, err := d.store.UnitYears(ctx, d.year)
		if err != nil {
			return fmt.Errorf("handlers: unit years: %w", err)
		}
		delivered := map[string]bool{}
		for _, uy := range uys {
			delivered[uy.UnitKey] = !uy.FeedbackAt.IsZero()
		}
		var had []rules.Unit
		for _, u := range out {
			if delivered[u.Key] {
				had = append(had, u)
			}
		}
		if len(had) > 0 {
			fmt.Fprintf(&b, "\n注意：已向%s送达书面反馈意见，未列入后其整改方案不再要求、不再提醒。", unitNames(had))
		}
	}
	return d.confirms.ask(ctx, r, p, b.String())
}

// listInspected answers 受检单位 alone.
func (d *director) listInspected(ctx context.Context, r *Request) error {
	set, err := d.store.Inspected(ctx, d.year)
	if err != nil {
		return fmt.Errorf("handlers: inspected %d: %w", d.year, err)
	}
	if !set.Marked {
		return d.reply(ctx, r, fmt.Sprintf("%d年尚未登记受检单位，目前参加评价的单位都按受检对待。"+
			"登记请发送“受检单位 单位1 单位2 ……”，如“受检单位 财政 教科”。", d.year))
	}
	var in, out []rules.Unit
	for _, u := range d.o.Units {
		switch {
		case set.Has(u.Key) && rules.StageApplies(u, set, rules.StageFeedback):
			in = append(in, u)
		case rules.StageApplies(u, rules.Inspected{}, rules.StageFeedback):
			out = append(out, u)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d年受检单位（%d个）：%s。", d.year, len(in), unitNames(in))
	if len(out) > 0 {
		fmt.Fprintf(&b, "\n未受检（%d个，书面反馈意见和整改不适用）：%s。", len(out), unitNames(out))
	}
	b.WriteString("\n如需更改，请重新发送“受检单位 单位1 单位2 ……”。")
	return d.reply(ctx, r, b.String())
}

// setInspected stores a confirmed 受检单位 set (audited).
func (d *director) setInspected(ctx context.Context, r *Request, keys []string) error {
	if err := d.store.SetInspected(ctx, d.year, keys, r.ID.Remark); err != nil {
		if isNotFound(err) {
			return userErr(ErrBadInput, "名单中有单位已不在名册中，受检单位未登记。请重新发送“受检单位 ……”。")
		}
		return fmt.Errorf("handlers: set inspected: %w", err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, d.unitName(k))
	}
	return d.reply(ctx, r, fmt.Sprintf("已登记%d年受检单位%d个：%s。未列入的单位，书面反馈意见和整改显示“不适用”，不再提醒。",
		d.year, len(keys), strings.Join(names, "、")))
}

// requireFeedbackApplies refuses 反馈 to a unit that is not inspected this
// year (or never is, by config): nothing is owed to it.
func (d *env) requireFeedbackApplies(ctx context.Context, unit rules.Unit) error {
	uy, err := d.store.UnitYear(ctx, d.year, unit.Key)
	if err != nil {
		return fmt.Errorf("handlers: unit year %s: %w", unit.Key, err)
	}
	if uy.Applies(rules.StageFeedback) {
		return nil
	}
	if !rules.StageApplies(unit, rules.Inspected{}, rules.StageFeedback) {
		return userErr(ErrBadInput, unit.Name+"按配置不接受实地督导，书面反馈意见不适用，未送达。")
	}
	return userErr(ErrBadInput, unit.Name+"不在今年的受检单位名单中，书面反馈意见不适用，未送达。"+
		"如该单位已受检，请先发送“受检单位 ……”把它列入。")
}
