package handlers_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers/handlerstest"
)

// Ensure 调阅 sends back the stored files: by default the latest version of
// each stage, listed with their 校验码 before the files; a named stage and
// version send that one; a bad stage or version is named.
func TestRetrieve(t *testing.T) {
	h := handlerstest.New(t)
	czj, dir := h.Official("czj"), h.Director()
	v1, v2 := handlerstest.Docx("县财政局自查 第一稿"), handlerstest.Docx("县财政局自查 修改稿")
	h.At(2027, time.February, 20, 9, 0)
	h.File(czj, "县财政局自查自评报告.docx", v1)
	h.At(2027, time.February, 25, 9, 0)
	h.File(czj, "县财政局自查自评报告（修改稿）.docx", v2)
	h.Drain()

	h.Clock.Advance(time.Minute)
	h.Text(dir, "调阅 财政")
	out := h.Drain()
	if len(out) != 2 || out[0].FilePath != "" || out[1].FilePath == "" {
		t.Fatalf("调阅 queued %d messages, want the list then one file:\n%s", len(out), texts(out))
	}
	golden(t, "retrieve_latest", out[0].Text)
	if out[1].FileName != "县财政局自查自评报告（修改稿）.docx" || out[1].To.Remark != dir.Remark {
		t.Errorf("file %q to %+v, want version 2 to the director", out[1].FileName, out[1].To)
	}
	if got := readStored(t, h, out[1].FilePath); !bytes.Equal(got, v2) {
		t.Errorf("the sent file is not version 2's bytes")
	}

	h.Clock.Advance(time.Minute)
	h.Text(dir, "调阅 财政局 自查 第1版")
	out = h.Drain()
	if len(out) != 2 || out[1].FileName != "县财政局自查自评报告.docx" || !bytes.Equal(readStored(t, h, out[1].FilePath), v1) {
		t.Fatalf("调阅 version 1:\n%s", texts(out))
	}

	// The official may read their own unit, with or without its name.
	for _, cmd := range []string{"调阅", "调阅 财政局 自查"} {
		h.Clock.Advance(time.Minute)
		h.Text(czj, cmd)
		out = h.Drain()
		if len(out) != 2 || out[1].To.Remark != czj.Remark || out[1].FileName != "县财政局自查自评报告（修改稿）.docx" {
			t.Fatalf("official %s:\n%s", cmd, texts(out))
		}
	}

	for _, tc := range []struct{ name, cmd, want string }{
		{"retrieve_bad_version", "调阅 财政局 自查 第3版", ""},
		{"", "调阅 财政局 整改方案", "县财政局尚未报送整改方案。"},
		{"", "调阅 财政局 自查报告书", "“自查报告书”不是阶段或版本。"},
		{"", "调阅 财政局 第2版", "请同时写明阶段，如“调阅 县财政局 自查 第2版”。"},
		{"", "调阅 财政局 反馈", "书面反馈意见是督导办发出的文件，不在调阅范围。"},
		{"", "调阅", "请写明要调阅的单位"},
		{"", "调阅 公安", "县公安局今年还没有报送材料。"},
		{"", "调阅 财政局 补充材料", "县财政局今年没有补充材料。"},
	} {
		h.Clock.Advance(time.Minute)
		h.Text(dir, tc.cmd)
		got := one(t, h.Drain())
		if tc.name != "" {
			golden(t, tc.name, got)
			continue
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s → %s\nwant a reply starting %s", tc.cmd, got, tc.want)
		}
	}

	trail, err := h.Store.AuditTrail(t.Context(), 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range trail {
		if e.Action == "retrieve" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d retrieve audit rows, want 4 (one per 调阅 that sent files)", n)
	}
}

// Ensure the default 调阅 sends one file per stage and points to the
// supporting material instead of sending it.
func TestRetrieveEachStageLatest(t *testing.T) {
	h := handlerstest.New(t)
	czj, dir := h.Official("czj"), h.Director()
	h.At(2027, time.February, 20, 9, 0)
	h.File(czj, "县财政局自查自评报告.docx", handlerstest.Docx("自查"))
	h.At(2027, time.February, 20, 9, 5)
	h.File(czj, "县财政局工作台账.pdf", handlerstest.PDF("台账"))
	h.Text(czj, "补充材料") // filed as version 2 by the calendar; the sender knows better
	h.Drain()
	h.Clock.Advance(time.Minute)
	h.Text(dir, "调阅 财政局")
	out := h.Drain()
	if len(out) != 2 {
		t.Fatalf("调阅 queued %d messages:\n%s", len(out), texts(out))
	}
	if !strings.Contains(out[0].Text, "另有补充材料1份，发送“调阅 县财政局 补充材料”可调阅。") {
		t.Errorf("the list does not point to the supporting material:\n%s", out[0].Text)
	}
	h.Clock.Advance(time.Minute)
	h.Text(dir, "调阅 财政局 补充材料")
	out = h.Drain()
	if len(out) != 2 || out[1].FileName != "县财政局工作台账.pdf" {
		t.Fatalf("调阅 补充材料:\n%s", texts(out))
	}
}

func readStored(t *testing.T, h *handlerstest.Harness, path string) []byte {
	t.Helper()
	f, err := h.Files.Open(path)
	if err != nil {
		t.Fatalf("open stored %s: %v", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
