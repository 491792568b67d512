package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"dudaobot/rules"
)

// ReportReader reads a stored document's text for the report check; app
// wires the extract package behind it. unread is "" when the text was read,
// else a few Chinese words saying why not (格式暂不支持, 读取超时 …).
type ReportReader interface {
	ReadReport(ctx context.Context, path, ext string) (text string, pages int, unread string)
}

// DefaultReportCheckBudget is how long a receipt may wait for the report
// check; a slower check follows the receipt as its own short message.
const DefaultReportCheckBudget = 2 * time.Second

// reportChecks run the content checks of self-assessment reports beside
// their receipts; wg counts the checks and follow-ups still running.
type reportChecks struct {
	*env
	wg sync.WaitGroup
}

// pendingCheck is a report check running beside the submission.
type pendingCheck struct {
	done  chan rules.ReportCheck
	check rules.ReportCheck // valid once done was received from
}

// startReportCheck starts reading a self-assessment report in the
// background; nil when there is nothing to check. It runs detached from
// the message's context (the follow-up outlives the handler), bounded by
// the reader's own deadline.
func (d *reportChecks) startReportCheck(ctx context.Context, unit rules.Unit, doc stored) *pendingCheck {
	if d.o.Reports == nil || doc.Path == "" {
		return nil
	}
	p := &pendingCheck{done: make(chan rules.ReportCheck, 1)}
	ctx = context.WithoutCancel(ctx)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_, ext := d.files.Name(doc.Path)
		text, pages, unread := d.o.Reports.ReadReport(ctx, doc.Path, ext)
		if unread != "" {
			p.done <- rules.UnreadReport(unread)
			return
		}
		p.done <- rules.CheckReport(text, pages, unit, d.o.Units, d.checkedIndicators(unit.Key), d.year)
	}()
	return p
}

// checkedIndicators are the indicators the unit's report is checked
// against: the scoring config's unit → indicator map when it names the
// unit (scoring.unit_indicators), else all.
func (d *reportChecks) checkedIndicators(unitKey string) []rules.Indicator {
	if d.o.Scoring == nil {
		return d.o.Indicators
	}
	return d.o.Scoring.CheckedIndicators(unitKey, d.o.Indicators)
}

// wait gives the check until the budget runs out: true when it finished.
func (p *pendingCheck) wait(budget time.Duration) bool {
	if p == nil {
		return false
	}
	if budget < 0 {
		return false
	}
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case p.check = <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// finishReportCheck stores the check of the saved submission (when it is
// the unit's latest version) and, when the receipt went without it, sends
// the line as a second short message once the check is done.
func (d *reportChecks) finishReportCheck(ctx context.Context, r *Request, p *pendingCheck, inReceipt bool, saved rules.Submission) {
	if p == nil || saved.ID == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	to := d.replyTo(r)
	finish := func(c rules.ReportCheck) {
		if err := d.saveReportCheck(ctx, saved, c); err != nil {
			d.log.Error("report check not saved", slog.Int64("submission", saved.ID), slog.Any("err", err))
		}
		if inReceipt {
			return
		}
		out := rules.Outgoing{
			Kind: "reply", Key: fmt.Sprintf("reportcheck:%d", saved.ID), To: to,
			Text: fmt.Sprintf("回执号 R-%d %s", saved.ID, c.Line()), CreatedAt: d.clock.Now(),
		}
		if err := d.store.Enqueue(ctx, out); err != nil {
			d.log.Error("report check reply not queued", slog.Int64("submission", saved.ID), slog.Any("err", err))
		}
	}
	if inReceipt {
		finish(p.check)
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		finish(<-p.done)
	}()
}

// saveReportCheck keeps the check if saved is the unit's latest version of
// its self-assessment report: a slow check of version 1 never overwrites
// the check of version 2.
func (d *reportChecks) saveReportCheck(ctx context.Context, saved rules.Submission, c rules.ReportCheck) error {
	key := rules.ReportCheckKey(saved.Year, saved.UnitKey)
	var prev rules.SavedReportCheck
	ok, err := d.getState(ctx, key, &prev)
	if err != nil {
		return err
	}
	if ok && prev.Version > saved.Version {
		return nil
	}
	v, err := rules.SavedReportCheck{SubmissionID: saved.ID, Version: saved.Version, Check: c}.Encode()
	if err != nil {
		return fmt.Errorf("handlers: %w", err)
	}
	if err := d.store.PutState(ctx, key, v); err != nil {
		return fmt.Errorf("handlers: save report check: %w", err)
	}
	return nil
}

// latestReportCheck is the check of the unit's latest self-assessment
// report; ok is false when none was checked.
func (d *reportChecks) latestReportCheck(ctx context.Context, unitKey string) (rules.SavedReportCheck, bool, error) {
	var s rules.SavedReportCheck
	ok, err := d.getState(ctx, rules.ReportCheckKey(d.year, unitKey), &s)
	return s, ok, err
}

// WaitReportChecks waits for the report checks still running (tests, and
// a clean stop).
func (d *Conversations) WaitReportChecks() { d.checks.wg.Wait() }

// checkDetail is 检查详情 [单位]: the full content check of the unit's
// latest self-assessment report. Officials see their own unit only.
func (d *reportChecks) checkDetail(ctx context.Context, r *Request) error {
	name := strings.Join(r.Args, "")
	var unit rules.Unit
	switch {
	case r.ID.Role != rules.RoleDirector:
		unit = d.units[r.ID.UnitKey]
		if name != "" {
			if m := MatchUnit(d.o.Units, name); len(m) != 1 || m[0].Key != unit.Key {
				return userErr(ErrForbidden, "您只能查看本单位（"+unit.Name+"）的检查详情。发送“检查详情”即可。")
			}
		}
	case name == "":
		return userErr(ErrBadInput, "请在“检查详情”后写单位名称，如“检查详情 财政局”。")
	default:
		u, err := d.resolveUnit(name)
		if err != nil {
			return err
		}
		unit = u
	}
	sc, ok, err := d.latestReportCheck(ctx, unit.Key)
	if err != nil {
		return err
	}
	if !ok {
		return d.reply(ctx, r, unit.Name+"的自查自评报告尚未收到或尚未检查。")
	}
	return d.reply(ctx, r, fmt.Sprintf("%s自查自评报告（第%d版，回执号 R-%d）内容检查详情：\n%s\n说明：检查仅供参考，不影响报送。",
		unit.Name, sc.Version, sc.SubmissionID, sc.Check.Detail()))
}
