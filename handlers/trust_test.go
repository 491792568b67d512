package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// deliverFeedbackToCzj sends 县财政局 its written feedback (confirmed), so
// that a rectification plan is wanted.
func deliverFeedbackToCzj(t *testing.T, h *handlerstest.Harness) {
	t.Helper()
	dir := h.Director()
	h.Text(dir, "反馈 财政")
	h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
	h.Text(dir, "确认")
	if n := len(only(h.Drain(), h.Official("czj").Remark)); n != 2 {
		t.Fatalf("feedback setup: %d messages to 县财政局, want 2", n)
	}
}

// trustCase is one bad input of issue 10 (items 2, 3, 4, 9 and the rate
// limit): what the bot did with it before, and what it answers now.
type trustCase struct {
	name  string
	from  string // "director" or a unit key
	setup func(t *testing.T, h *handlerstest.Harness)
	in    []string // texts sent in order; "@file:NAME" sends a file
	old   string   // the old behaviour, in one line
	// check asserts the state after the inputs (what was stored or sent).
	check func(t *testing.T, h *handlerstest.Harness, out []rules.Outgoing)
}

// Ensure every trust case of issue 10 gives its new reply (golden
// testdata/trust_<name>.golden: the input, the old behaviour, the new
// reply) and leaves the state the new rules say.
func TestTrustCases(t *testing.T) {
	ctx := context.Background()
	noBroadcast := func(t *testing.T, h *handlerstest.Harness, out []rules.Outgoing) {
		t.Helper()
		bs, _ := h.Store.Broadcasts(ctx, 2027)
		for _, b := range bs {
			if b.Kind == "broadcast" {
				t.Errorf("a notice was created: %+v", b)
			}
		}
		for _, m := range out {
			if m.Kind == "broadcast" {
				t.Errorf("a notice was queued: %+v", m)
			}
		}
	}
	noPlan := func(t *testing.T, h *handlerstest.Harness, _ []rules.Outgoing) {
		t.Helper()
		subs, _ := h.Store.Submissions(ctx, 2027, "czj")
		for _, s := range subs {
			if s.Stage == rules.StageRectificationPlan {
				t.Errorf("a plan was filed: %+v", s)
			}
		}
	}
	for _, tc := range []trustCase{
		{
			name: "broadcast_prose", from: "director",
			in:    []string{"下发的通知大家都收到了吗"},
			old:   "立即向全部28个单位下发“【督导办通知】的通知大家都收到了吗”",
			check: noBroadcast,
		},
		{
			name: "plan_prose", from: "czj", setup: deliverFeedbackToCzj,
			in:    []string{"整改方案还在修改中，下周交"},
			old:   "登记为整改方案第1版、按时，提醒停止，台账显示已交",
			check: noPlan,
		},
		{
			name: "plan_question_after_bare", from: "czj", setup: deliverFeedbackToCzj,
			in:  []string{"整改方案", "请问整改方案需要盖章吗？"},
			old: "这句提问被登记为本单位的整改方案（第1版，共12字，按时）",
			check: func(t *testing.T, h *handlerstest.Harness, out []rules.Outgoing) {
				noPlan(t, h, out)
				// The wait goes on: the real plan still counts.
				h.Text(h.Official("czj"), strings.Repeat("加强教育经费保障，按时足额拨付。", 4))
				if got := one(t, h.Drain()); !strings.HasPrefix(got, "即将以文字报送县财政局的整改方案") {
					t.Errorf("plan after the question → %s", got)
				}
			},
		},
		{
			name: "plan_placeholder", from: "czj", setup: deliverFeedbackToCzj,
			in:    []string{"整改方案 文字内容"},
			old:   "登记了一份4个字的整改方案“文字内容”",
			check: noPlan,
		},
		{
			name: "plan_too_short", from: "czj", setup: deliverFeedbackToCzj,
			in:    []string{"整改方案：我们将加强经费保障。"},
			old:   "登记为整改方案第1版（共10字）",
			check: noPlan,
		},
		{
			name: "broadcast_question_after_bare", from: "director",
			in:    []string{"下发", "这个通知大家都收到了吗"},
			old:   "10分钟内的下一句话被当作通知立即下发给全部单位",
			check: noBroadcast,
		},
		{
			name: "broadcast_needs_confirm", from: "director",
			in:    []string{"下发 请各单位于3月1日前报送自查自评报告。"},
			old:   "立即下发，没有预览",
			check: noBroadcast,
		},
		{
			name: "plan_needs_confirm", from: "czj", setup: deliverFeedbackToCzj,
			in:    []string{"整改方案 " + planText},
			old:   "立即登记，没有预览",
			check: noPlan,
		},
		{
			name: "confirm_expired", from: "director",
			setup: func(t *testing.T, h *handlerstest.Harness) {
				h.Text(h.Director(), "下发 请各单位于3月1日前报送自查自评报告。")
				h.Drain()
				h.Clock.Advance(11 * time.Minute)
			},
			in:    []string{"确认"},
			old:   "（没有确认步骤）",
			check: noBroadcast,
		},
		{
			name: "cancel", from: "director",
			setup: func(t *testing.T, h *handlerstest.Harness) {
				h.Text(h.Director(), "督导结束 4月30日")
				h.Drain()
			},
			in:  []string{"取消", "确认"},
			old: "（没有确认步骤，督导结束日期立即登记）",
			check: func(t *testing.T, h *handlerstest.Harness, _ []rules.Outgoing) {
				cal, _ := h.Store.Calendar(ctx, 2027, h.Loc)
				if cal.InspectionEnd != h.Opts.Calendar.InspectionEnd {
					t.Errorf("inspection end changed to %v after 取消", cal.InspectionEnd)
				}
			},
		},
		{
			name: "late_report_is_version_2", from: "czj",
			setup: func(t *testing.T, h *handlerstest.Harness) {
				h.At(2027, time.February, 20, 9, 0)
				h.File(h.Official("czj"), "自查.docx", handlerstest.Docx("v1"))
				h.Drain()
				h.At(2027, time.March, 5, 9, 0)
			},
			in:  []string{"@file:自查自评报告（更正）.docx"},
			old: "更正后的报告被登记为“补充材料”，不是自查自评报告第2版",
			check: func(t *testing.T, h *handlerstest.Harness, _ []rules.Outgoing) {
				uy, _ := h.Store.UnitYear(ctx, 2027, "czj")
				if uy.Versions[rules.StageSelfAssessment] != 2 {
					t.Errorf("versions %v", uy.Versions)
				}
			},
		},
		{
			name: "ack_all_open", from: "czj",
			setup: func(t *testing.T, h *handlerstest.Harness) {
				dir := h.Director()
				h.At(2027, time.January, 10, 9, 0)
				h.Text(dir, "下发 请各单位于3月1日前报送自查自评报告。")
				h.Text(dir, "确认")
				h.At(2027, time.March, 5, 9, 0)
				h.Text(dir, "下发 实地督导安排见附件。")
				h.Text(dir, "确认")
				h.At(2027, time.May, 10, 9, 0)
				h.Drain()
				deliverFeedbackToCzj(t, h)
			},
			in:  []string{"收到", "收到"},
			old: "一次“收到”只确认最近一条（书面反馈意见），1月10日和3月5日的通知永远显示未回复",
			check: func(t *testing.T, h *handlerstest.Harness, _ []rules.Outgoing) {
				bs, _ := h.Store.Broadcasts(ctx, 2027)
				for _, b := range bs {
					un, _ := h.Store.Unacknowledged(ctx, b.ID)
					for _, k := range un {
						if k == "czj" {
							t.Errorf("notice %d (%s) still unacknowledged by 县财政局", b.ID, b.Kind)
						}
					}
				}
			},
		},
		{
			name: "date_without_year_in_december", from: "director",
			setup: func(t *testing.T, h *handlerstest.Harness) { h.At(2026, time.December, 15, 10, 0) },
			in:    []string{"督导结束 4月30日", "确认"},
			old:   "被拒绝：“督导结束日期应在2027年内”（4月30日被当作2026年）",
			check: func(t *testing.T, h *handlerstest.Harness, _ []rules.Outgoing) {
				cal, _ := h.Store.Calendar(ctx, 2027, h.Loc)
				if cal.InspectionEnd != (rules.Date{Year: 2027, Month: time.April, Day: 30}) {
					t.Errorf("inspection end %v", cal.InspectionEnd)
				}
			},
		},
		{
			name: "date_out_of_cycle", from: "director",
			in:    []string{"督导结束 2028-04-30"},
			old:   "拒绝，但没有说出哪个日期不对：“督导结束日期应在2027年内”",
			check: func(*testing.T, *handlerstest.Harness, []rules.Outgoing) {},
		},
		{
			name: "rate_limit", from: "czj",
			in:  append(append(strings.Split(strings.Repeat("状态\n", 22), "\n")[:22], "@file:自查.docx"), "状态"),
			old: "120条“状态”产生120条回复，挤占队列和本人的每日上限",
			check: func(t *testing.T, h *handlerstest.Harness, out []rules.Outgoing) {
				// 20 answers were queued before the limit; each newer one
				// superseded the one still queued: one answer, the newest.
				if len(out) != 1+1+1 { // one answer, one warning, the receipt
					t.Errorf("%d replies, want 3", len(out))
				}
				subs, _ := h.Store.Submissions(ctx, 2027, "czj")
				if len(subs) != 1 {
					t.Errorf("the file sent while limited was not stored: %+v", subs)
				}
				left, _ := h.Store.UnhandledInbound(ctx)
				if len(left) != 0 {
					t.Errorf("ignored messages left unhandled: %d", len(left))
				}
				// A minute later the sender is heard again.
				h.Clock.Advance(time.Minute)
				if got := one(t, only(func() []rules.Outgoing { h.Text(h.Official("czj"), "状态"); return h.Drain() }(), h.Official("czj").Remark)); !strings.HasPrefix(got, "县财政局 2027年") {
					t.Errorf("after a minute → %s", got)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := handlerstest.New(t)
			h.At(2027, time.May, 10, 9, 0)
			if tc.setup != nil {
				tc.setup(t, h)
			}
			h.Drain()
			from := h.Director()
			if tc.from != "director" {
				from = h.Official(tc.from)
			}
			for _, in := range tc.in {
				if name, ok := strings.CutPrefix(in, "@file:"); ok {
					h.File(from, name, handlerstest.Docx(name))
					continue
				}
				h.Text(from, in)
			}
			out := h.Drain()
			mine := only(out, from.Remark)
			var b strings.Builder
			b.WriteString("输入：" + inputs(tc.in) + "\n")
			b.WriteString("旧行为：" + tc.old + "\n")
			b.WriteString("新回复：\n" + collapsed(mine))
			golden(t, "trust_"+tc.name, b.String())
			for _, m := range mine {
				if m.Kind != "reply" && m.Kind != "receipt" {
					t.Errorf("direct answer has kind %q (want reply or receipt): %s", m.Kind, m.Text)
				}
			}
			tc.check(t, h, out)
		})
	}
}

// collapsed is texts with runs of the same reply shown once, with a count.
func collapsed(msgs []rules.Outgoing) string {
	var parts []string
	for i := 0; i < len(msgs); {
		j := i
		for j < len(msgs) && msgs[j].Text == msgs[i].Text {
			j++
		}
		part := msgs[i].Text
		if j-i > 1 {
			part += fmt.Sprintf("\n（同样的回复共%d条）", j-i)
		}
		parts = append(parts, part)
		i = j
	}
	return strings.Join(parts, "\n---\n")
}

// inputs lists the texts sent, runs of the same text once with a count.
func inputs(in []string) string {
	var parts []string
	for i := 0; i < len(in); {
		j := i
		for j < len(in) && in[j] == in[i] {
			j++
		}
		part := in[i]
		if j-i > 1 {
			part += fmt.Sprintf("（×%d）", j-i)
		}
		parts = append(parts, part)
		i = j
	}
	return strings.Join(parts, " ⏎ ")
}

// Ensure the command boundary: the whole word, or a space, colon,
// full-width space or new line before the argument, or an argument that
// parses exactly; anything else is prose and gets the command's usage.
func TestCommandBoundary(t *testing.T) {
	for _, tc := range []struct {
		from, in, want string // want: the reply's prefix
	}{
		{"czj", "状态", "县财政局 2027年"},
		{"czj", "状态？", "县财政局 2027年"},
		{"czj", "状态吗", "县财政局 2027年"},            // the intent layer reads prose of a read-only word
		{"czj", "收到了，谢谢", "好的，谢谢。目前没有需要确认的通知。"}, // 收到 in words, nothing open
		{"czj", "收到 谢谢", "目前没有需要确认的通知"},
		{"czj", "收到。", "目前没有需要确认的通知"},
		{"czj", "帮助一下", "您的消息以“帮助”开头，但不是命令"},
		{"czj", "撤回吧", "您的消息以“撤回”开头，但不是命令"},
		{"czj", "确认一下截止时间", "您的消息以“确认”开头，但不是命令"},
		{"dir", "查询财政局", "县财政局 2027年"},
		{"dir", "查询，财政局", "县财政局 2027年"},
		{"dir", "查询一下财政局的情况", "您的消息以“查询”开头，但不是命令，未执行。如需使用该命令，请发送“查询 单位”"},
		{"dir", "未交自查", "未交名单"},
		{"dir", "催办全部", "已向"},
		{"dir", "督导结束4月30日", "即将登记：实地督导于2027年4月30日结束"},
		{"dir", "整改期限，财政局，6月30日", "即将设定县财政局的整改完成期限为2027年6月30日"},
		{"dir", "下发：明天上午九点开会", "即将向28个单位"},
		{"dir", "下发\n明天上午九点开会", "即将向28个单位"},
		{"dir", "下发\u3000明天上午九点开会", "即将向28个单位"},
		{"dir", "下发，明天上午九点开会", "您的消息未下发（不是命令格式）"},
		{"dir", "下发 通知内容", "“通知内容”是帮助中的示意，未下发"},
		{"dir", "反馈意见什么时候发", "您的消息以“反馈”开头，但不是命令"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			h := handlerstest.New(t)
			h.At(2027, time.March, 3, 9, 0)
			from := h.Director()
			if tc.from != "dir" {
				from = h.Official(tc.from)
			}
			h.Text(from, tc.in)
			got := textMsgs(only(h.Drain(), from.Remark)) // 催办全部 comes with its list as a file
			if len(got) != 1 || !strings.HasPrefix(got[0].Text, tc.want) {
				t.Errorf("%q →\n%s\nwant a reply starting %q", tc.in, texts(got), tc.want)
			}
		})
	}
}

// Ensure a date without a year means the cycle's year whenever that is
// current or ahead, for 整改期限 too, and a past date is refused naming it.
func TestDateYearIsTheCycles(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.At(2026, time.December, 20, 10, 0)
	h.Text(dir, "整改期限 财政 1月15日")
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "即将设定县财政局的整改完成期限为2027年1月15日") {
		t.Errorf("December 整改期限 1月15日 → %s", got)
	}
	h.At(2027, time.May, 20, 10, 0)
	h.Text(dir, "整改期限 财政 1月15日")
	if got := one(t, h.Drain()); got != "整改期限2027年1月15日已经过去，请核对后重新发送。" {
		t.Errorf("past 整改期限 → %s", got)
	}
}
