package handlers_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// Ensure a stranger gets one polite refusal per day and nothing of theirs
// is stored.
func TestStrangerRefusedOncePerDay(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	s := h.Stranger("张三")
	// A stranger whose nickname is a director's remark gains nothing.
	s.NickName = h.Director().Remark
	h.At(2027, time.February, 20, 9, 0)
	h.Text(s, "总览")
	out := h.Drain()
	golden(t, "refusal_stranger", one(t, out))
	if out[0].To.UserName != s.UserName || out[0].To.Remark != "" {
		t.Errorf("refusal addressed to %+v", out[0].To)
	}
	h.Text(s, "状态")
	h.File(s, "报告.docx", handlerstest.Docx("x"))
	h.At(2027, time.February, 20, 23, 59)
	h.Text(s, "帮助")
	if out := h.Drain(); len(out) != 0 {
		t.Fatalf("second refusal the same day:\n%s", texts(out))
	}
	h.At(2027, time.February, 21, 8, 0)
	h.Text(s, "帮助")
	if out := h.Drain(); len(out) != 1 {
		t.Fatalf("next day: %d replies, want 1", len(out))
	}
	subs, _ := h.Store.Submissions(ctx, 2027, "")
	inbox, _ := h.Store.UnhandledInbound(ctx)
	all, _ := h.Store.AuditTrail(ctx, 2027, "")
	var trail []rules.AuditEntry
	for _, e := range all {
		if e.Action != "year" { // written by EnsureYear at setup
			trail = append(trail, e)
		}
	}
	if len(subs) != 0 || len(inbox) != 0 || len(trail) != 0 {
		t.Errorf("stranger left traces: %d submissions, %d inbox, %d audit", len(subs), len(inbox), len(trail))
	}
}

// Ensure BOLA holds: every official asking about every other unit is
// refused, and no reply carries that unit's data.
func TestQueryOtherUnitRefused(t *testing.T) {
	h := handlerstest.New(t)
	h.At(2027, time.February, 20, 9, 0)
	for _, u := range h.Units {
		h.File(h.Official(u.Key), u.Name+"自查.pdf", handlerstest.PDF(u.Key))
	}
	h.Drain()
	for _, a := range h.Units {
		for _, b := range h.Units {
			if a.Key == b.Key {
				continue
			}
			h.Text(h.Official(a.Key), "查询 "+b.Name)
			h.Clock.Advance(3 * time.Second) // a person's pace: under the rate limit
		}
		out := h.Drain()
		if len(out) != len(h.Units)-1 {
			t.Fatalf("%s: %d replies", a.Key, len(out))
		}
		for _, m := range out {
			if m.To.Remark != h.Official(a.Key).Remark || !strings.HasPrefix(m.Text, "您只能查询本单位（"+a.Name+"）") {
				t.Fatalf("%s got %+v", a.Key, m)
			}
			if strings.Contains(m.Text, "R-") || strings.Contains(m.Text, "自查.pdf") {
				t.Fatalf("%s: reply leaks data: %s", a.Key, m.Text)
			}
		}
	}
	h.Text(h.Official("czj"), "查询 公安")
	golden(t, "refusal_wrong_unit", one(t, h.Drain()))
	// Own unit by name works.
	h.Text(h.Official("czj"), "查询 财政")
	if got := one(t, h.Drain()); !strings.Contains(got, "R-") {
		t.Errorf("own query: %s", got)
	}
	// The director sees every unit.
	for _, u := range h.Units {
		h.Clock.Advance(3 * time.Second)
		h.Text(h.Director(), "查询 "+u.Key)
		if got := one(t, h.Drain()); !strings.HasPrefix(got, u.Name+" 2027年") {
			t.Fatalf("director 查询 %s: %s", u.Key, got)
		}
	}
}

// Ensure BOLA holds for 调阅: every official asking for every other unit's
// files is refused, and nothing of that unit (no file, no name of one) is
// sent.
func TestRetrieveOtherUnitRefused(t *testing.T) {
	h := handlerstest.New(t)
	h.At(2027, time.February, 20, 9, 0)
	for _, u := range h.Units {
		h.File(h.Official(u.Key), u.Name+"自查.pdf", handlerstest.PDF(u.Key))
	}
	h.Drain()
	for _, a := range h.Units {
		for _, b := range h.Units {
			if a.Key == b.Key {
				continue
			}
			h.Text(h.Official(a.Key), "调阅 "+b.Name)
			h.Clock.Advance(3 * time.Second) // a person's pace: under the rate limit
		}
		out := h.Drain()
		if len(out) != len(h.Units)-1 {
			t.Fatalf("%s: %d replies", a.Key, len(out))
		}
		for _, m := range out {
			if m.To.Remark != h.Official(a.Key).Remark || !strings.HasPrefix(m.Text, "您只能调阅本单位（"+a.Name+"）") {
				t.Fatalf("%s got %+v", a.Key, m)
			}
			if m.FilePath != "" || strings.Contains(m.Text, "自查.pdf") || strings.Contains(m.Text, "校验码") {
				t.Fatalf("%s: reply leaks data: %+v", a.Key, m)
			}
		}
	}
	h.Text(h.Official("czj"), "调阅 公安 自查")
	golden(t, "refusal_retrieve_wrong_unit", one(t, h.Drain()))
}

// Ensure an official using a director command is refused, and the
// director's data commands never run for them.
func TestDirectorOnlyRefused(t *testing.T) {
	h := handlerstest.New(t)
	czj := h.Official("czj")
	for _, cmd := range []string{"总览", "未交", "逾期", "催办 全部", "督导结束 4月30日", "反馈 公安", "整改期限 公安 6月30日", "下发 通知", "未回复", "导出", "结果清单", "发布成绩"} {
		h.Text(czj, cmd)
		got := one(t, h.Drain())
		if !strings.Contains(got, "仅限督导办主任使用") {
			t.Errorf("%s → %s", cmd, got)
		}
		if cmd == "总览" {
			golden(t, "refusal_director_only", got)
		}
	}
	// 评分表 is the inspectors' and the director's.
	h.Text(czj, "评分表")
	if got := one(t, h.Drain()); got != "“评分表”仅限督导办主任和督学使用。发送“帮助”可查看您可用的命令。" {
		t.Errorf("评分表 from an official: %q", got)
	}
	// And the director is told which commands are the officials'.
	h.Text(h.Director(), "收到")
	if got := one(t, h.Drain()); !strings.Contains(got, "供各责任单位联系人使用") {
		t.Errorf("director 收到 → %s", got)
	}
}

func TestBadInput(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.At(2027, time.April, 30, 18, 0)
	h.Text(dir, "督导结束 2027-02-30")
	golden(t, "refusal_bad_date", one(t, h.Drain()))
	for _, tc := range []struct{ cmd, want string }{
		{"督导结束 下周五", "即将登记：实地督导于2027年5月7日结束"},
		{"督导结束 下周", "日期“下周”无法确定是哪一天：请写明星期几"},
		{"督导结束", "请写明实地督导结束日期"},
		{"查询 县委", "对应多个单位：县委办公室、"},
		{"查询 交通局", "没有找到名为“交通局”的单位"},
		{"查询", "请在“查询”后写单位名称"},
		{"催办", "请写明催办对象"},
		{"未交 明年", "阶段“明年”无法识别"},
		{"整改期限 财政", "请按“整改期限 单位 日期”填写"},
		{"整改期限 财政 2月30日", "日期“2月30日”不存在：2027年2月只有28天"},
		{"你好", "主任您好。今天（4月30日）："},
		{"查询财政局", "县财政局 2027年督导评价情况"}, // no space after the command
		{"查询：财政", "县财政局 2027年督导评价情况"},
	} {
		h.Text(dir, tc.cmd)
		if got := one(t, h.Drain()); !strings.Contains(got, tc.want) {
			t.Errorf("%s → %s\nwant it to contain %s", tc.cmd, got, tc.want)
		}
	}
	if _, ok, _ := h.Store.GetState(context.Background(), "x"); ok {
		t.Fatal("unexpected state")
	}
}

// Ensure files of a rejected type or over the limit are refused with the
// reason, before download where possible, and nothing is stored.
func TestFileRefusals(t *testing.T) {
	h := handlerstest.New(t, func(o *handlers.Options) { o.MaxFileBytes = 1 << 20 })
	ctx := context.Background()
	czj := h.Official("czj")
	h.At(2027, time.February, 20, 9, 0)

	h.File(czj, "病毒.exe", []byte("MZ"))
	golden(t, "refusal_bad_type", one(t, h.Drain()))

	opened := false
	big := &rules.InboundFile{Name: "大文件.pdf", Size: 80 << 20, Open: func(context.Context) (io.ReadCloser, error) {
		opened = true
		return nil, errors.New("must not download")
	}}
	h.Send(rules.Inbound{From: czj, Kind: rules.MsgFile, File: big})
	golden(t, "refusal_oversized", one(t, h.Drain()))
	if opened {
		t.Error("oversized file was downloaded")
	}

	// The announced size lies: the stream is cut off at the limit.
	liar := handlerstest.FileOf("小文件.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 2<<20)...))
	liar.Size = 1000
	h.Send(rules.Inbound{From: czj, Kind: rules.MsgFile, File: liar})
	if got := one(t, h.Drain()); !strings.Contains(got, "超过1 MB的上限") {
		t.Errorf("lying stream → %s", got)
	}

	// Download failure.
	broken := &rules.InboundFile{Name: "报告.pdf", Size: 100, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(&failingReader{}), nil
	}}
	h.Send(rules.Inbound{From: czj, Kind: rules.MsgFile, File: broken})
	if got := one(t, h.Drain()); got != "文件接收失败，请重新发送。" {
		t.Errorf("broken download → %s", got)
	}
	gone := &rules.InboundFile{Name: "报告.pdf", Size: 100, Open: func(context.Context) (io.ReadCloser, error) {
		return nil, errors.New("404")
	}}
	h.Send(rules.Inbound{From: czj, Kind: rules.MsgFile, File: gone})
	if got := one(t, h.Drain()); got != "文件接收失败，请重新发送。" {
		t.Errorf("failed download → %s", got)
	}

	// Content that does not match its extension (an HTML error page).
	h.File(czj, "报告.pdf", []byte("<html><body>error</body></html>"))
	if got := one(t, h.Drain()); !strings.Contains(got, "内容与其类型（.pdf）不符") {
		t.Errorf("html as pdf → %s", got)
	}

	subs, _ := h.Store.Submissions(ctx, 2027, "")
	if len(subs) != 0 {
		t.Errorf("refused files stored: %+v", subs)
	}

	// An image is accepted as a file, its type by content.
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	h.Send(rules.Inbound{From: czj, Kind: rules.MsgImage, File: handlerstest.FileOf("", png)})
	if got := one(t, h.Drain()); !strings.Contains(got, ".png") || !strings.Contains(got, "【回执】") {
		t.Errorf("image → %s", got)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		return 0, errors.New("connection reset")
	}
	f.n++
	return copy(p, "%PDF-1.4\n"), nil
}

func TestUnsupportedKind(t *testing.T) {
	h := handlerstest.New(t)
	h.Send(rules.Inbound{From: h.Official("czj"), Kind: rules.MsgOther})
	golden(t, "refusal_unsupported", one(t, h.Drain()))
}

// Ensure group chats: ignored unless configured; in a handled group,
// commands about the sender work, submissions and other units' data are
// redirected to a private chat, strangers and chatter get silence.
func TestGroups(t *testing.T) {
	h := handlerstest.New(t, func(o *handlers.Options) { o.Groups = []string{"督导工作群"} })
	czj, dir := h.Official("czj"), h.Director()
	send := func(from rules.Contact, group string, kind rules.MsgKind, text string, f *rules.InboundFile) {
		h.Send(rules.Inbound{From: from, Group: group, Kind: kind, Text: text, File: f})
	}
	send(czj, "别的群", rules.MsgText, "帮助", nil)
	if out := h.Drain(); len(out) != 0 {
		t.Fatalf("unhandled group answered: %s", texts(out))
	}
	send(czj, "督导工作群", rules.MsgFile, "", handlerstest.FileOf("自查.docx", handlerstest.Docx("g")))
	out := h.Drain()
	golden(t, "refusal_group_file", one(t, out))
	if out[0].To.Group != "督导工作群" {
		t.Errorf("group reply to %+v", out[0].To)
	}
	send(dir, "督导工作群", rules.MsgText, "总览", nil)
	if got := one(t, h.Drain()); !strings.Contains(got, "请私聊机器人") {
		t.Errorf("总览 in group → %s", got)
	}
	send(czj, "督导工作群", rules.MsgText, "查询 财政", nil)
	if got := one(t, h.Drain()); !strings.Contains(got, "请私聊机器人") {
		t.Errorf("查询 in group → %s", got)
	}
	send(czj, "督导工作群", rules.MsgText, "大家好", nil)
	send(h.Stranger("路人"), "督导工作群", rules.MsgText, "总览", nil)
	send(czj, "督导工作群", rules.MsgOther, "", nil)
	if out := h.Drain(); len(out) != 0 {
		t.Fatalf("group chatter answered: %s", texts(out))
	}
	send(czj, "督导工作群", rules.MsgText, "@督导办机器人 帮助", nil)
	if got := one(t, h.Drain()); !strings.Contains(got, "您可以") {
		t.Errorf("help in group → %s", got)
	}
	subs, _ := h.Store.Submissions(context.Background(), 2027, "")
	if len(subs) != 0 {
		t.Errorf("group file stored: %+v", subs)
	}
}

// Ensure a binding code makes a contact the official for the session only,
// tells the director which remark to set, and works once.
func TestBindingCode(t *testing.T) {
	h := handlerstest.New(t)
	code := issueCode(t, h, "czj")
	if len(code) != handlers.CodeLength {
		t.Fatalf("code %q", code)
	}
	s := h.Stranger("新同事")
	h.Text(s, "绑定 "+strings.ToLower(code[:4])+" "+code[4:])
	out := h.Drain()
	golden(t, "bind_ok", one(t, only(out, s.UserName)))
	golden(t, "bind_director", one(t, only(out, h.Director().Remark)))
	// Now the contact acts for 县财政局 in this session, replies by handle.
	h.Text(s, "状态")
	out = h.Drain()
	if got := one(t, out); !strings.HasPrefix(got, "县财政局 2027年") || out[0].To.UserName != s.UserName {
		t.Errorf("bound 状态 → %+v", out)
	}
	// The code is single-use.
	s2 := h.Stranger("冒充者")
	h.Text(s2, "绑定 "+code)
	if got := one(t, h.Drain()); got != "该绑定码已使用过，不能再次使用。如需绑定，请联系督导办重新获取。" {
		t.Errorf("reused code → %s", got)
	}
	// Wrong codes are limited per day.
	for range 6 {
		h.Text(s2, "绑定 WRONGCODE2")
	}
	out = h.Drain()
	if got := out[len(out)-1].Text; !strings.Contains(got, "错误次数过多") {
		t.Errorf("6th wrong code → %s", got)
	}
	// A new session forgets the binding.
	if err := h.Intake.ForgetSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.At(2027, time.January, 11, 9, 0)
	h.Text(s, "状态")
	if got := one(t, h.Drain()); got != strings.TrimSpace(readGolden(t, "refusal_stranger")) {
		t.Errorf("after ForgetSessions → %s", got)
	}
}

// The inspector's row of the matrix: every command word of the menu, bare
// and naming every unit, is refused with what an inspector may do, except
// 帮助 (and its synonyms), 评分表, 确认 and 取消; nothing is stored.
func TestInspectorRefusedMatrix(t *testing.T) {
	h := handlerstest.New(t)
	ctx := context.Background()
	ins := h.Inspector()
	allowed := map[string]bool{"帮助": true, "菜单": true, "help": true, "评分表": true, "确认": true, "取消": true}
	refusal := strings.TrimSpace(readGolden(t, "refusal_inspector_only"))
	n := 0
	for _, w := range handlers.RouteWords(h.Intake) {
		if allowed[w] {
			continue
		}
		texts := []string{w}
		for _, u := range h.Units {
			texts = append(texts, w+" "+u.Name)
		}
		for _, text := range texts {
			h.Text(ins, text)
			h.Clock.Advance(4 * time.Second) // a person's pace: under the rate limit
			n++
		}
		for _, m := range h.Drain() {
			if m.To.Remark != ins.Remark || m.Text != refusal || m.FilePath != "" {
				t.Fatalf("%s: inspector got %+v", w, m)
			}
		}
	}
	if n < 30*len(h.Units) {
		t.Fatalf("only %d texts tried", n)
	}
	subs, _ := h.Store.Submissions(ctx, 2027, "")
	sc, _ := h.Store.Scores(ctx, 2027, "")
	if len(subs) != 0 || len(sc) != 0 {
		t.Errorf("an inspector's commands stored %d submissions and %d scores", len(subs), len(sc))
	}
	h.Text(ins, "确认")
	if got := one(t, h.Drain()); got != "目前没有需要确认的操作。" {
		t.Errorf("确认 with nothing pending: %q", got)
	}
}
