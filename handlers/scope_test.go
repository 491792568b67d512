package handlers_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// The office's own unit is not evaluated. Before, its 状态 on 20 May said
// 「自查自评报告：截止2027年3月1日；已逾期80天」 and 总览 listed it under
// 书面反馈意见 未交; now every stage is 不适用.
func TestOfficeOwnStatus(t *testing.T) {
	h := handlerstest.New(t)
	h.At(2027, time.May, 20, 9, 0)
	h.Text(h.Official("ddb"), "状态")
	got := one(t, h.Drain())
	golden(t, "status_office_may20", got)
	if strings.Contains(got, "逾期") || strings.Contains(got, "尚需报送") {
		t.Errorf("the office's own 状态 still claims something is owed:\n%s", got)
	}
	h.Text(h.Director(), "总览")
	if ov := one(t, h.Drain()); strings.Contains(ov, "县人民政府教育督导委员会办公室") {
		t.Errorf("总览 lists the office itself:\n%s", ov)
	}
}

// Every status line is true on the day it is shown: the office's feedback
// promise 「将于5月14日前送达」 turns into 「尚未送达（应于5月14日前）」 once
// 14 May has passed (before, 20 May still said 「将于5月14日前送达」).
func TestStatusFeedbackLineByDate(t *testing.T) {
	for _, tc := range []struct {
		day  int
		hour int
		want string
	}{
		{10, 9, "书面反馈意见：督导办将于2027年5月14日前送达"},
		{14, 23, "书面反馈意见：督导办将于2027年5月14日前送达"},
		{15, 0, "书面反馈意见：督导办尚未送达（应于2027年5月14日前）"},
		{20, 9, "书面反馈意见：督导办尚未送达（应于2027年5月14日前）"},
	} {
		h := handlerstest.New(t)
		h.At(2027, time.May, tc.day, tc.hour, 0)
		h.Text(h.Official("czj"), "状态")
		got := one(t, h.Drain())
		if !strings.Contains(got, "\n2. "+tc.want+"\n") {
			t.Errorf("5月%d日 %02d:00: 状态 lacks %q:\n%s", tc.day, tc.hour, tc.want, got)
		}
		if tc.day == 20 {
			golden(t, "status_stale_feedback_may20", got)
		}
	}
}

// 受检单位: listing, refusals by name, preview, 确认, and what follows —
// 总览 shows 不适用 (never 未交) for units not inspected, 未交 反馈 leaves
// them out, and 反馈 to them is refused.
func TestInspectedUnits(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.At(2027, time.April, 30, 18, 0)

	h.Text(dir, "受检单位")
	golden(t, "inspected_none", one(t, h.Drain()))

	h.Text(dir, "受检单位 财政 火星局 县委 督导办")
	golden(t, "inspected_refused", one(t, h.Drain()))
	h.Text(dir, "确认")
	if got := one(t, h.Drain()); got != "目前没有需要确认的操作。" {
		t.Errorf("确认 after a refusal = %q", got)
	}

	everyoneBut := func(skip ...string) string {
		var names []string
		for _, u := range h.Units {
			if u.Key != "ddb" && !slices.Contains(skip, u.Key) {
				names = append(names, u.Aliases[0])
			}
		}
		return strings.Join(names, " ")
	}
	h.Text(dir, "受检单位 "+everyoneBut("gaj", "mzj"))
	golden(t, "inspected_preview", one(t, h.Drain()))

	if in, err := h.Store.Inspected(context.Background(), 2027); err != nil || in.Marked {
		t.Fatalf("stored before 确认: %+v %v", in, err)
	}
	h.Text(dir, "确认")
	golden(t, "inspected_confirmed", one(t, h.Drain()))
	in, err := h.Store.Inspected(context.Background(), 2027)
	if err != nil || !in.Marked || in.Has("gaj") || in.Has("mzj") || !in.Has("czj") {
		t.Fatalf("stored set = %+v, %v", in, err)
	}
	h.Text(dir, "受检单位")
	golden(t, "inspected_list", one(t, h.Drain()))

	h.At(2027, time.May, 20, 9, 0)
	h.Text(dir, "总览")
	ov := one(t, h.Drain())
	golden(t, "overview_not_inspected", ov)
	// 28 units: the two not inspected and the office are not owed
	// feedback, so 25 wait for it; nobody owes a plan yet (no line); the
	// two units not inspected are named once, under the report they owe.
	if !strings.Contains(ov, "书面反馈意见（督导办）：尚未反馈25（均已逾期）") {
		t.Errorf("总览 does not count 25 units waiting for feedback:\n%s", ov)
	}
	if strings.Contains(ov, "整改") {
		t.Errorf("总览 has a rectification line while no unit owes one:\n%s", ov)
	}
	for _, name := range []string{"县公安局", "县民政局"} {
		if n := strings.Count(ov, name); n != 1 {
			t.Errorf("总览 names %s %d times, want once:\n%s", name, n, ov)
		}
	}
	h.Text(dir, "未交 反馈")
	if got := one(t, h.Drain()); strings.Contains(got, "县公安局") || strings.Contains(got, "县民政局") || strings.Contains(got, "督导委员会办公室") {
		t.Errorf("未交 反馈 lists a unit feedback does not apply to:\n%s", got)
	}
	h.Text(dir, "反馈 公安局")
	golden(t, "feedback_not_inspected", one(t, h.Drain()))
	h.Text(h.Official("gaj"), "状态")
	if got := one(t, h.Drain()); !strings.Contains(got, "书面反馈意见：不适用（本单位今年不是受检单位）") || !strings.Contains(got, "整改方案：不适用") {
		t.Errorf("状态 of a unit not inspected:\n%s", got)
	}

	// An official may not mark inspected units.
	h.Text(h.Official("czj"), "受检单位 财政")
	if got := one(t, h.Drain()); strings.Contains(got, "已登记") || strings.Contains(got, "将把") {
		t.Errorf("official's 受检单位 = %q", got)
	}
	trail, err := h.Store.AuditTrail(context.Background(), 2027, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range trail {
		found = found || (e.Action == "inspected" && e.Actor == dir.Remark)
	}
	if !found {
		t.Error("受检单位 not in the audit trail")
	}
}

// Leaving out a unit that already had its feedback is said in the preview:
// its plan would stop being owed.
func TestInspectedWarnsDeliveredFeedback(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.At(2027, time.May, 5, 10, 0)
	if _, err := h.Store.RecordFeedback(context.Background(), rules.FeedbackDelivery{Year: 2027, UnitKey: "mzj",
		DeliveredAt: h.Clock.Now(), Director: dir.Remark, OriginalName: "民政局反馈.pdf", StoredPath: "x/y.pdf", SHA256: "00", Size: 1}, nil); err != nil {
		t.Fatal(err)
	}
	h.Text(dir, "受检单位 财政 公安")
	got := one(t, h.Drain())
	if !strings.Contains(got, "注意：已向县民政局送达书面反馈意见，未列入后其整改方案不再要求、不再提醒。") {
		t.Errorf("preview does not warn about 县民政局's delivered feedback:\n%s", got)
	}
	h.Text(dir, "受检单位 财政 公安 民政")
	if got := one(t, h.Drain()); strings.Contains(got, "注意") {
		t.Errorf("warning although 县民政局 is listed:\n%s", got)
	}
}
