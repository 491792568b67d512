package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"dudaobot/rules"
)

// VisitStore records the office's follow-up visits (跟踪检查);
// *storage.Store implements it. The visit is an event of every item of the
// unit not yet closed, committed with its audit row and the messages outs
// builds; no open item is rules.ErrNotFound.
type VisitStore interface {
	RecordVisit(ctx context.Context, year int, unitKey string, e rules.ProblemEvent, outs func([]rules.Problem) []rules.Outgoing) ([]rules.Problem, error)
}

// visit is 跟踪检查 <单位> [日期] [情况]: the director records a follow-up
// visit to a unit (today when no date is given), with a file the director
// sent just before (held, as for 反馈) as its record.
func (d *problems) visit(ctx context.Context, r *Request) error {
	if err := d.enabled(); err != nil {
		return err
	}
	vs, ok := d.o.Problems.(VisitStore)
	if !ok {
		return userErr(ErrBadInput, "跟踪检查功能暂未启用，请联系管理员。")
	}
	if len(r.Args) == 0 {
		return userErr(ErrBadInput, "请写明单位，可加检查日期和情况，如“跟踪检查 财政 5月20日 台账已补齐，隐患整改过半”。")
	}
	unit, err := d.resolveUnit(r.Args[0])
	if err != nil {
		return err
	}
	today := rules.DateOf(d.clock.Now(), d.loc)
	date, notes := today, r.Args[1:]
	if len(notes) > 0 {
		if dt, err := ParseDate(notes[0], d.dateYear(), today); err == nil {
			date, notes = dt, notes[1:]
		}
	}
	if date.After(today) {
		return userErr(ErrBadInput, "检查日期"+date.Chinese()+"晚于今天，请写实际检查的日期，如“跟踪检查 "+unit.ShortName()+" "+today.Chinese()+"”。")
	}
	e := rules.ProblemEvent{Kind: rules.EventVisit, At: r.At, Actor: r.ID.Name, Date: date, Reason: strings.Join(notes, " ")}
	held, hasFile, err := d.takeHeld(ctx, r)
	if err != nil {
		return err
	}
	if hasFile {
		f := held.File
		e.Evidence = []rules.Evidence{{Name: f.Name, StoredPath: f.Path, SHA256: f.SHA256, Size: f.Size}}
	}
	_, err = vs.RecordVisit(ctx, d.year, unit.Key, e, func(ps []rules.Problem) []rules.Outgoing {
		return []rules.Outgoing{d.replyMsg(r, visitReply(unit, e, ps))}
	})
	if isNotFound(err) {
		return userErr(ErrBadInput, unit.Name+"没有未销号的整改事项，跟踪检查未登记。")
	}
	if err != nil {
		return fmt.Errorf("handlers: record visit unit=%s: %w", unit.Key, err)
	}
	return nil
}

// visitReply is the director's answer: the date, the open items visited,
// the notes and the file kept with it.
func visitReply(unit rules.Unit, e rules.ProblemEvent, ps []rules.Problem) string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "已登记%s对%s的跟踪检查，涉及未销号整改事项%d项：%s。", e.Date.Chinese(), unit.Name, len(ps), strings.Join(ids, "、"))
	if e.Reason != "" {
		b.WriteString("\n检查情况：" + clip(e.Reason, 60))
	}
	for _, ev := range e.Evidence {
		b.WriteString("\n检查记录：《" + ev.Name + "》")
	}
	b.WriteString("\n发送“查询 " + unit.ShortName() + "”或“整改台账”可查看。")
	return b.String()
}

// visitLines lists the unit's follow-up visits for 查询, newest last: one
// visit is one event on each item it saw, so they are told apart by time.
func visitLines(ps []rules.Problem) string {
	type visit struct {
		e     rules.ProblemEvent
		items int
	}
	var vs []*visit
	seen := map[string]*visit{}
	for _, p := range ps {
		for _, e := range p.Events {
			if e.Kind != rules.EventVisit {
				continue
			}
			k := e.At.String() + "|" + e.Date.String() + "|" + e.Reason
			if v, ok := seen[k]; ok {
				v.items++
				continue
			}
			seen[k] = &visit{e: e, items: 1}
			vs = append(vs, seen[k])
		}
	}
	if len(vs) == 0 {
		return ""
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].e.At.Before(vs[j].e.At) })
	var b strings.Builder
	fmt.Fprintf(&b, "跟踪检查（%d次）：", len(vs))
	for _, v := range vs {
		fmt.Fprintf(&b, "\n%s，%s，涉及%d项", v.e.Date.Chinese(), v.e.Actor, v.items)
		if v.e.Reason != "" {
			b.WriteString("：" + clip(v.e.Reason, 40))
		}
		for _, ev := range v.e.Evidence {
			b.WriteString("（附《" + ev.Name + "》）")
		}
	}
	return b.String()
}
