package handlers

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"dudaobot/rules"
)

// minPlanRunes is the shortest text accepted as a rectification plan: a
// real plan names measures, people and dates; anything shorter is a remark
// about the plan (「整改方案还在修改中」), not the plan.
const minPlanRunes = 50

// placeholders are the help's own example words, which people copy.
var placeholders = map[string]bool{
	"文字内容": true, "文字": true, "内容": true, "方案内容": true, "方案全文": true,
	"整改方案内容": true, "通知内容": true, "文字通知": true,
}

// compact drops every separator and space, for comparing short texts.
func compact(s string) string {
	return strings.ReplaceAll(Normalize(s, ""), " ", "")
}

// isPlaceholder reports whether text is only the help's example words.
func isPlaceholder(text string) bool { return placeholders[compact(text)] }

// isQuestion reports whether text asks rather than states: it ends with a
// question mark or 吗, or contains 请问.
func isQuestion(text string) bool {
	t := strings.TrimRightFunc(foldWidth(text), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("。.!！~…", r)
	})
	return strings.HasSuffix(t, "?") || strings.HasSuffix(t, "吗") || strings.Contains(t, "请问")
}

// textRunes counts the characters of text that are not spaces.
func textRunes(text string) int {
	n := 0
	for _, r := range text {
		if !unicode.IsSpace(r) && !isZeroWidth(r) {
			n++
		}
	}
	return n
}

// planProblem says in one polite line why text is not filed as a plan, or
// "" when it looks like one.
func planProblem(text string) string {
	if msg := notContent(text,
		"未登记。请发送整改方案的实际内容（不少于50字），或直接发送整改方案文件。",
		"未作为整改方案登记。如有疑问请联系县督导办；以文字报送请发送“整改方案 方案全文”（不少于50字）。"); msg != "" {
		return msg
	}
	if n := textRunes(text); n < minPlanRunes {
		return "内容仅" + strconv.Itoa(n) + "字，未作为整改方案登记。文字报送的整改方案应不少于50字；也可以直接发送整改方案文件。"
	}
	return ""
}

// noticeProblem says why a text sent after a bare 下发 is not taken as the
// notice, or "".
func noticeProblem(text string) string {
	return notContent(text, "未下发。请发送通知的实际内容。", "未作为通知下发。如需下发，请发送“下发 通知内容”。")
}

// notContent says why text is not the content a command waits for: only
// the help's example words (then notDone), or a question (then asked); ""
// when it is neither.
func notContent(text, notDone, asked string) string {
	switch {
	case isPlaceholder(text):
		return "“" + clip(strings.TrimSpace(text), 10) + "”是帮助中的示意，" + notDone
	case isQuestion(text):
		return "您的消息像是提问，" + asked
	}
	return ""
}

// usage is how each command is written, for the answer to prose that
// merely starts with its word.
var usage = map[string]string{
	"查询": "查询 单位", "未交": "未交 阶段", "催办": "催办 单位", "督导结束": "督导结束 日期",
	"反馈": "反馈 单位", "整改期限": "整改期限 单位 日期", "下发": "下发 通知内容",
	"整改方案": "整改方案 方案全文", "绑定": "绑定 绑定码",
}

// proseGuidance answers a text that starts with a command word but is not
// the command: nothing was done, and this is how the command is written.
func proseGuidance(word string) string {
	switch word {
	case "整改方案":
		return "您的消息未作为整改方案登记（不是命令格式）。以文字报送请发送“整改方案 方案全文”（不少于50字），也可以直接发送整改方案文件。"
	case "下发":
		return "您的消息未下发（不是命令格式）。如需下发通知，请发送“下发 通知内容”（命令后加空格），预览后回复“确认”才会发送。"
	}
	form := usage[word]
	if form == "" {
		form = word
		return "您的消息以“" + word + "”开头，但不是命令，未执行。如需使用该命令，请只发送“" + form + "”。发送“帮助”可查看全部命令。"
	}
	return "您的消息以“" + word + "”开头，但不是命令，未执行。如需使用该命令，请发送“" + form + "”（命令后加空格）。发送“帮助”可查看全部命令。"
}

// isAllArg is 催办's 全部.
func isAllArg(a []string) bool {
	s := strings.Join(a, "")
	return s == "全部" || s == "所有" || s == "所有单位"
}

// isDateArg reports whether the arguments are exactly one date.
func isDateArg(a []string) bool {
	_, err := ParseDate(strings.Join(a, ""), 2000, rules.Date{Year: 2000, Month: 1, Day: 3}) // any today: only the form is checked
	return len(a) > 0 && err == nil
}

// isCodeArg reports whether the arguments are a binding code's shape
// (dashes, as in 「ABCDE-23456」, aside).
func isCodeArg(a []string) bool {
	s := strings.ReplaceAll(strings.Join(a, ""), "-", "")
	if utf8.RuneCountInString(s) != CodeLength {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// isUnitArg reports whether the arguments name at least one unit.
func (d *env) isUnitArg(a []string) bool {
	return len(a) > 0 && len(MatchUnit(d.o.Units, strings.Join(a, ""))) > 0
}
