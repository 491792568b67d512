package handlers

import (
	"strings"

	"dudaobot/rules"
)

// dateForms is the one sentence every bad date gets back.
const dateForms = "2027-04-30、2027/4/30 或 4月30日"

// ParseDate reads a date the way people type it in chat: 2027-04-30,
// 2027/4/30, 2027年4月30日, or 4月30日 and 4/30 (both in year). The input is
// normalized first, so full-width digits work; the forms themselves are
// rules.ParseLooseDate's, the one date reader of problem lists, sheets and
// chat. Impossible dates such as 2027-02-30 are errors; the error's user
// message names the accepted forms.
func ParseDate(s string, year int) (rules.Date, error) {
	s = strings.ReplaceAll(Normalize(s, ""), " ", "")
	if len(s) > 32 {
		return rules.Date{}, badDate(s)
	}
	d, err := rules.ParseLooseDate(s, year)
	if err != nil {
		return rules.Date{}, badDate(s)
	}
	return d, nil
}

func badDate(s string) error {
	return &UserError{
		Msg: "日期「" + clip(s, 20) + "」无法识别，请按 " + dateForms + " 的格式填写。",
		Err: errBadDate,
	}
}
