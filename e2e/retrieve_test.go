package e2e_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
)

// Ensure 调阅 sends a unit's file back through the real openwechat client:
// the director receives the very bytes the official sent (same SHA-256),
// after a list that names the file with its 校验码.
func TestRetrieveThroughWeChat(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t)
	dir, czj := h.Director(), h.Official("czj")
	h.SetTime(2027, time.February, 20, 10, 15)
	report := apptest.Docx("县财政局2026年度自查自评报告 调阅")
	const name = "县财政局2026年度自查自评报告.docx"
	h.SendFile(czj, name, report)
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))

	h.SetTime(2027, time.February, 21, 9, 0)
	h.Say(dir, "调阅 财政")
	list := h.WaitFor(dir, apptest.TextPrefix("已调阅县财政局的材料1份")).Text
	if !strings.Contains(list, "《"+name+"》") || !strings.Contains(list, "校验码 "+sha(report)[:12]) {
		t.Errorf("the list does not name the file with its 校验码:\n%s", list)
	}
	got := h.WaitFor(dir, apptest.FileNamed(name))
	if got.SHA256 != sha(report) || got.Size != int64(len(report)) {
		t.Errorf("director received %d bytes, sha256 %s; the official sent %d bytes, sha256 %s",
			got.Size, got.SHA256, len(report), sha(report))
	}
	// The official reads their own unit's file the same way.
	h.Say(czj, "调阅")
	if own := h.WaitFor(czj, apptest.FileNamed(name)); own.SHA256 != sha(report) {
		t.Errorf("official received sha256 %s, want %s", own.SHA256, sha(report))
	}
}
