package handlers_test

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
)

// FuzzProseNeverCommand checks the command boundary: a command word
// without an argument check (下发, 整改方案, 收到, 撤回, 确认, 取消…)
// followed directly by a Chinese character is never that command, and the
// same word followed by a space and anything is.
func FuzzProseNeverCommand(f *testing.F) {
	h := handlerstest.New(f)
	words := []string{"下发", "整改方案", "收到", "撤回", "确认", "取消", "状态", "总览", "帮助", "导出", "补充材料"}
	for _, s := range []string{"的通知大家都收到了吗", "还在修改中，下周交", "了", "吧", "一下截止时间", "情况怎么样？"} {
		for i := range words {
			f.Add(i, s)
		}
	}
	f.Fuzz(func(t *testing.T, i int, rest string) {
		if i < 0 {
			i = -i
		}
		w := words[i%len(words)]
		first, _ := utf8.DecodeRuneInString(rest)
		if !utf8.ValidString(rest) || !unicode.Is(unicode.Han, first) {
			return
		}
		if word, prose := handlers.RouteOf(h.Intake, w+rest); word == w || prose != w {
			t.Fatalf("%q routed to %q (prose %q), want prose of %q", w+rest, word, prose, w)
		}
		if word, _ := handlers.RouteOf(h.Intake, w+" "+rest); word != w {
			t.Fatalf("%q routed to %q, want the command", w+" "+rest, word)
		}
	})
}
