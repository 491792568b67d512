package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// One unit's items through chat: the list previewed and confirmed,
// delivered with the feedback, a plan missing a date kept as a draft and
// then completed (only then the 整改方案), done reports, 销号, 退回, 延期,
// the views and the refusals. Every reply is a golden file.
func TestProblemItemsThroughChat(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	czj, dir := h.Official("czj"), h.Director()
	h.At(2027, time.May, 10, 9, 0)

	h.Text(dir, "问题清单 财政\n1. 教育经费台账不全\n2. 学校安全隐患未整改\n2. 重复")
	golden(t, "problems_list_refused", one(t, h.Drain()))
	h.Text(dir, "问题清单 财政\n1. 教育经费台账不全；指标：3.2.1\n2. 学校安全隐患未整改\n3. 控辍保学机制不健全")
	golden(t, "problems_list_preview", one(t, h.Drain()))
	if ps, _ := h.Store.Problems(ctx, 2027, "czj"); len(ps) != 0 {
		t.Fatalf("stored before 确认: %d items", len(ps))
	}
	h.Text(dir, "确认")
	golden(t, "problems_list_confirmed", one(t, h.Drain()))

	h.Text(czj, "整改措施\n1. 措施：补台账；时限：6月30日")
	golden(t, "problems_plan_before_delivery", one(t, h.Drain()))

	h.Text(dir, "反馈 财政")
	h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
	h.Text(dir, "确认")
	var notice string
	for _, m := range only(h.Drain(), czj.Remark) {
		if m.Text != "" {
			notice = m.Text
		}
	}
	golden(t, "problems_feedback_notice", notice)

	h.At(2027, time.May, 12, 9, 0)
	h.Text(czj, "整改措施\n1. 措施：补齐台账；时限：6月30日；责任人：张三\n2. 措施：排查隐患；时限：6月10日\n3. 措施：建立控辍保学机制")
	golden(t, "problems_plan_draft", one(t, h.Drain()))
	if subs, _ := h.Store.Submissions(ctx, 2027, "czj"); len(subs) != 0 {
		t.Fatalf("a draft counted as the plan: %+v", subs)
	}
	h.Text(czj, "整改措施\n4. 措施：x；时限：6月1日\n3. 时限：2026年12月1日")
	golden(t, "problems_plan_refused", one(t, h.Drain()))
	h.Text(czj, "整改措施\n3. 时限：7月15日")
	golden(t, "problems_plan_complete", one(t, h.Drain()))
	subs, _ := h.Store.Submissions(ctx, 2027, "czj")
	if len(subs) != 1 || subs[0].Stage != rules.StageRectificationPlan || !subs[0].OnTime {
		t.Fatalf("plan submission = %+v", subs)
	}

	h.At(2027, time.June, 5, 9, 0)
	h.Text(czj, "整改完成 1")
	golden(t, "problems_done_no_evidence", one(t, h.Drain()))
	h.Text(czj, "整改完成 1 已补齐2026年全部经费台账")
	msgs := h.Drain()
	golden(t, "problems_done", one(t, only(msgs, czj.Remark)))
	golden(t, "problems_done_director", one(t, only(msgs, dir.Remark)))
	h.Text(czj, "整改完成 9 已完成")
	golden(t, "problems_unknown_item", one(t, h.Drain()))

	h.Text(dir, "退回 财政 1 6月20日 缺少签字页")
	msgs = h.Drain()
	golden(t, "problems_returned", texts(msgs))
	h.Text(dir, "退回 财政 2 6月20日 x")
	golden(t, "problems_return_unreported", one(t, h.Drain()))
	h.Text(dir, "延期 财政 3 7月31日 资金未到位")
	golden(t, "problems_extended", texts(h.Drain()))

	h.At(2027, time.June, 15, 9, 0)
	h.Text(czj, "整改完成 1 已补签字页")
	h.Drain()
	h.Text(dir, "销号 财政 1")
	golden(t, "problems_closed", texts(h.Drain()))
	h.Text(dir, "销号 财政 1")
	golden(t, "problems_close_twice", one(t, h.Drain()))

	h.Text(dir, "整改逾期")
	golden(t, "problems_overdue", one(t, h.Drain()))
	h.Text(czj, "状态")
	golden(t, "problems_status", one(t, h.Drain()))
	h.Text(dir, "总览")
	if got := one(t, h.Drain()); !strings.Contains(got, "\n整改事项：共3项，已销号1项，逾期1项\n") { // among the count lines

		t.Errorf("总览 lacks the items line:\n%s", got)
	}
	h.Text(czj, "销号 财政 2")
	if got := one(t, h.Drain()); strings.Contains(got, "已销号") {
		t.Errorf("an official closed an item: %s", got)
	}
	h.Text(h.Official("xwb"), "整改完成 1 已完成")
	if got := one(t, h.Drain()); !strings.Contains(got, "尚未收到") && !strings.Contains(got, "没有") {
		t.Errorf("another unit reported 财政's item: %s", got)
	}
	p, _ := h.Store.Problem(ctx, "财政-2027-01")
	if st := rules.ProblemStatusOf(p, h.Opts.Calendar, h.Clock.Now()); st.Kind != rules.ProblemClosed || st.Late {
		t.Errorf("item 1 = %+v", st)
	}
}
