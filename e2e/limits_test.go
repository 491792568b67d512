package e2e_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/config"
)

// TestUnitDailyQuota (issue 12, finding 6): once a unit's files of the day
// reach files.unit_daily_bytes, the next file is refused with a Chinese
// reply naming the limit and nothing is stored; the next day it is taken.
func TestUnitDailyQuota(t *testing.T) {
	t.Parallel()
	// The smallest limits the config allows: 1 MB a file, and a day's
	// quota no smaller than one file. Two files of about 0.6 MB each pass
	// the file limit, and the second one goes over the day's quota.
	first, second := sizedDocx(t, 1, 600<<10), sizedDocx(t, 2, 600<<10)
	if len(first)+len(second) <= 1<<20 || len(first) > 1<<20 || len(second) > 1<<20 {
		t.Fatalf("files of %d and %d bytes: want each ≤ 1 MB and both > 1 MB", len(first), len(second))
	}
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))),
		apptest.WithConfig(func(c *config.Config) {
			c.WeChat.MaxFileMB = 1
			c.Files.UnitDailyBytes = c.WeChat.MaxFileBytes()
		}))
	czj := h.Official("czj")
	h.SendFile(czj, "自查自评报告.docx", first)
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))

	h.SendFile(czj, "补充材料.docx", second)
	reply := h.WaitText(czj, "本文件未保存")
	for _, want := range []string{"贵单位今天已发送文件共", "每个单位每天最多接收", "请明天再发送"} {
		if !strings.Contains(reply, want) {
			t.Errorf("quota reply lacks %q:\n%s", want, reply)
		}
	}
	subs, err := h.App.Store.Submissions(t.Context(), 2027, "czj")
	if err != nil || len(subs) != 1 {
		t.Fatalf("submissions after the refusal: %d, %v; want 1", len(subs), err)
	}
	h.Say(czj, "状态")
	h.WaitText(czj, "县财政局")

	h.SetTime(2027, time.February, 21, 9, 0)
	h.SendFile(czj, "补充材料.docx", second)
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))
}

// sizedDocx is a .docx of at least size bytes: pseudo-random Chinese text
// (seeded, so the same every run) that deflate cannot shrink much.
func sizedDocx(t *testing.T, seed uint64, size int) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0))
	var b strings.Builder
	for n := 1000; ; n *= 2 {
		for b.Len() < n*3 {
			b.WriteRune(rune(0x4e00 + r.IntN(0x5000)))
		}
		if d := apptest.Docx(b.String()); len(d) >= size {
			return d
		}
	}
}

// TestDiskFull (issue 12, finding 6): with the disk below
// files.min_free_bytes (a real free-space reading against a reserve larger
// than any disk), files are refused with a Chinese reply, nothing is
// stored, the director is told once however many files arrive, and text
// commands keep working.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))),
		apptest.WithConfig(func(c *config.Config) { c.Files.MinFreeBytes = 1 << 62 }))
	czj, gaj, dir := h.Official("czj"), h.Official("gaj"), h.Director()
	h.SendFile(czj, "自查自评报告.docx", apptest.Docx("财政"))
	h.WaitText(czj, "服务器存储空间不足，文件暂时无法保存，已通知督导办处理")
	h.WaitText(dir, "【系统通知】服务器存储空间不足")
	h.SendFile(gaj, "自查自评报告.docx", apptest.Docx("公安"))
	h.WaitText(gaj, "服务器存储空间不足")

	h.Say(czj, "状态")
	h.WaitText(czj, "县财政局")
	h.Say(dir, "总览")
	h.WaitText(dir, "督导评价总览")
	h.Settle()
	alerts := 0
	for _, m := range h.Messages(dir) {
		if strings.Contains(m.Text, "服务器存储空间不足") {
			alerts++
		}
	}
	if alerts != 1 {
		t.Errorf("the director was told %d times, want once", alerts)
	}
	subs, err := h.App.Store.Submissions(t.Context(), 2027, "")
	if err != nil || len(subs) != 0 {
		t.Errorf("submissions stored on a full disk: %d, %v", len(subs), err)
	}
}

// TestZipBombRefused (issue 12, finding 6): a .docx whose zip lists 10,001
// entries is refused before its directory is read, with a reply naming the
// file.
func TestZipBombRefused(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	czj := h.Official("czj")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range 10001 {
		name := fmt.Sprintf("word/p%05d.xml", i)
		if i == 0 {
			name = "[Content_Types].xml"
		}
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	h.SendFile(czj, "自查自评报告.docx", buf.Bytes())
	reply := h.WaitText(czj, "内部包含的条目过多")
	if !strings.Contains(reply, "《自查自评报告.docx》") || !strings.Contains(reply, "10000") {
		t.Errorf("reply: %s", reply)
	}
}
