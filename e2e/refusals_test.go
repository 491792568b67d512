package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/export"
	"dudaobot/handlers"
	"dudaobot/rules"
)

// Ensure what must be refused is refused, politely and exactly once, when
// the messages come through the real client.
func TestRefusalsThroughWeChat(t *testing.T) {
	t.Parallel()
	directorName := "木合图别克·木日扎别克（示例，请核实）"
	h := apptest.Start(t,
		apptest.At(time.Date(2027, time.February, 20, 9, 0, 0, 0, shanghai(t))),
		apptest.WithContact("张三", ""),
		apptest.WithContact(directorName, ""), // the director's nick, not the director's remark
		apptest.WithContact("新同事", ""),
		apptest.WithInspector("（示例）督学甲", "督学-甲"),
	)
	if got := h.Contact(h.Director()).NickName; got != directorName {
		t.Fatalf("director's nick is %q; the impostor must copy it", got)
	}
	dir, czj, ins := h.Director(), h.Official("czj"), h.Inspector()
	ctx := context.Background()
	selfSheet := filledSelfSheet(t, h, "czj")

	// A stranger: one refusal per day, whatever they send.
	t.Run("stranger", func(t *testing.T) {
		h.Say("张三", "总览")
		expectGolden(t, h, "张三", "refusal_stranger")
		h.Say("张三", "帮助")
		h.SendFile("张三", "报告.docx", apptest.Docx("张三"))
		h.Say("张三", "状态")
		h.Settle()
		if n := len(h.Messages("张三")); n != 1 {
			t.Fatalf("stranger got %d messages on one day, want 1", n)
		}
		h.SetTime(2027, time.February, 21, 9, 0)
		h.Say("张三", "帮助")
		expectGolden(t, h, "张三", "refusal_stranger")
		h.Settle()
		if n := len(h.Messages("张三")); n != 2 {
			t.Fatalf("stranger got %d messages over two days, want 2", n)
		}
		if subs, _ := h.App.Store.Submissions(ctx, 2027, ""); len(subs) != 0 {
			t.Errorf("a stranger's file was stored: %+v", subs)
		}
	})

	// The director's nick name without the director's remark: a stranger.
	t.Run("impostor", func(t *testing.T) {
		h.Say(directorName, "总览")
		expectGolden(t, h, directorName, "refusal_stranger")
		h.Say(directorName, "导出")
		h.Say(directorName, "下发 明天放假")
		h.Say(directorName, "确认")
		h.Settle()
		if msgs := h.Messages(directorName); len(msgs) != 1 {
			t.Fatalf("impostor got %d messages, want the one refusal: %+v", len(msgs), msgs)
		}
		for _, u := range h.Cfg.Units() {
			if n := len(h.Messages(u.Officials[0].WeChatRemark)); n != 0 {
				t.Fatalf("the impostor's 下发 reached %s", u.Name)
			}
		}
	})

	// Members: each refusal names its reason.
	for _, tc := range []struct {
		name, who string
		send      func()
		golden    string // handlers/testdata
		contains  string
	}{
		{"official asks for another unit", czj, func() { h.Say(czj, "查询 教科局") }, "refusal_wrong_unit", ""},
		{"official retrieves another unit's files", czj, func() { h.Say(czj, "调阅 教科局") }, "refusal_retrieve_wrong_unit", ""},
		{"official uses a director command", czj, func() { h.Say(czj, "总览") }, "refusal_director_only", ""},
		{"impossible date", dir, func() { h.Say(dir, "督导结束 2027-02-30") }, "refusal_bad_date", ""},
		{"executable", czj, func() { h.SendFile(czj, "病毒.exe", []byte("MZ\x90\x00\x03")) }, "refusal_bad_type", ""},
		{"executable renamed .docx", czj, func() {
			h.SendFile(czj, "自查报告.docx", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 200)...))
		}, "", "文件《自查报告.docx》的内容与其类型（.docx）不符"},
		{"voice message", czj, func() { h.SendOther(czj, 34) }, "refusal_unsupported", ""},
		{"director uses 撤回", dir, func() { h.Say(dir, "撤回") }, "", "“撤回”供各责任单位联系人使用"},
		{"official confirms nothing pending", czj, func() { h.Say(czj, "确认") }, "", "目前没有需要确认的操作。"},
		{"official cancels nothing pending", czj, func() { h.Say(czj, "取消") }, "", "目前没有需要确认的操作。"},
		{"official withdraws with nothing sent", czj, func() { h.Say(czj, "撤回") }, "", "贵单位目前没有可撤回的材料。"},

		// An inspector (督学) may fetch and send the 评分表, and nothing else.
		{"inspector asks for help", ins, func() { h.Say(ins, "帮助") }, "help_inspector", ""},
		{"inspector uses 总览", ins, func() { h.Say(ins, "总览") }, "refusal_inspector_only", ""},
		{"inspector uses 下发", ins, func() { h.Say(ins, "下发 明天放假") }, "refusal_inspector_only", ""},
		{"inspector uses 催办", ins, func() { h.Say(ins, "催办 全部") }, "refusal_inspector_only", ""},
		{"inspector uses 调阅", ins, func() { h.Say(ins, "调阅 财政局") }, "refusal_inspector_only", ""},
		{"inspector asks 状态", ins, func() { h.Say(ins, "状态") }, "refusal_inspector_only", ""},
		{"inspector asks 成绩", ins, func() { h.Say(ins, "成绩") }, "refusal_inspector_only", ""},
		{"inspector asks 成绩 of a unit", ins, func() { h.Say(ins, "成绩 财政局") }, "refusal_inspector_only", ""},
		{"inspector asks 结果清单", ins, func() { h.Say(ins, "结果清单") }, "refusal_inspector_only", ""},
		{"inspector uses 发布成绩", ins, func() { h.Say(ins, "发布成绩") }, "refusal_inspector_only", ""},
		{"inspector asks 自评表", ins, func() { h.Say(ins, "自评表 财政局") }, "refusal_inspector_only", ""},
		{"inspector writes prose naming 评分表", ins, func() { h.Say(ins, "请问评分表什么时候交") }, "refusal_inspector_only", ""},
		{"inspector sends a 自查报告", ins, func() { h.SendFile(ins, "自查报告.docx", apptest.Docx("督导记录")) }, "",
			"《自查报告.docx》不是评分表，未登记。督学可以发送“评分表”"},
		{"inspector sends a filled 自评表", ins, func() { h.SendFile(ins, "财政局自评表.xlsx", selfSheet) }, "",
			"《财政局自评表.xlsx》是自评表，未登记。自评表由各责任单位联系人报送本单位的自评分。"},
		{"inspector confirms nothing pending", ins, func() { h.Say(ins, "确认") }, "", "目前没有需要确认的操作。"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.send()
			if tc.golden != "" {
				expectGolden(t, h, tc.who, tc.golden)
				return
			}
			h.WaitFor(tc.who, apptest.TextHas(tc.contains))
		})
	}
	h.Settle()
	if subs, _ := h.App.Store.Submissions(ctx, 2027, ""); len(subs) != 0 {
		t.Errorf("refused files were stored: %+v", subs)
	}
	if sc, _ := h.App.Store.Scores(ctx, 2027, ""); len(sc) != 0 {
		t.Errorf("refused sheets stored %d scores", len(sc))
	}
	if cal, _ := h.App.Store.Calendar(ctx, 2027, h.Loc); cal.InspectionEnd.String() != "2027-04-30" {
		t.Errorf("a refused date changed the calendar: inspection end %s", cal.InspectionEnd)
	}

	// The 评分表 is the inspector's: fetched, filled and sent, it is
	// checked and previewed for 确认 (cancelled here: nothing is stored).
	t.Run("inspector sends a 评分表", func(t *testing.T) {
		h.Say(ins, "评分表")
		h.WaitFor(ins, apptest.TextPrefix("2027年评分表请查收"))
		tpl := h.OpenSent(h.WaitFor(ins, apptest.FileNamed("2027年督导评分表.xlsx")))
		filled, _ := fillScores(t, tpl, map[string]func(int, rules.Points) rules.Points{
			"县财政局": func(_ int, max rules.Points) rules.Points { return max },
		}, nil)
		h.SendFile(ins, "评分表.xlsx", filled)
		h.WaitFor(ins, apptest.TextPrefix("《评分表.xlsx》：县财政局的督导评价分，填了30项，合计100分。"))
		h.Say(ins, "取消")
		h.WaitFor(ins, apptest.TextPrefix("已取消"))
		h.Settle()
		if sc, _ := h.App.Store.Scores(ctx, 2027, ""); len(sc) != 0 {
			t.Errorf("a cancelled 评分表 stored %d scores", len(sc))
		}
	})

	// A binding code makes a contact without remark the unit's official for
	// this session, and the director is told which remark to set.
	t.Run("binding code", func(t *testing.T) {
		official := h.Unit("czj").Officials[0]
		codes, err := handlers.IssueBindingCodes(ctx, h.App.Store, h.App.CodeKey, []rules.Official{official}, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		h.Say("新同事", "绑定 "+codes[official.WeChatRemark].Code)
		expectGolden(t, h, "新同事", "bind_ok")
		expectGolden(t, h, dir, "bind_director")
		h.Say("新同事", "状态")
		h.WaitFor("新同事", apptest.TextPrefix("县财政局 2027年督导评价情况"))
		// Used once.
		h.Say("张三", "绑定 "+codes[official.WeChatRemark].Code)
		h.WaitFor("张三", apptest.TextHas("该绑定码已使用过"))
	})
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// filledSelfSheet is a unit's 自评表 as the bot writes it, with one score.
func filledSelfSheet(t *testing.T, h *apptest.Harness, unitKey string) []byte {
	t.Helper()
	model, err := h.Cfg.ScoringModel()
	if err != nil {
		t.Fatal(err)
	}
	inds, err := h.Cfg.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	var tpl bytes.Buffer
	if err := export.WriteSelfScoresTemplate(&tpl, 2027, h.Unit(unitKey), model, inds); err != nil {
		t.Fatal(err)
	}
	filled, _ := fillScores(t, tpl.Bytes(), nil, map[string]map[string]any{export.SheetSelfScores: {"D4": 3}})
	return filled
}
