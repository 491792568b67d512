package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// Ensure 撤回 withdraws the sender's latest submission within 30 minutes
// and keeps its row and file for the audit; the version and lateness rules
// then hold as if it had never arrived: the resubmission takes the same
// version number and is judged on its own time.
func TestWithdraw(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	czj := h.Official("czj")

	h.Text(czj, "撤回")
	if got := one(t, h.Drain()); got != "贵单位目前没有可撤回的材料。" {
		t.Errorf("撤回 with nothing sent → %s", got)
	}

	// 28 February, on time: version 1, then withdrawn within 30 minutes.
	h.At(2027, time.February, 28, 17, 0)
	h.File(czj, "自查报告（误发）.docx", handlerstest.Docx("wrong"))
	h.Drain()
	h.At(2027, time.February, 28, 17, 20)
	h.Text(czj, "撤回")
	out := h.Drain()
	golden(t, "withdraw_ok", one(t, out))
	if out[0].Kind != "reply" {
		t.Errorf("撤回 answer kind %q", out[0].Kind)
	}
	uy, _ := h.Store.UnitYear(ctx, 2027, "czj")
	if !uy.FirstSubmitted[rules.StageSelfAssessment].IsZero() {
		t.Fatalf("withdrawn version still counts: %+v", uy)
	}
	// The audit keeps the submission and its withdrawal.
	trail, _ := h.Store.AuditTrail(ctx, 2027, "czj")
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "submission,withdraw") {
		t.Errorf("audit trail %s", got)
	}

	// 3 March, after the deadline: the resubmission is version 1 again, late.
	h.At(2027, time.March, 3, 9, 0)
	h.File(czj, "自查报告.docx", handlerstest.Docx("right"))
	receipt := one(t, h.Drain())
	for _, want := range []string{"材料：自查自评报告（第1版）", "结果：逾期2天（截止2027年3月1日）"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("resubmission receipt lacks %q:\n%s", want, receipt)
		}
	}
	uy, _ = h.Store.UnitYear(ctx, 2027, "czj")
	if st := rules.StageStatusOf(h.Opts.Calendar, uy, rules.StageSelfAssessment, h.Clock.Now()); st.Kind != rules.StatusLate || st.Versions != 1 {
		t.Errorf("status after the resubmission: %+v", st)
	}

	// 31 minutes later: too late, a clear refusal, nothing withdrawn.
	h.At(2027, time.March, 3, 9, 31)
	h.Text(czj, "撤回")
	golden(t, "withdraw_too_late", one(t, h.Drain()))
	if subs, _ := h.Store.Submissions(ctx, 2027, "czj"); len(subs) != 1 {
		t.Fatalf("after a refused 撤回: %+v", subs)
	}

	// The backup cannot withdraw the official's file; the director has no 撤回.
	xwb, backup := h.Official("xwb"), rules.Contact{Remark: "督导-县委办-备", UserName: "@backup"}
	h.File(xwb, "县委办自查.pdf", handlerstest.PDF("xwb"))
	h.Drain()
	h.Text(backup, "撤回")
	if got := one(t, h.Drain()); !strings.Contains(got, "只能由报送人本人撤回") {
		t.Errorf("backup's 撤回 → %s", got)
	}
	h.Text(h.Director(), "撤回")
	if got := one(t, h.Drain()); !strings.Contains(got, "供各责任单位联系人使用") {
		t.Errorf("director's 撤回 → %s", got)
	}
	if subs, _ := h.Store.Submissions(ctx, 2027, "xwb"); len(subs) != 1 {
		t.Fatalf("xwb's file was touched: %+v", subs)
	}
}

// Ensure BOLA holds for 撤回, 确认 and 取消: each official's 撤回 only ever
// withdraws their own unit's file, and nobody can confirm or cancel another
// person's pending action.
func TestWithdrawAndConfirmOnlyOwn(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	for _, u := range h.Units {
		h.File(h.Official(u.Key), u.Name+"自查.pdf", handlerstest.PDF(u.Key))
	}
	h.Drain()
	h.Text(h.Director(), "下发 明天上午九点开会。")
	h.Drain()
	h.At(2027, time.February, 20, 9, 5)
	for i, u := range h.Units {
		off := h.Official(u.Key)
		h.Text(off, "确认")
		h.Text(off, "取消")
		h.Text(off, "撤回")
		out := only(h.Drain(), off.Remark)
		what := " 自查自评报告（第1版）《"
		if !rules.StageApplies(u, rules.Inspected{}, rules.StageSelfAssessment) {
			what = " 补充材料《" // the office's own unit owes no report: its file is supporting material
		}
		if len(out) != 3 || out[0].Text != "目前没有需要确认的操作。" || out[1].Text != "目前没有需要确认的操作。" ||
			!strings.Contains(out[2].Text, "已撤回："+u.Name+what+u.Name+"自查.pdf》") {
			t.Fatalf("%s: %s", u.Key, texts(out))
		}
		// Every other unit still has its file.
		all, _ := h.Store.Submissions(ctx, 2027, "")
		if len(all) != len(h.Units)-i-1 {
			t.Fatalf("after %s's 撤回: %d live submissions, want %d", u.Key, len(all), len(h.Units)-i-1)
		}
		for _, s := range all {
			if s.UnitKey == u.Key {
				t.Fatalf("%s's file survived its 撤回", u.Key)
			}
		}
	}
	bs, _ := h.Store.Broadcasts(ctx, 2027)
	if len(bs) != 0 {
		t.Fatalf("an official's 确认 sent the director's notice: %+v", bs)
	}
	// The director's own 确认 still works.
	h.Text(h.Director(), "确认")
	if out := h.Drain(); len(out) != 28+1 {
		t.Fatalf("director's 确认 queued %d, want 29", len(out))
	}
}

// Ensure a pending confirmation survives a restart (it is in the state
// table, like the other pending questions) and 确认 after it runs once.
func TestConfirmSurvivesRestart(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	dir := h.Director()
	h.At(2027, time.April, 30, 18, 0)
	h.Text(dir, "整改期限 财政 6月30日")
	h.Drain()
	due, _ := h.Store.UnitYear(ctx, 2027, "czj")
	if !due.RectificationDue.IsZero() {
		t.Fatalf("整改期限 set before 确认: %v", due.RectificationDue)
	}
	in2, conv2, err := handlers.New(h.Opts) // the restarted process
	if err != nil {
		t.Fatal(err)
	}
	h.Intake, h.Conv = in2, conv2
	h.At(2027, time.April, 30, 18, 9)
	h.Text(dir, "确认")
	out := h.Drain()
	if len(out) != 2 || !strings.HasPrefix(one(t, only(out, dir.Remark)), "已设定县财政局的整改完成期限为2027年6月30日") {
		t.Fatalf("确认 after restart:\n%s", texts(out))
	}
	due, _ = h.Store.UnitYear(ctx, 2027, "czj")
	if due.RectificationDue != (rules.Date{Year: 2027, Month: time.June, Day: 30}) {
		t.Fatalf("due %v", due.RectificationDue)
	}
	h.Text(dir, "确认")
	if got := one(t, h.Drain()); got != "目前没有需要确认的操作。" {
		t.Errorf("second 确认 → %s", got)
	}
}

// Ensure 撤回 of a file still waiting for its 1/2 answer also drops the
// question: a later 「1」 files nothing.
func TestWithdrawPendingChoice(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	czj := h.Official("czj")
	h.At(2027, time.May, 10, 9, 0) // self-assessment still owed, feedback just delivered
	deliverFeedbackToCzj(t, h)
	h.File(czj, "材料.docx", handlerstest.Docx("x"))
	if got := one(t, h.Drain()); !strings.Contains(got, "请回复 1 自查自评报告 / 2 整改方案") {
		t.Fatalf("choice question: %s", got)
	}
	h.Text(czj, "撤回")
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "已撤回：县财政局 补充材料《材料.docx》") {
		t.Fatalf("撤回 → %s", got)
	}
	h.Text(czj, "1")
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "目前没有等待您回复数字的问题") {
		t.Errorf("“1” after 撤回 → %s", got)
	}
	if subs, _ := h.Store.Submissions(ctx, 2027, "czj"); len(subs) != 0 {
		t.Fatalf("filed after 撤回: %+v", subs)
	}
}
