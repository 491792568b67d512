package e2e_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/bot"
	"dudaobot/config"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
)

// TestDatabaseWriteFailureAlert: another program holds the SQLite write lock
// (as the sqlite3 CLI or a copy script would), so the bot cannot record an
// official's file. No receipt goes out; once the intake has failed for
// wechat.outage_alert_after (by the fake clock) the office is e-mailed once,
// in plain Chinese, naming since when and the cause (no driver text); when
// the lock is released the file is recorded once, the receipt is sent and
// the director is told once for how long messages were held.
func TestDatabaseWriteFailureAlert(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t)
	port := srv.ln.Addr().(*net.TCPAddr).Port
	intake := make(chan bot.IntakeStatus, 8)
	start := time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))
	h := apptest.Start(t, apptest.At(start),
		apptest.WithConfig(func(c *config.Config) {
			c.SMTP = config.SMTP{Host: "127.0.0.1", Port: port, From: "dudaobot@akqi.gov.cn", To: []string{"office@akqi.gov.cn"}}
			c.WeChat.OutageAlertAfter = config.Duration{Duration: 10 * time.Minute}
		}),
		apptest.WithBotOptions(func(bo *bot.Options) {
			inner := bo.OnIntake
			bo.OnIntake = func(st bot.IntakeStatus) {
				inner(st)
				intake <- st
			}
		}))
	czj := h.Official("czj")
	ctx := context.Background()
	guard := testutil.HangGuard(t)
	waitIntake := func(what string) bot.IntakeStatus {
		t.Helper()
		select {
		case st := <-intake:
			return st
		case <-guard.Done():
			t.Fatalf("hung waiting for the intake %s", what)
		}
		return bot.IntakeStatus{}
	}
	receipts := func() int {
		n := 0
		for _, m := range h.Messages(czj) {
			if m.Kind == "text" && strings.HasPrefix(m.Text, "【回执】") {
				n++
			}
		}
		return n
	}

	// Another process takes the database's write lock and keeps it.
	other, err := sql.Open("sqlite3", "file:"+h.Cfg.Database.Path+"?_busy_timeout=600000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	h.SendFile(czj, "县财政局自查自评报告.docx", apptest.Docx("czj"))
	st := waitIntake("failing")
	if !st.Failing || !errors.Is(st.Err, rules.ErrStoreBusy) || !st.Since.Equal(start) {
		t.Fatalf("intake status = %+v; want failing since %v with rules.ErrStoreBusy", st, start)
	}
	h.Clock.Advance(10 * time.Minute)
	var mail string
	select {
	case mail = <-srv.mail:
	case <-guard.Done():
		t.Fatal("no database alert e-mail (hung)")
	}
	subject := "督导机器人无法写入数据库"
	if want := "Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?="; !strings.Contains(mail, want) {
		t.Errorf("mail lacks subject %q:\n%s", subject, mail)
	}
	body := decodeMailBody(t, mail)
	for _, want := range []string{"督导机器人自 2027-02-20 10:00 起无法写入数据库，已持续 10 分钟", "原因：数据库被占用", "暂存在微信一侧", "请关闭正在使用数据库文件的其他程序"} {
		if !strings.Contains(body, want) {
			t.Errorf("mail body lacks %q:\n%s", want, body)
		}
	}
	for _, leak := range []string{"locked", "sqlite", "storage:", h.Dir} {
		if strings.Contains(body, leak) {
			t.Errorf("mail body shows driver text %q:\n%s", leak, body)
		}
	}
	if n := receipts(); n != 0 {
		t.Fatalf("%d receipts sent while the file could not be recorded", n)
	}

	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if st := waitIntake("recovery"); st.Failing || st.Held != 10*time.Minute || st.Messages != 1 {
		t.Errorf("recovery status = %+v; want held 10m, 1 message", st)
	}
	h.WaitFor(czj, apptest.TextPrefix("【回执】"))
	back := h.WaitFor(h.Director(), apptest.TextPrefix("【系统通知】督导机器人已恢复保存消息"))
	if want := "此前约 10 分钟（自 2月20日 10:00 起）无法写入数据库"; !strings.Contains(back.Text, want) {
		t.Errorf("director's notice lacks %q: %s", want, back.Text)
	}
	h.Settle()

	if n := receipts(); n != 1 {
		t.Errorf("%d receipts, want 1", n)
	}
	notices := 0
	for _, m := range h.Messages(h.Director()) {
		if strings.Contains(m.Text, "无法写入数据库") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("director got %d database notices, want 1", notices)
	}
	var inbound, subs int
	if err := lock.QueryRowContext(ctx, "SELECT COUNT(*) FROM inbound WHERE sender = ? AND kind = ?", czj, string(rules.MsgFile)).Scan(&inbound); err != nil {
		t.Fatal(err)
	}
	if err := lock.QueryRowContext(ctx, "SELECT COUNT(*) FROM submissions").Scan(&subs); err != nil {
		t.Fatal(err)
	}
	if inbound != 1 || subs != 1 {
		t.Errorf("recorded %d inbound file rows and %d submissions; want 1 and 1", inbound, subs)
	}
	select {
	case extra := <-srv.mail:
		t.Errorf("a second database alert for one failure:\n%s", extra)
	default:
	}
}

// decodeMailBody returns the text of a mail as the loopback server got it
// (headers, blank line, body in base64 or plain).
func decodeMailBody(t *testing.T, mail string) string {
	t.Helper()
	_, body, ok := strings.Cut(mail, "\r\n\r\n")
	if !ok {
		t.Fatalf("mail without a body:\n%s", mail)
	}
	if strings.Contains(mail, "Content-Transfer-Encoding: base64") {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			t.Fatalf("mail body not base64: %v", err)
		}
		return string(b)
	}
	return body
}
