package handlers_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// Evidence files for 整改完成: the command then a photo, a refused type and
// an oversized file (nothing stored, the wait goes on), a file sent first
// then the command (its stage version withdrawn in the same step), and
// text after a bare 整改完成.
func TestDoneEvidenceFiles(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	dir, czj := h.Director(), h.Official("czj")
	problemsDelivered(t, h)
	h.At(2027, time.May, 12, 9, 0)
	h.Text(czj, "整改措施\n1. 措施：补齐台账；时限：6月30日\n2. 措施：排查隐患；时限：6月10日\n3. 措施：建立机制；时限：7月15日")
	h.Drain()

	// The command first, then a refused file, an oversized one, then a photo.
	h.At(2027, time.June, 5, 9, 0)
	h.Text(czj, "整改完成 2")
	golden(t, "evidence_wait", one(t, h.Drain()))
	h.File(czj, "整改.exe", []byte("MZ"))
	golden(t, "evidence_bad_type", one(t, h.Drain()))
	h.Send(rules.Inbound{From: czj, Kind: rules.MsgFile, File: &rules.InboundFile{Name: "整改前后.pdf", Size: h.Opts.MaxFileBytes + 1,
		Open: handlerstest.FileOf("x.pdf", handlerstest.PDF("x")).Open}})
	golden(t, "evidence_oversized", one(t, h.Drain()))
	if p, _ := h.Store.Problem(ctx, "财政-2027-02"); len(p.Events) != 0 {
		t.Fatalf("a refused file was recorded: %+v", p.Events)
	}
	if subs, _ := h.Store.Submissions(ctx, 2027, "czj"); len(subs) != 1 { // the plan only
		t.Fatalf("a refused file was filed: %+v", subs)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), []byte("evidence photo of item 2")...)
	h.At(2027, time.June, 5, 9, 4)
	photo := h.Send(rules.Inbound{From: czj, Kind: rules.MsgImage, File: handlerstest.FileOf("", png)})
	msgs := h.Drain()
	golden(t, "evidence_photo", one(t, only(msgs, czj.Remark)))
	toDir := only(msgs, dir.Remark)
	if len(toDir) != 2 || !strings.Contains(toDir[0].Text, "佐证文件《图片"+photo.Key.MsgID+".png》") || toDir[1].FileName != "图片"+photo.Key.MsgID+".png" {
		t.Fatalf("the directors' notice and file:\n%+v", toDir)
	}
	p, _ := h.Store.Problem(ctx, "财政-2027-02")
	if len(p.Events) != 1 || len(p.Events[0].Evidence) != 1 {
		t.Fatalf("item 2 events = %+v", p.Events)
	}
	ev := p.Events[0].Evidence[0]
	f, err := h.Files.Open(ev.StoredPath)
	if err != nil {
		t.Fatalf("evidence %+v not stored: %v", ev, err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(b) != string(png) || len(ev.SHA256) != 64 {
		t.Fatalf("evidence %+v = %q, %v", ev, b, err)
	}
	if subs, _ := h.Store.Submissions(ctx, 2027, "czj"); len(subs) != 1 {
		t.Errorf("the photo was also filed as a submission: %+v", subs)
	}
	h.File(czj, "另一份.pdf", handlerstest.PDF("after"))
	if got := one(t, h.Drain()); !strings.Contains(got, "文件已安全保存") || strings.Contains(got, "整改完成") {
		t.Errorf("a file after the evidence is not a submission again: %s", got)
	}
	h.Text(czj, "1") // a late self-assessment version: the next file is the plan's
	h.Drain()

	// The file first, then the words: the version it was filed as is withdrawn.
	h.At(2027, time.June, 6, 10, 0)
	h.File(czj, "机制文件.pdf", handlerstest.PDF("mechanism")) // filed as the plan's second version
	receipt := one(t, h.Drain())
	h.At(2027, time.June, 6, 10, 5)
	h.Text(czj, "整改完成 3")
	got := one(t, only(h.Drain(), czj.Remark))
	golden(t, "evidence_file_first", receipt+"\n---\n"+got)
	p, _ = h.Store.Problem(ctx, "财政-2027-03")
	if len(p.Events) != 1 || p.Events[0].Evidence[0].Name != "机制文件.pdf" {
		t.Fatalf("item 3 events = %+v", p.Events)
	}
	trail, err := h.Store.AuditTrail(ctx, 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := false
	for _, a := range trail {
		withdrawn = withdrawn || (a.Action == "withdraw" && strings.Contains(a.Detail, "as_evidence=财政-2027-03"))
	}
	if !withdrawn {
		t.Errorf("no audit row for the version withdrawn as evidence")
	}
	for _, s := range mustSubs(t, h) {
		if s.OriginalName == "机制文件.pdf" && s.Stage != rules.StageSupporting {
			t.Errorf("the evidence still counts as %s v%d", s.Stage, s.Version)
		}
	}

	// A bare 整改完成, a word that is no evidence, then the text.
	h.At(2027, time.June, 20, 9, 0)
	h.Text(czj, "整改完成 1")
	h.Drain()
	h.Text(czj, "好的")
	golden(t, "evidence_text_too_short", one(t, h.Drain()))
	h.Text(czj, "已补齐2026年全部经费台账")
	if got := one(t, only(h.Drain(), czj.Remark)); got != "已收到财政-2027-01整改完成报告，等待督导办核实销号。" {
		t.Errorf("text evidence → %s", got)
	}
	// Reported with text: the wait for a file is over.
	h.At(2027, time.June, 20, 9, 10)
	h.Text(czj, "整改完成 2")
	h.Text(czj, "整改完成 2 隐患已全部排查")
	h.Drain()
	h.File(czj, "补拍.pdf", handlerstest.PDF("again"))
	if got := one(t, h.Drain()); !strings.Contains(got, "【回执】") {
		t.Errorf("a file after a text report → %s", got)
	}
	// After the wait: a file is a submission again, never evidence.
	h.At(2027, time.June, 20, 9, 30)
	h.Text(czj, "整改完成 2")
	h.Drain()
	h.At(2027, time.June, 20, 9, 45)
	h.File(czj, "迟到的照片.pdf", handlerstest.PDF("late"))
	if got := one(t, h.Drain()); !strings.Contains(got, "【回执】") {
		t.Errorf("a file after the window → %s", got)
	}
	if p, _ := h.Store.Problem(ctx, "财政-2027-02"); len(p.Events) != 2 {
		t.Errorf("a file after the window became evidence: %+v", p.Events)
	}
}

func mustSubs(t *testing.T, h *handlerstest.Harness) []rules.Submission {
	t.Helper()
	subs, err := h.Store.Submissions(context.Background(), 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	return subs
}
