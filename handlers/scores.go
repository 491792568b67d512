package handlers

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"dudaobot/rules"
)

// ScoreStore is what the score commands read: the results aggregate, each
// unit's cells, whether the year is published, and the problem items whose
// overdue ones feed the 结果清单.
type ScoreStore interface {
	ScoreSums(ctx context.Context, year int) ([]rules.SourceSum, error)
	Scores(ctx context.Context, year int, unitKey string) ([]rules.Score, error)
	ScoresPublished(ctx context.Context, year int) (time.Time, bool, error)
	// PublishScores marks the year published and queues outs in one
	// transaction.
	PublishScores(ctx context.Context, year int, actor string, outs []rules.Outgoing) (time.Time, error)
	// SaveScores stores a confirmed sheet's cells (each replaces that
	// cell's value; the history keeps every value) and queues outs, in one
	// transaction.
	SaveScores(ctx context.Context, year int, scores []rules.Score, actor string, outs []rules.Outgoing) (int, error)
	Problems(ctx context.Context, year int, unitKey string) ([]rules.Problem, error)
}

// scores are 成绩, 结果清单 and 发布成绩.
type scores struct {
	*env
	confirms *confirmations
}

func (d *scores) enabled() error {
	if d.o.Scores == nil || d.o.Scoring == nil {
		return userErr(ErrBadInput, "评分功能暂未启用，请联系管理员。")
	}
	return nil
}

// report is the year's results at now (rules.BuildScoreReport); with
// scoring not configured, the user error that says so.
func (d *scores) report(ctx context.Context) (rules.ScoreReport, error) {
	if err := d.enabled(); err != nil {
		return rules.ScoreReport{}, err
	}
	sums, err := d.o.Scores.ScoreSums(ctx, d.year)
	if err != nil {
		return rules.ScoreReport{}, fmt.Errorf("handlers: score sums: %w", err)
	}
	in, err := d.store.Inspected(ctx, d.year)
	if err != nil && !isNotFound(err) {
		return rules.ScoreReport{}, fmt.Errorf("handlers: inspected: %w", err)
	}
	cal, err := d.calendar(ctx)
	if err != nil {
		return rules.ScoreReport{}, err
	}
	uys, err := d.store.UnitYears(ctx, d.year)
	if err != nil {
		return rules.ScoreReport{}, fmt.Errorf("handlers: unit years: %w", err)
	}
	ps, err := d.o.Scores.Problems(ctx, d.year, "")
	if err != nil {
		return rules.ScoreReport{}, fmt.Errorf("handlers: problems: %w", err)
	}
	now := d.clock.Now()
	stages := make(map[string][]rules.StageStatus, len(uys))
	for _, uy := range uys {
		stages[uy.UnitKey] = rules.UnitStatus(cal, uy, now)
	}
	return rules.BuildScoreReport(rules.ScoreReportInput{
		Model: *d.o.Scoring, Units: d.o.Units, Inspected: in, Sums: sums, Stages: stages,
		Overdue: rules.OverdueItems(ps, cal, now),
	}), nil
}

// scores is 成绩 [单位]: the director sees every unit, or one unit per
// indicator; an official sees their own unit once the results are
// published (发布成绩), and nothing of any other unit.
func (d *scores) scores(ctx context.Context, r *Request) error {
	if err := d.enabled(); err != nil {
		return err
	}
	if r.ID.Role != rules.RoleDirector {
		if len(r.Args) > 0 {
			if u, err := d.resolveUnit(strings.Join(r.Args, "")); err != nil || u.Key != r.ID.UnitKey {
				return userErr(ErrForbidden, "您只能查看本单位的成绩。")
			}
		}
		_, published, err := d.o.Scores.ScoresPublished(ctx, d.year)
		if err != nil {
			return fmt.Errorf("handlers: scores published: %w", err)
		}
		if !published {
			return d.reply(ctx, r, fmt.Sprintf("%d年评价成绩尚未发布，发布后我会第一时间通知您。", d.year))
		}
		return d.unitScores(ctx, r, d.units[r.ID.UnitKey])
	}
	if len(r.Args) > 0 {
		u, err := d.resolveUnit(strings.Join(r.Args, ""))
		if err != nil {
			return err
		}
		return d.unitScores(ctx, r, u)
	}
	rep, err := d.report(ctx)
	if err != nil {
		return err
	}
	text, summary := d.scoresText(rep)
	return d.replyLong(ctx, r, text, summary, d.scoresFile(ctx, rep, "完整名单见附件“评分汇总”；查看单项：成绩 单位名"))
}

// scoresFile is the results as a workbook (评分汇总, 结果运用): the file
// 成绩 and 结果清单 send when they do not fit on a phone screen. The
// cells are read when the file is written, the same moment as rep.
func (d *scores) scoresFile(ctx context.Context, rep rules.ScoreReport, note string) longFile {
	f := longFile{what: "scores workbook", name: fmt.Sprintf("%d年评价成绩.xlsx", d.year), ext: "xlsx", note: note}
	if d.o.ScoreSheets == nil {
		return f
	}
	f.write = func(w io.Writer) error {
		cells, err := d.o.Scores.Scores(ctx, d.year, "")
		if err != nil {
			return fmt.Errorf("handlers: scores: %w", err)
		}
		return d.o.ScoreSheets.ScoresWorkbook(ctx, d.year, rep, cells, w)
	}
	return f
}

// scoresText is the director's 成绩: per grade the units in rank order
// with their weighted totals, then the units still missing scores; and
// the summary that goes with the workbook when that does not fit on a
// phone screen: the counts per grade and missing, where the list is, how to
// see one unit.
func (d *scores) scoresText(rep rules.ScoreReport) (text string, summary []string) {
	m := *d.o.Scoring
	graded, byGrade := 0, map[string][]string{}
	var missing []string
	for _, x := range rules.ByRank(rep.Results) {
		switch {
		case x.Graded:
			graded++
			byGrade[x.Grade] = append(byGrade[x.Grade], fmt.Sprintf("%d.%s %s", x.Rank, d.unitName(x.UnitKey), x.Weighted))
		case x.Applicable > 0:
			missing = append(missing, d.unitName(x.UnitKey))
		}
	}
	head := fmt.Sprintf("%d年评价成绩（%d个单位，已出总分%d个；加权：督导评价%d%%＋自评%d%%）",
		d.year, len(rep.Results), graded, m.Weights[rules.SourceInspection], m.Weights[rules.SourceSelf])
	lines := []string{head}
	var counts []string
	for _, b := range m.Bands {
		us := byGrade[b.Grade]
		if len(us) == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s%d个：%s", b.Grade, len(us), strings.Join(us, "；")))
		counts = append(counts, fmt.Sprintf("%s%d个", b.Grade, len(us)))
	}
	if len(missing) > 0 {
		counts = append(counts, fmt.Sprintf("缺评分%d个", len(missing)))
		lines = append(lines, "缺评分："+nameList(missing, 10))
	}
	lines = append(lines, "查看单项：成绩 单位名；表彰与约谈建议：结果清单")
	summary = []string{head}
	if len(counts) > 0 {
		summary = append(summary, strings.Join(counts, "，"))
	}
	return strings.Join(lines, "\n"), summary
}

// nameList joins the first n names with “、” and, when there are more,
// counts them all (甲、乙等24个). A name is never cut.
func nameList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, "、")
	}
	return fmt.Sprintf("%s等%d个", strings.Join(names[:n], "、"), len(names))
}

// unitScores is one unit's result and its cells, indicators folded five to
// a line so that 30 indicators take six lines: bounded by the indicator
// system, not the roster (TestLongAnswersAtLargeRoster asks it at 200
// units).
func (d *scores) unitScores(ctx context.Context, r *Request, u rules.Unit) error {
	rep, err := d.report(ctx)
	if err != nil {
		return err
	}
	res, ok := rep.Result(u.Key)
	if !ok || res.Applicable == 0 {
		return d.reply(ctx, r, fmt.Sprintf("%s本年度不参加评分。", u.Name))
	}
	cells, err := d.o.Scores.Scores(ctx, d.year, u.Key)
	if err != nil {
		return fmt.Errorf("handlers: scores %s: %w", u.Key, err)
	}
	got := map[[2]string]rules.Points{}
	for _, c := range cells {
		got[[2]string{string(c.Source), c.Code}] = c.Points
	}
	graded := 0
	for _, x := range rep.Results {
		if x.Graded {
			graded++
		}
	}
	lines := []string{fmt.Sprintf("%s %d年评价成绩", u.Name, d.year)}
	if res.Graded {
		lines = append(lines, fmt.Sprintf("加权总分%s，等级%s，排名第%d（共%d个单位出总分）", res.Weighted, res.Grade, res.Rank, graded))
	} else {
		var miss []string
		for _, s := range res.Missing {
			miss = append(miss, fmt.Sprintf("%s缺%d项", s.Label(), res.Applicable-res.Source(s).Count))
		}
		lines = append(lines, "暂无总分："+strings.Join(miss, "，"))
	}
	var parts []string
	for _, s := range []rules.ScoreSource{rules.SourceInspection, rules.SourceSelf} {
		sr := res.Source(s)
		if sr.Complete {
			parts = append(parts, fmt.Sprintf("%s%s", s.Label(), sr.Total))
		} else {
			parts = append(parts, fmt.Sprintf("%s已评%d/%d项", s.Label(), sr.Count, res.Applicable))
		}
	}
	lines = append(lines, strings.Join(parts, "，"))
	lines = append(lines, "各项得分（督导/自评，满分）：")
	show := func(p rules.Points, ok bool) string {
		if !ok {
			return "-"
		}
		return p.String()
	}
	var row []string
	for _, in := range d.o.Scoring.Applicable(u.Key) {
		ip, iok := got[[2]string{string(rules.SourceInspection), in.Code}]
		sp, sok := got[[2]string{string(rules.SourceSelf), in.Code}]
		row = append(row, fmt.Sprintf("%s）%s/%s", in.Code, show(ip, iok), show(sp, sok)))
		if len(row) == 5 {
			lines = append(lines, strings.Join(row, "  "))
			row = nil
		}
	}
	if len(row) > 0 {
		lines = append(lines, strings.Join(row, "  "))
	}
	return d.reply(ctx, r, strings.Join(lines, "\n"))
}

// resultList is 结果清单: 表彰建议, 不合格, 约谈/通报建议, each unit with the
// reasons drawn from the records.
func (d *scores) resultList(ctx context.Context, r *Request) error {
	rep, err := d.report(ctx)
	if err != nil {
		return err
	}
	lines := []string{fmt.Sprintf("%d年结果清单（截至%s）", d.year, fmtTime(d.clock.Now(), d.loc))}
	for _, a := range rules.ResultActions {
		n := 0
		for _, e := range rep.List {
			if e.Action != a {
				continue
			}
			if n == 0 {
				lines = append(lines, "【"+string(a)+"】")
			}
			n++
			lines = append(lines, fmt.Sprintf("%d. %s：%s", n, d.unitName(e.UnitKey), strings.Join(e.Reasons, "；")))
		}
	}
	if len(lines) == 1 {
		lines = append(lines, "暂无：还没有单位出总分，也没有整改逾期或多次逾期的记录。")
	}
	var counts []string
	for _, a := range rules.ResultActions {
		n := 0
		for _, e := range rep.List {
			if e.Action == a {
				n++
			}
		}
		if n > 0 {
			counts = append(counts, fmt.Sprintf("%s%d个", a, n))
		}
	}
	summary := []string{lines[0] + "：" + strings.Join(counts, "，")}
	return d.replyLong(ctx, r, strings.Join(lines, "\n"), summary, d.scoresFile(ctx, rep, "各单位的原因见附件“结果运用”，成绩见“评分汇总”。"))
}

// publishNotice is what each unit's officials get on 发布成绩. It names no
// figure, so it stays true if a later sheet changes a score before it is
// sent; 成绩 shows the figures as they are when asked. A unit without a
// weighted total is not promised one: its scores may still be missing, or
// completed before the notice goes out, and the words hold either way.
func publishNotice(year int, graded bool) string {
	if !graded {
		return fmt.Sprintf("【成绩发布】%d年履行教育职责督导评价成绩已发布。请发送“成绩”查看本单位的评分情况；评分齐全后即显示总分和等级。", year)
	}
	return fmt.Sprintf("【成绩发布】%d年履行教育职责督导评价成绩已发布。请发送“成绩”查看本单位的总分、等级和各项得分。", year)
}

// askPublish is 发布成绩: a preview of what publishing does and whom it
// tells, waiting for 确认.
func (d *scores) askPublish(ctx context.Context, r *Request) error {
	rep, err := d.report(ctx)
	if err != nil {
		return err
	}
	units, people, graded := d.publishReach(rep)
	var missing []string
	for _, x := range rep.Results {
		if !x.Graded && x.Applicable > 0 {
			missing = append(missing, d.unitName(x.UnitKey))
		}
	}
	lines := []string{fmt.Sprintf("即将发布%d年评价成绩：%d个单位已出总分。", d.year, graded)}
	if len(missing) > 0 {
		lines = append(lines, fmt.Sprintf("仍缺评分%d个：%s（发布后它们显示“暂无总分”）。", len(missing), nameList(missing, 10)))
	}
	if at, published, err := d.o.Scores.ScoresPublished(ctx, d.year); err != nil {
		return fmt.Errorf("handlers: scores published: %w", err)
	} else if published {
		lines = append(lines, fmt.Sprintf("成绩已于%s发布过，确认后将再次通知。", fmtTime(at, d.loc)))
	}
	lines = append(lines, fmt.Sprintf("将通知%d个单位的%d位联系人；各单位只能用“成绩”查看本单位的成绩。", units, people))
	return d.confirms.ask(ctx, r, pendingConfirm{Kind: confirmPublishScores}, strings.Join(lines, "\n"))
}

// publishReach counts the scored units, their officials and the units with
// a weighted total.
func (d *scores) publishReach(rep rules.ScoreReport) (units, people, graded int) {
	for _, x := range rep.Results {
		if x.Applicable == 0 {
			continue
		}
		units++
		people += len(d.officials[x.UnitKey])
		if x.Graded {
			graded++
		}
	}
	return units, people, graded
}

// publish runs a confirmed 发布成绩: the published mark, the answer and
// one notice per official of every scored unit, in one transaction.
func (d *scores) publish(ctx context.Context, r *Request) error {
	if r.ID.Role != rules.RoleDirector {
		return userErr(ErrForbidden, "发布成绩由督导办主任办理。")
	}
	rep, err := d.report(ctx)
	if err != nil {
		return err
	}
	units, people, _ := d.publishReach(rep)
	now := d.clock.Now()
	outs := []rules.Outgoing{d.replyMsg(r, fmt.Sprintf("已发布%d年评价成绩，已通知%d个单位的%d位联系人。", d.year, units, people))}
	for _, x := range rep.Results {
		if x.Applicable > 0 {
			outs = append(outs, d.toOfficials(x.UnitKey, "notice", msgKey("publish", r), publishNotice(d.year, x.Graded), now)...)
		}
	}
	if _, err := d.o.Scores.PublishScores(ctx, d.year, r.ID.Remark, outs); err != nil {
		return fmt.Errorf("handlers: publish scores: %w", err)
	}
	return nil
}
