package handlers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// Ensure a bare 整改方案 waits for the text, and a plan before feedback is
// refused with what to do.
func TestPlanInTwoMessages(t *testing.T) {
	h := handlerstest.New(t)
	czj, dir := h.Official("czj"), h.Director()
	h.At(2027, time.May, 2, 9, 0)
	h.Text(czj, "整改方案 我们将加强经费保障。")
	if got := one(t, h.Drain()); !strings.Contains(got, "尚未收到督导办的书面反馈意见") {
		t.Errorf("plan before feedback → %s", got)
	}
	h.Text(dir, "反馈 财政")
	h.File(dir, "反馈.pdf", handlerstest.PDF("fb"))
	h.Text(dir, "确认")
	h.Drain()
	h.Text(czj, "整改方案")
	if got := one(t, h.Drain()); !strings.Contains(got, "请在10分钟内直接发送整改方案全文（不少于50字") {
		t.Errorf("bare 整改方案 → %s", got)
	}
	h.At(2027, time.May, 2, 9, 5)
	const plan = "一、加强经费保障，一般公共预算教育支出逐年只增不减。\n二、按时足额拨付生均公用经费，预算科负责，6月底前完成。"
	h.Text(czj, plan)
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "即将以文字报送县财政局的整改方案") {
		t.Errorf("plan text → %s", got)
	}
	h.Text(czj, "确认")
	if got := one(t, h.Drain()); !strings.Contains(got, "材料：整改方案（第1版）") {
		t.Errorf("plan text → %s", got)
	}
	subs, _ := h.Store.Submissions(context.Background(), 2027, "czj")
	if len(subs) != 1 || !subs[0].IsText {
		t.Fatalf("subs %+v", subs)
	}
	f, err := h.Files.Open(subs[0].StoredPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1000)
	n, _ := f.Read(buf)
	if string(buf[:n]) != plan {
		t.Errorf("stored plan %q", buf[:n])
	}
	// Past the window the text is just unknown text.
	h.Text(czj, "整改方案")
	h.Drain()
	h.At(2027, time.May, 2, 9, 30)
	h.Text(czj, "补充一条")
	if got := one(t, h.Drain()); got != "没能理解“补充一条”。发送“帮助”查看全部。" {
		t.Errorf("late text → %s", got)
	}
}

// Ensure 下发 then a file broadcasts the file with the notice.
func TestBroadcastFile(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.Text(dir, "下发")
	if got := one(t, h.Drain()); !strings.Contains(got, "请在10分钟内发送要下发") {
		t.Errorf("bare 下发 → %s", got)
	}
	h.File(dir, "2027年实施细则.pdf", handlerstest.PDF("rules"))
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "即将向28个单位的28位联系人下发文件《2027年实施细则.pdf》") {
		t.Errorf("下发 + file → %s", got)
	}
	h.Text(dir, "确认")
	out := h.Drain()
	czj := only(out, h.Official("czj").Remark)
	if len(czj) != 2 || czj[0].FileName != "2027年实施细则.pdf" || !strings.Contains(czj[1].Text, "《2027年实施细则.pdf》") {
		t.Fatalf("officials' messages: %+v", czj)
	}
	h.Text(dir, "未回复")
	if got := one(t, h.Drain()); !strings.Contains(got, "文件《2027年实施细则.pdf》") {
		t.Errorf("未回复 → %s", got)
	}
}

// failingStore makes the year's data unreadable, or panics.
type failingStore struct {
	handlers.SubmissionStore
	panics bool
}

func (f failingStore) UnitYears(ctx context.Context, year int) ([]rules.UnitYear, error) {
	if f.panics {
		panic("boom")
	}
	return nil, errors.New("storage: unit years: disk I/O error at /var/lib/secret.db")
}

// Ensure internal errors and panics become one fixed apology, never
// internal text, and the bot keeps going.
func TestInternalErrors(t *testing.T) {
	for _, panics := range []bool{false, true} {
		h := handlerstest.New(t, func(o *handlers.Options) {
			o.Submissions = failingStore{SubmissionStore: o.Submissions, panics: panics}
		})
		h.Text(h.Director(), "总览")
		if got := one(t, h.Drain()); got != "系统暂时无法处理，请稍后再试。" {
			t.Errorf("panics=%v → %s", panics, got)
		}
		h.Text(h.Director(), "帮助")
		if got := one(t, h.Drain()); !strings.Contains(got, "可用命令") {
			t.Errorf("after failure → %s", got)
		}
		left, _ := h.Store.UnhandledInbound(context.Background())
		if len(left) != 0 {
			t.Errorf("failed message left unhandled: %v", left)
		}
	}
}
