package handlers_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// zeroPart is a count of zero in a short answer (「按时0」「未交0」…): such
// parts and lines are left out.
var zeroPart = regexp.MustCompile(`(按时|逾期提交|逾期|未交|已交|已送达|尚未反馈|未开始|不适用)0`)

// checkShort holds every short answer to what the director reads on a
// phone: within rules.PhoneLineBudget lines, no zero counts, each unit
// named at most once (in 逾期, once per section: a unit late with one stage
// and overdue with another is two facts).
func checkShort(t *testing.T, h *handlerstest.Harness, name, text string) {
	t.Helper()
	if n := rules.PhoneLines(text); n > rules.PhoneLineBudget {
		t.Errorf("%s takes %d phone lines, want at most %d:\n%s", name, n, rules.PhoneLineBudget, text)
	}
	if m := zeroPart.FindString(text); m != "" {
		t.Errorf("%s has a zero count %q:\n%s", name, m, text)
	}
	for _, part := range strings.Split(text, "\n逾期提交：\n") {
		checkOnce(t, h, name, part)
	}
}

func checkOnce(t *testing.T, h *handlerstest.Harness, name, text string) {
	t.Helper()
	for _, u := range h.Units {
		n := strings.Count(text, u.Name)
		for _, o := range h.Units { // a name inside a longer one is not a mention
			if o.Name != u.Name && strings.Contains(o.Name, u.Name) {
				n -= strings.Count(text, o.Name)
			}
		}
		if n > 1 {
			t.Errorf("%s names %s %d times, want once:\n%s", name, u.Name, n, text)
		}
	}
}

// TestShortAnswersAt28Units asks 总览, 未交, 逾期 and 未交 反馈 of the 28
// shipped units on 4 March (before the inspection) and on 20 May (after
// it). Before, on such days: 总览 was 571 characters with lines such as
// 「整改完成情况：按时0，逾期提交0，未交0（其中已逾期0）」; 未交 listed
// 「县委办公室（剩70天）」 for each of 28 units under the office's own
// feedback two months before the inspection ended; nothing said what had
// come in since the last digest. Now each answer leads with counts and
// with 「日报后新交：…」, names each unit once, and shows the office's
// feedback only after the inspection, as 尚未反馈, never among the units'
// 未交.
func TestShortAnswersAt28Units(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	dir := h.Director()
	digestAt := func(mo time.Month, d int) {
		at := time.Date(2027, mo, d, 17, 30, 0, 0, h.Loc)
		st := rules.DigestState{At: at, Prev: at.AddDate(0, 0, -1)}
		if err := h.Store.PutState(ctx, rules.DigestStateKey, st.String()); err != nil {
			t.Fatal(err)
		}
	}
	ask := func(golden_, text string) string {
		t.Helper()
		h.Text(dir, text)
		got := one(t, h.Drain())
		golden(t, golden_, got)
		checkShort(t, h, golden_, got)
		return got
	}

	h.At(2027, time.February, 20, 10, 0)
	h.File(h.Official("czj"), "县财政局自查自评报告.docx", handlerstest.Docx("自查自评报告"))
	h.At(2027, time.March, 2, 11, 0)
	h.File(h.Official("gaj"), "县公安局自查自评报告.docx", handlerstest.Docx("自查自评报告"))
	digestAt(time.March, 3)
	h.At(2027, time.March, 4, 8, 30)
	h.File(h.Official("wjw"), "县卫健委自查自评报告.docx", handlerstest.Docx("自查自评报告"))
	h.Drain()

	h.At(2027, time.March, 4, 9, 0)
	ov := ask("short_overview_mar4", "总览")
	mi := ask("short_missing_mar4", "未交")
	od := ask("short_overdue_mar4", "逾期")
	fb := ask("short_feedback_mar4", "未交 反馈")
	for name, text := range map[string]string{"总览": ov, "未交": mi} {
		if !strings.Contains(text, "日报后新交：县卫健委（自查自评报告）") {
			t.Errorf("%s does not lead with what came since the last digest:\n%s", name, text)
		}
		if strings.Contains(text, "反馈") || strings.Contains(text, "剩") {
			t.Errorf("%s shows the office's feedback before the inspection ended:\n%s", name, text)
		}
	}
	if !strings.Contains(od, "县卫健委（自查自评报告逾期3天提交）") || !strings.Contains(od, "县公安局（自查自评报告逾期1天提交）") {
		t.Errorf("逾期 lacks the late submissions:\n%s", od)
	}
	if !strings.Contains(fb, "实地督导尚未结束") {
		t.Errorf("未交 反馈 before the inspection ended:\n%s", fb)
	}

	// After the inspection (ended 30 April): feedback delivered to two
	// units, one plan in, one plan overdue.
	for _, k := range []string{"czj", "gaj"} {
		h.At(2027, time.May, 6, 15, 0)
		if _, err := h.Store.RecordFeedback(ctx, rules.FeedbackDelivery{Year: 2027, UnitKey: k, DeliveredAt: h.Clock.Now(),
			Director: dir.Remark, OriginalName: k + "反馈意见.docx", StoredPath: "fb/" + k, SHA256: "00", Size: 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	digestAt(time.May, 19)
	h.At(2027, time.May, 20, 8, 0)
	h.File(h.Official("czj"), "县财政局整改方案.docx", handlerstest.Docx("整改方案"))
	h.Drain()
	h.At(2027, time.May, 20, 9, 0)
	ov = ask("short_overview_may20", "总览")
	mi = ask("short_missing_may20", "未交")
	ask("short_overdue_may20", "逾期")
	fb = ask("short_feedback_may20", "未交 反馈")
	if !strings.Contains(ov, "书面反馈意见（督导办）：已送达2，尚未反馈25（均已逾期）") || !strings.Contains(ov, "日报后新交：县财政局（整改方案）") {
		t.Errorf("总览 of 20 May:\n%s", ov)
	}
	if !strings.Contains(mi, "督导办尚未反馈：25个单位（截止2027年5月14日，已逾期6天）") {
		t.Errorf("未交 of 20 May lacks the office's feedback line:\n%s", mi)
	}
	if strings.Contains(fb, "县财政局") || !strings.Contains(fb, "督导办尚未反馈（25个") {
		t.Errorf("未交 反馈 of 20 May:\n%s", fb)
	}
}
