package handlers_test

import (
	"strings"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// phrasings are real messages from officials and the director that are no
// command, with what each means. unit is the index of the official's unit
// in the roster (each 收到 phrasing has its own unit, so each finds its
// notice open), or -1 for the director.
var phrasings = []struct {
	unit   int
	text   string
	intent string
}{
	// Officials: greetings.
	{13, "你好", "greet"}, {11, "您好", "greet"}, {11, "在吗", "greet"}, {11, "早上好", "greet"},
	{11, "您好，在吗？", "greet"}, {11, "老师好", "greet"}, {11, "打扰了", "greet"}, {11, "下午好", "greet"},
	// Officials: their own status.
	{11, "我们单位交了吗", "status"}, {11, "交了吗", "status"}, {11, "查看状态", "status"}, {13, "进度怎么样", "status"},
	{13, "我们的材料你们收到了吗", "status"}, {11, "我们还差什么", "status"}, {11, "报送情况", "status"},
	{13, "提交成功了吗", "status"}, {11, "我们交上了吗？", "status"}, {11, "查一下我们单位", "status"}, {11, "状态吗", "status"},
	// Officials: how and by when.
	{11, "怎么交材料", "howto"}, {11, "怎么交", "howto"}, {11, "交什么", "howto"}, {11, "截止什么时候", "howto"},
	{11, "什么时候交", "howto"}, {11, "材料发到哪里", "howto"}, {11, "怎么提交自查报告", "howto"}, {11, "几号前交", "howto"},
	{11, "需要交哪些材料", "howto"}, {11, "报送要求是什么", "howto"}, {13, "截止时间是哪天", "howto"},
	// Officials: 收到 in other words, each unit with its notice open.
	{0, "好的，收到", "ack"}, {1, "已收到", "ack"}, {2, "已收到，谢谢", "ack"}, {3, "收到了，谢谢", "ack"},
	{4, "已阅", "ack"}, {5, "好的", "ack"}, {6, "知道了", "ack"}, {7, "收到收到", "ack"}, {8, "好的，已知悉", "ack"},
	{9, "明白", "ack"}, {9, "好的", "ack"}, // the second finds nothing open
	// Officials: a notice not seen, thanks, the help in words.
	{10, "没收到通知", "not_received"}, {11, "通知我没有收到", "not_received"}, {11, "还没收到回执", "status"},
	{11, "不明白", ""},
	{11, "谢谢", "thanks"}, {11, "辛苦了", "thanks"}, {11, "谢谢您", "thanks"}, {11, "感谢", "thanks"},
	{11, "怎么用", "help"}, {11, "有哪些功能", "help"},
	// Officials: nothing the table knows.
	{11, "今天天气不错", ""}, {11, "123abc", ""}, {11, "啊", ""},
	// The director.
	{-1, "你好", "greet"}, {-1, "在吗", "greet"},
	{-1, "今天情况怎么样", "status"}, {-1, "有几个单位交了", "status"}, {-1, "整体进度", "status"},
	{-1, "谁还没交", "missing"}, {-1, "哪些单位没交", "missing"},
	{-1, "逾期的有哪些", "overdue"}, {-1, "有超期的吗", "overdue"},
	{-1, "谁没回复", "unacked"}, {-1, "通知都收到了吗", "unacked"},
	{-1, "截止是哪天", "howto"}, {-1, "辛苦了", "thanks"}, {-1, "好的", "ack"}, {-1, "今天开会", ""},
}

// Ensure each real phrasing means what it should (the table) and gets
// its golden reply: a short answer, never the whole menu, and never
// 「抱歉，没有识别」. The scene is 20 February 2027: the office's notice of
// 10 January is open for every unit, 县财政局 has filed its report.
func TestIntentPhrasings(t *testing.T) {
	if len(phrasings) < 60 {
		t.Fatalf("%d phrasings, want at least 60", len(phrasings))
	}
	// 65 messages in a row: no flood control.
	h := handlerstest.New(t, func(o *handlers.Options) { o.RateLimit = -1 })
	dir := h.Director()
	h.Text(dir, "下发 请各单位对照指标体系开展自查自评，于3月1日前报送自查自评报告。")
	h.Text(dir, "确认")
	h.At(2027, time.February, 20, 10, 0)
	h.File(h.Official("czj"), "县财政局自查自评报告.docx", handlerstest.Docx("自查自评报告"))
	h.Drain()

	var all strings.Builder
	got := map[string]string{}
	for _, p := range phrasings {
		from, who, role := dir, "主任", rules.RoleDirector
		if p.unit >= 0 {
			u := h.Units[p.unit]
			from, who, role = h.Official(u.Key), u.Name, rules.RoleOfficial
		}
		if in := handlers.IntentOf(p.text, role); in != p.intent {
			t.Errorf("%s：%q means %q, want %q", who, p.text, in, p.intent)
		}
		h.Text(from, p.text)
		reply := texts(only(h.Drain(), from.Remark))
		key := "> " + who + "：" + p.text
		got[key] = reply
		all.WriteString(key + "\n" + reply + "\n\n")
		for _, bad := range []string{"抱歉，没有识别", "您可以：\n"} {
			if strings.Contains(reply, bad) && p.intent != "help" {
				t.Errorf("%s → %q contains %q", key, reply, bad)
			}
		}
	}
	if *update {
		golden(t, "intents", strings.TrimSuffix(all.String(), "\n\n"))
		return
	}
	// One golden file, compared phrase by phrase.
	want := readGolden(t, "intents")
	for _, block := range strings.Split(strings.TrimSuffix(want, "\n"), "\n\n> ") {
		key, reply, _ := strings.Cut(strings.TrimPrefix(block, "> "), "\n")
		key = "> " + key
		t.Run(key, func(t *testing.T) {
			if g, ok := got[key]; !ok || g != reply {
				t.Errorf("%s\n got: %q\nwant: %q", key, g, reply)
			}
		})
		delete(got, key)
	}
	for key := range got {
		t.Errorf("%s has no golden reply (run with -update)", key)
	}
}
