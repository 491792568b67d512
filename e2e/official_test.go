package e2e_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// Ensure an official who never types a menu command gets through the
// season in plain words through the real openwechat client (issue 18
// "Done when"): a greeting, a question, the report file, 「好的，收到」 to a
// notice, 「已收到，谢谢」 to the feedback, 「谢谢」. It ends with the
// unit's report filed, every notice acknowledged and no 「抱歉，没有识别」
// anywhere in the official's transcript, which is pinned in
// e2e/testdata/official_season.golden.
func TestOfficialInPlainWords(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, mzj := h.Director(), h.Official("mzj")
	ctx := context.Background()
	var transcript strings.Builder
	// say sends the official's words and records the reply that matches.
	say := func(text string, reply func(wxsim.Sent) bool) string {
		t.Helper()
		h.Say(mzj, text)
		got := h.WaitFor(mzj, reply).Text
		transcript.WriteString("> " + text + "\n" + got + "\n\n")
		return got
	}

	// 10 January: hello, the office's notice, how to submit, 收到.
	h.SetTime(2027, time.January, 10, 9, 0)
	say("你好", apptest.TextPrefix("您好，县民政局的同志。"))
	h.Say(dir, "下发 请各单位对照指标体系开展自查自评，于3月1日前报送自查自评报告。")
	h.WaitFor(dir, apptest.TextPrefix("即将向28个单位"))
	h.Say(dir, "确认")
	notice := h.WaitFor(mzj, apptest.TextHas("请各单位对照指标体系")).Text
	transcript.WriteString("（督导办下发）\n" + notice + "\n\n")
	h.SetTime(2027, time.January, 10, 9, 30)
	if got := say("怎么交材料", apptest.TextPrefix("把")); got != "把自查自评报告的Word或PDF直接发到这里，截止3月1日，还剩50天。" {
		t.Errorf("怎么交材料 → %s", got)
	}
	say("好的，收到", apptest.TextPrefix("已登记县民政局确认收到"))

	// 20 February: the report, as a file, and a question about it.
	h.SetTime(2027, time.February, 20, 10, 15)
	const reportName = "县民政局2026年度自查自评报告.docx"
	h.SendFile(mzj, reportName, apptest.Docx("县民政局2026年度自查自评报告"))
	receipt := h.WaitFor(mzj, apptest.TextPrefix("【回执】")).Text
	transcript.WriteString("> ［文件］" + reportName + "\n" + receipt + "\n\n")
	say("我们单位交了吗", apptest.TextPrefix("县民政局 2027年"))

	// 30 April and 10 May: the director ends the inspection (a date as
	// people type it) and sends the unit's feedback.
	h.SetTime(2027, time.April, 30, 18, 0)
	h.Say(dir, "督导结束 4.30")
	h.WaitFor(dir, apptest.TextPrefix("即将登记：实地督导于2027年4月30日结束"))
	h.Say(dir, "确认")
	h.WaitFor(dir, apptest.TextHas("已登记"))
	h.SetTime(2027, time.May, 10, 10, 0)
	h.SendFile(dir, "县民政局书面反馈意见.pdf", apptest.PDF("县民政局书面反馈意见"))
	h.WaitFor(dir, apptest.AnyMessage)
	h.Say(dir, "反馈 民政")
	h.WaitFor(dir, apptest.TextPrefix("即将向县民政局"))
	h.Say(dir, "确认")
	h.WaitFor(mzj, apptest.FileNamed("县民政局书面反馈意见.pdf"))
	feedback := h.WaitFor(mzj, apptest.TextHas("书面反馈意见")).Text
	transcript.WriteString("（督导办送达书面反馈意见）\n" + feedback + "\n\n")
	h.SetTime(2027, time.May, 10, 11, 0)
	say("已收到，谢谢", apptest.TextPrefix("已登记县民政局确认收到"))
	say("谢谢", apptest.TextPrefix("不客气"))

	golden(t, "official_season", strings.TrimSuffix(transcript.String(), "\n\n"))

	// The unit's report is filed as its self-assessment, on time.
	subs, err := h.App.Store.Submissions(ctx, 2027, "mzj")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(subs, func(s rules.Submission) bool {
		return s.Stage == rules.StageSelfAssessment && s.OriginalName == reportName && s.OnTime
	}) {
		t.Errorf("县民政局's report is not filed as its self-assessment: %+v", subs)
	}
	// Every notice and the feedback are acknowledged.
	bs, err := h.App.Store.Broadcasts(ctx, 2027)
	if err != nil {
		t.Fatal(err)
	}
	kinds := 0
	for _, b := range bs {
		if b.UnitKey != "" && b.UnitKey != "mzj" {
			continue
		}
		kinds++
		open, err := h.App.Store.Unacknowledged(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(open, "mzj") {
			t.Errorf("%s %d is not acknowledged by 县民政局", b.Kind, b.ID)
		}
	}
	if kinds != 2 {
		t.Errorf("县民政局 was sent %d notices, want the notice and the feedback", kinds)
	}
	// Nothing the official said was refused as unreadable.
	for _, m := range h.Messages(mzj) {
		if strings.Contains(m.Text, "抱歉，没有识别") || strings.Contains(m.Text, "没能理解") {
			t.Errorf("the official was told %q", m.Text)
		}
	}
}
