package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/bot"
	"dudaobot/rules"
)

// Ensure a restart re-enters the WeChat session with the hot-login file (no
// new scan), keeps the version numbering, and can still send files (the
// hot-login cookie defects of openwechat are worked around).
func TestRestartHotLogin(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	dir, czj := h.Director(), h.Official("czj")
	v1 := apptest.Docx("第一版")
	h.SendFile(czj, "自查自评报告.docx", v1)
	h.WaitFor(czj, apptest.TextHas("材料：自查自评报告（第1版）"))

	logins, qr := h.Sim.Logins(), h.QRDrawn()
	st := h.Restart()
	if st.Cause != bot.CauseHotLogin {
		t.Fatalf("came back by %q, want %q", st.Cause, bot.CauseHotLogin)
	}
	if got := h.Sim.Logins(); got != logins+1 {
		t.Errorf("logins %d → %d, want one more (the hot login)", logins, got)
	}
	if got := h.QRDrawn(); got != qr {
		t.Errorf("a QR code was drawn on restart (%d writes)", got-qr)
	}

	h.SetTime(2027, time.February, 21, 9, 0)
	v2 := apptest.Docx("第二版")
	h.SendFile(czj, "自查自评报告（修改稿）.docx", v2)
	receipt := h.WaitFor(czj, apptest.TextPrefix("【回执】")).Text
	for _, want := range []string{"回执号 R-2", "材料：自查自评报告（第2版）", "文件：自查自评报告（修改稿）.docx"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt after restart lacks %q:\n%s", want, receipt)
		}
	}
	if subs, _ := h.App.Store.Submissions(context.Background(), 2027, "czj"); len(subs) != 2 || subs[1].SHA256 != sha(v2) {
		t.Errorf("version 2 is not stored with the SHA-256 of what was sent: %+v", subs)
	}

	// Sending a file after a hot login needs webwx_data_ticket.
	h.Say(dir, "导出")
	xlsx := h.WaitFor(dir, apptest.FileNamed("2027年督导评价台账.xlsx"))
	if got := sha(h.OpenSent(xlsx)); got != xlsx.SHA256 || xlsx.Size == 0 {
		t.Errorf("ledger after restart: size %d sha %s / %s", xlsx.Size, xlsx.SHA256, got)
	}
	subs, err := h.App.Store.Submissions(context.Background(), 2027, "czj")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[0].SHA256 != sha(v1) || subs[1].SHA256 != sha(v2) || subs[1].Version != 2 {
		t.Errorf("submissions after restart: %+v", subs)
	}
}

// Ensure a message WeChat delivers again with the same MsgId — before or
// after a restart — is handled once: no second receipt, no second reply.
func TestReplayedMessageIgnored(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	czj := h.Official("czj")
	fileID := h.SendFile(czj, "自查自评报告.docx", apptest.Docx("replay"))
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))
	textID := h.Say(czj, "状态")
	h.WaitFor(czj, apptest.TextPrefix("县财政局 2027年"))

	replay := func() {
		t.Helper()
		for _, id := range []string{fileID, textID} {
			if err := h.Sim.Replay(id); err != nil {
				t.Fatalf("replay %s: %v", id, err)
			}
		}
		h.Settle()
		if n := countPrefix(h.Messages(czj), "【回执】"); n != 1 {
			t.Errorf("%d receipts for one file, want 1", n)
		}
		if n := countPrefix(h.Messages(czj), "县财政局 2027年"); n != 1 {
			t.Errorf("%d replies to one 状态, want 1", n)
		}
	}
	replay()
	if st := h.Restart(); st.Cause != bot.CauseHotLogin {
		t.Fatalf("came back by %q, want a hot login", st.Cause)
	}
	replay()
	subs, _ := h.App.Store.Submissions(context.Background(), 2027, "czj")
	if len(subs) != 1 {
		t.Errorf("%d submissions, want 1", len(subs))
	}
}

// Ensure a session ended by WeChat (1101) is recovered without a person:
// the client logs in again (push login, confirmed on the simulated phone),
// the reply queued meanwhile is delivered, a message sent during the outage
// is answered, and the director is told the bot is back.
func TestForcedLogoutRecovers(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	dir, czj := h.Director(), h.Official("czj")

	h.PauseOutbox()
	h.Say(dir, "总览")
	h.WaitQueued(func(m rules.Outgoing) bool {
		return m.To.Remark == dir && strings.HasPrefix(m.Text, "2027年督导评价总览")
	})

	logins, n := h.Sim.Logins(), h.StatusCount()
	h.Sim.ForceLogout(1101)
	off := h.WaitStatus("offline after 1101", n, func(s bot.Status) bool { return !s.Online })
	h.Say(czj, "状态") // during the outage, or just after: answered either way
	on := h.WaitStatus("online again", n, func(s bot.Status) bool { return s.Online })
	if on.Cause != bot.CausePushLogin && on.Cause != bot.CauseQRLogin {
		t.Errorf("came back by %q after the session was ended (offline cause %q), want a push or QR login", on.Cause, off.Cause)
	}
	if h.Sim.Logins() <= logins {
		t.Errorf("no new login after ForceLogout")
	}
	h.ResumeOutbox()

	h.WaitFor(dir, apptest.TextPrefix("2027年督导评价总览"))
	notice := h.WaitFor(dir, apptest.TextPrefix("【系统通知】")).Text
	if on.Cause == bot.CausePushLogin {
		// The fake clock did not move: no downtime, offline since 10:00.
		golden(t, "back_online_push", notice)
	}
	if strings.ContainsAny(notice, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("the director's notice shows internal English: %s", notice)
	}
	h.WaitFor(czj, apptest.TextPrefix("县财政局 2027年"))
	h.Settle()
	if n := countPrefix(h.Messages(dir), "【系统通知】"); n != 1 {
		t.Errorf("%d back-online notices, want 1", n)
	}
}
