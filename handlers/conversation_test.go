package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/docstore"
	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// planText is a rectification plan as an official types it: long enough
// to be a plan.
const planText = "一、加强教育经费保障，确保一般公共预算教育支出逐年只增不减；二、按时足额拨付生均公用经费，由财政局预算科负责，6月底前完成；三、建立经费拨付台账，每季度向县督导办报告一次。"

// Ensure a whole year runs from chat: notice → 收到 → self-assessment file
// → receipt → 督导结束 → 反馈 → plan as text → 总览 → 导出, with every reply
// text pinned in a golden file and every state change in the audit trail.
func TestWholeYear(t *testing.T) {
	h := handlerstest.New(t, func(o *handlers.Options) { o.Ledger = stubLedger{} })
	dir, czj, gaj := h.Director(), h.Official("czj"), h.Official("gaj")

	// 帮助 per role.
	h.Text(czj, "帮助")
	golden(t, "help_official", one(t, h.Drain()))
	h.Text(dir, "帮助")
	golden(t, "help_director", one(t, h.Drain()))

	// 1 January: the office's notice to all units.
	h.At(2027, time.January, 10, 9, 0)
	h.Text(dir, "下发 请各单位对照指标体系开展自查自评，于3月1日前报送自查自评报告。")
	golden(t, "broadcast_preview", one(t, h.Drain())) // nothing sent before 确认
	h.Text(dir, "确认")
	out := h.Drain()
	if n := len(out); n != 28+1 {
		t.Fatalf("下发 queued %d messages, want 28 notices + 1 confirmation", n)
	}
	golden(t, "broadcast_confirmation", one(t, only(out, dir.Remark)))
	golden(t, "broadcast_notice", one(t, only(out, czj.Remark)))

	h.At(2027, time.January, 10, 9, 30)
	h.Text(czj, "收到")
	golden(t, "ack", one(t, h.Drain()))
	h.Text(dir, "未回复")
	golden(t, "unacknowledged", one(t, h.Drain()))

	// 20 February: 县财政局 submits its self-assessment report.
	h.At(2027, time.February, 20, 10, 15)
	h.File(czj, "县财政局2026年履行教育职责自查自评报告.docx", handlerstest.Docx("自查自评报告"))
	out = h.Drain()
	if len(out) != 1 || out[0].Kind != "receipt" {
		t.Fatalf("want one receipt, got:\n%s", texts(out))
	}
	golden(t, "receipt", out[0].Text)
	h.Text(czj, "状态")
	golden(t, "status_official", one(t, h.Drain()))

	// 3 March: past the self-assessment deadline.
	h.At(2027, time.March, 3, 9, 0)
	h.File(gaj, "公安局自查报告.pdf", handlerstest.PDF("late"))
	golden(t, "receipt_late", one(t, h.Drain()))
	h.Text(dir, "未交 自查")
	golden(t, "missing", one(t, h.Drain()))
	h.Text(dir, "逾期")
	golden(t, "overdue", one(t, h.Drain()))
	h.Text(dir, "催办 民政")
	out = h.Drain()
	golden(t, "remind_confirmation", one(t, only(out, dir.Remark)))
	golden(t, "remind_notice", one(t, only(out, h.Official("mzj").Remark)))
	h.Text(dir, "催办 全部")
	out = h.Drain()
	// 26 units' lines are longer than a phone screen: the confirmation is
	// a summary and the list as a file (TestLongAnswersAtLargeRoster).
	toDir := only(out, dir.Remark)
	if got := len(textMsgs(toDir)); got != 1 {
		t.Fatalf("催办 全部: %d confirmations", got)
	}
	if got := len(out) - len(toDir); got != 25 { // 28 units, 2 submitted, the office owes nothing
		t.Errorf("催办 全部 reminded %d officials, want 25", got)
	}

	// 30 April: field inspection ends.
	h.At(2027, time.April, 30, 18, 0)
	h.Text(dir, "督导结束 4月30日")
	golden(t, "inspection_end_preview", one(t, h.Drain()))
	h.Text(dir, "确认")
	golden(t, "inspection_end", one(t, h.Drain()))

	// 10 May: the director sends the feedback file, then 反馈 财政.
	h.At(2027, time.May, 10, 10, 0)
	h.File(dir, "县财政局书面反馈意见.pdf", handlerstest.PDF("feedback czj"))
	golden(t, "director_file_held", one(t, h.Drain()))
	h.At(2027, time.May, 10, 10, 3)
	h.Text(dir, "反馈 财政")
	golden(t, "feedback_preview", one(t, h.Drain()))
	h.Text(dir, "确认")
	out = h.Drain()
	golden(t, "feedback_confirmation", one(t, only(out, dir.Remark)))
	toCzj := only(out, czj.Remark)
	if len(toCzj) != 2 || toCzj[0].FilePath == "" || toCzj[0].FileName != "县财政局书面反馈意见.pdf" {
		t.Fatalf("officials' feedback messages: %+v", toCzj)
	}
	golden(t, "feedback_notice", toCzj[1].Text)

	// 反馈 first, file second, for 县公安局.
	h.Text(dir, "反馈 公安局")
	golden(t, "feedback_waiting", one(t, h.Drain()))
	h.At(2027, time.May, 10, 10, 8)
	h.File(dir, "县公安局书面反馈意见.pdf", handlerstest.PDF("feedback gaj"))
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "即将向县公安局") {
		t.Fatalf("反馈 公安局 + file → %s", got)
	}
	h.Text(dir, "确认")
	if n := len(only(h.Drain(), gaj.Remark)); n != 2 {
		t.Fatalf("公安局 got %d feedback messages, want 2", n)
	}

	// 12 May: the plan, as text.
	h.At(2027, time.May, 12, 16, 0)
	h.Text(czj, "收到")
	h.Drain()
	h.Text(czj, "整改方案："+planText)
	golden(t, "plan_preview", one(t, h.Drain()))
	h.At(2027, time.May, 12, 16, 2)
	h.Text(czj, "确认")
	golden(t, "receipt_text_plan", one(t, h.Drain()))

	h.Text(dir, "整改期限 财政局 2027/6/30")
	golden(t, "rectification_due_preview", one(t, h.Drain()))
	h.Text(dir, "确认")
	out = h.Drain()
	golden(t, "rectification_due", one(t, only(out, dir.Remark)))
	golden(t, "rectification_due_notice", one(t, only(out, czj.Remark)))

	h.At(2027, time.May, 20, 9, 0)
	h.Text(dir, "总览")
	golden(t, "overview", one(t, h.Drain()))
	h.Text(dir, "状态") // the director's 状态 is the overview
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "2027年督导评价总览") {
		t.Errorf("director 状态 = %q", got)
	}
	h.Text(dir, "查询 财政")
	golden(t, "query", one(t, h.Drain()))

	h.Text(dir, "导出")
	out = h.Drain()
	if len(out) != 2 || out[1].FilePath == "" || out[1].FileName != "2027年督导评价台账.xlsx" {
		t.Fatalf("导出: %+v", out)
	}
	golden(t, "export", out[0].Text)

	// The audit trail names who did each change.
	trail, err := h.Store.AuditTrail(context.Background(), 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range trail {
		got = append(got, e.Action+"/"+e.Actor)
	}
	for _, want := range []string{
		"ack/督导-财政局", "submission/督导-财政局", "feedback/督导办主任",
		"submission/督导-财政局", "rectification_due/督导办主任",
	} {
		if !containsInOrder(&got, want) {
			t.Errorf("audit trail lacks %s (in order): %v", want, got)
		}
	}
	all, err := h.Store.AuditTrail(context.Background(), 2027, "")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range all {
		actions = append(actions, e.Action+"/"+e.Actor)
	}
	for _, want := range []string{"broadcast/督导办主任", "inspection_end/督导办主任", "urge/督导办主任"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit trail lacks %s: %v", want, actions)
		}
	}
}

// containsInOrder consumes list up to and including want.
func containsInOrder(list *[]string, want string) bool {
	for i, s := range *list {
		if s == want {
			*list = (*list)[i+1:]
			return true
		}
	}
	return false
}

// Ensure a file that could be the self-assessment or the plan is kept
// safely, the official is asked, and the answer files it with a receipt.
func TestFileChoice(t *testing.T) {
	h := handlerstest.New(t)
	dir, czj := h.Director(), h.Official("czj")
	h.At(2027, time.February, 20, 9, 0)
	h.Text(dir, "反馈 财政")
	h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
	h.Text(dir, "确认")
	h.Drain()
	h.File(czj, "材料.docx", handlerstest.Docx("x"))
	golden(t, "choice_question", one(t, h.Drain()))
	subs, _ := h.Store.Submissions(context.Background(), 2027, "czj")
	if len(subs) != 1 || subs[0].Stage != rules.StageSupporting {
		t.Fatalf("before the answer: %+v", subs)
	}
	h.Text(czj, "2")
	receipt := one(t, h.Drain())
	if !strings.Contains(receipt, "材料：整改方案（第1版）") {
		t.Errorf("receipt after 2:\n%s", receipt)
	}
	subs, _ = h.Store.Submissions(context.Background(), 2027, "czj")
	if len(subs) != 1 || subs[0].Stage != rules.StageRectificationPlan {
		t.Fatalf("after the answer: %+v", subs)
	}
	// A second 2 has nothing pending: one line says so, not the menu.
	h.Text(czj, "2")
	if got := one(t, h.Drain()); got != "目前没有等待您回复数字的问题。发送“帮助”查看全部。" {
		t.Errorf("stray 2 = %q", got)
	}
}

// Ensure a file sent after the stage's deadline is a new version of that
// stage (it used to be kept as supporting material), lateness stays judged
// on version 1, and the sender can still choose 补充材料.
func TestLateFileIsNewVersion(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	czj := h.Official("czj")
	h.At(2027, time.February, 20, 9, 0)
	h.File(czj, "自查.docx", handlerstest.Docx("a"))
	h.Drain()
	h.At(2027, time.March, 10, 9, 0) // self-assessment in, deadline passed, no feedback yet
	h.File(czj, "自查（修改稿）.docx", handlerstest.Docx("a2"))
	golden(t, "receipt_version2", one(t, h.Drain()))
	uy, _ := h.Store.UnitYear(ctx, 2027, "czj")
	if st := rules.StageStatusOf(h.Opts.Calendar, uy, rules.StageSelfAssessment, h.Clock.Now()); st.Kind != rules.StatusOnTime || st.Versions != 2 {
		t.Errorf("after a late version 2: %+v (want on time, judged on version 1)", st)
	}
	h.At(2027, time.March, 10, 9, 5)
	h.File(czj, "照片说明.docx", handlerstest.Docx("b"))
	h.Drain()
	h.Text(czj, "补充材料")
	golden(t, "receipt_supporting", one(t, h.Drain()))
	subs, _ := h.Store.Submissions(ctx, 2027, "czj")
	if len(subs) != 3 || subs[1].Version != 2 || subs[2].Stage != rules.StageSupporting || subs[2].OriginalName != "照片说明.docx" {
		t.Fatalf("after 补充材料: %+v", subs)
	}
	// Too late to change it: a clear refusal.
	h.At(2027, time.March, 10, 9, 30)
	h.Text(czj, "补充材料")
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "没有可改为补充材料的文件") {
		t.Errorf("补充材料 again → %s", got)
	}
}

// Ensure the same message delivered twice is handled once, and a re-run
// after a crash never duplicates a reply.
func TestDuplicateDelivery(t *testing.T) {
	h := handlerstest.New(t)
	czj := h.Official("czj")
	h.At(2027, time.February, 20, 9, 0)
	in := h.File(czj, "自查.docx", handlerstest.Docx("a"))
	in2 := in
	in2.From.UserName = "@新会话" // re-login: a new handle, the same remark
	h.Send(in2)
	h.Send(in)
	if out := h.Drain(); len(out) != 1 {
		t.Fatalf("%d messages for one file, want 1 receipt", len(out))
	}
	// Same MsgID from a different sender is a different message.
	other := in
	other.From = h.Official("gaj")
	other.Key.Sender = ""
	h.Send(other)
	if out := h.Drain(); len(out) != 1 {
		t.Fatalf("%d messages for 公安局's file, want 1", len(out))
	}
}

// Ensure Recover re-runs unhandled texts and asks for unhandled files again.
func TestRecover(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	now := h.Clock.Now()
	czj := h.Official("czj")
	// As if the process died after the inbox commit.
	k1 := rules.InboundKey{Sender: czj.Remark, MsgID: "9001", CreateTime: now.Unix()}
	k2 := rules.InboundKey{Sender: czj.Remark, MsgID: "9002", CreateTime: now.Unix()}
	if _, err := h.Store.RecordInbound(ctx, k1, rules.MsgText, "状态", now); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.RecordInbound(ctx, k2, rules.MsgFile, "自查报告.docx", now); err != nil {
		t.Fatal(err)
	}
	if err := h.Intake.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	out := h.Drain()
	if len(out) != 2 || !strings.Contains(out[0].Text, "县财政局 2027年督导评价情况") {
		t.Fatalf("recover:\n%s", texts(out))
	}
	golden(t, "recover_file", out[1].Text)
	left, err := h.Store.UnhandledInbound(ctx)
	if err != nil || len(left) != 0 {
		t.Fatalf("unhandled after recover: %v %v", left, err)
	}
	if err := h.Intake.Recover(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	if out := h.Drain(); len(out) != 0 {
		t.Fatalf("second recover queued %d", len(out))
	}
}

// Ensure Recover does not ask for a file again when the process died after
// its submission was committed (with its receipt, in the same transaction)
// but before the inbox row was marked handled: the official would get both
// a receipt and 「因系统重启未能登记，请重新发送」 for one file. Seen in the
// crash test (proof/crash TestKillWhileFilesArrive, receipted_and_resend).
func TestRecoverFileAlreadyFiled(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	now := h.Clock.Now()
	czj := h.Official("czj")
	filed := rules.InboundKey{Sender: czj.Remark, MsgID: "9101", CreateTime: now.Unix()}
	lost := rules.InboundKey{Sender: czj.Remark, MsgID: "9102", CreateTime: now.Unix() + 60}
	if _, err := h.Store.RecordInbound(ctx, filed, rules.MsgFile, "自查报告 (终稿).pdf", now); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.RecordInbound(ctx, lost, rules.MsgFile, "自查报告 (终稿).pdf", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	sub := rules.Submission{Year: 2027, UnitKey: "czj", Stage: rules.StageSelfAssessment, Official: czj.Remark,
		OriginalName: docstore.SanitizeName("自查报告 (终稿).pdf"), StoredPath: "ab/cd.pdf", Size: 10, SHA256: strings.Repeat("ab", 32), ReceivedAt: now}
	if _, err := h.Store.AddSubmission(ctx, sub, czj.Remark, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Intake.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	out := h.Drain()
	if len(out) != 1 || !strings.Contains(out[0].Text, "09:01") || !strings.Contains(out[0].Text, "请重新发送") {
		t.Fatalf("recover: want one resend request, for the file that was not filed (09:01):\n%s", texts(out))
	}
	if left, err := h.Store.UnhandledInbound(ctx); err != nil || len(left) != 0 {
		t.Fatalf("unhandled after recover: %v %v", left, err)
	}
}

// Ensure the asynchronous workers keep each sender's order and Stop drains.
func TestAsyncWorkers(t *testing.T) {
	h := handlerstest.New(t, handlerstest.Async())
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	for _, u := range []string{"czj", "gaj", "mzj"} {
		h.Text(h.Official(u), "状态")
		h.Text(h.Official(u), "帮助")
	}
	h.Intake.Start(ctx)
	if err := h.Intake.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	out := h.Drain()
	if len(out) != 6 {
		t.Fatalf("%d replies, want 6", len(out))
	}
	for _, u := range []string{"czj", "gaj", "mzj"} {
		got := only(out, h.Official(u).Remark)
		if len(got) != 2 || !strings.Contains(got[0].Text, "督导评价情况") || !strings.Contains(got[1].Text, "您可以") {
			t.Errorf("%s order wrong:\n%s", u, texts(got))
		}
	}
	if err := h.Intake.Accept(ctx, rules.Inbound{From: h.Official("czj"), Kind: rules.MsgText, Text: "状态"}); err == nil {
		t.Error("Accept after Stop succeeded")
	}
}
