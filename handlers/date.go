package handlers

import (
	"errors"
	"strings"

	"dudaobot/rules"
)

// ParseDate reads a date the way people type it in chat: 2027-04-30,
// 2027/4/30, 2027年4月30日, 4月30日, 4月30号, 4月30, 4.30, 4-30, 4/30 (in
// year), and relative to today: 明天, 后天, 本月底, 下周五 (today is the
// injected clock's date in the configured zone). The input is normalized
// first, so full-width digits work; the forms themselves are
// rules.ParseDateOn's, the one date reader of problem lists, sheets and
// chat. An impossible date (2月30日) or an ambiguous one (430, 下周) gets a
// message that says precisely what is wrong.
func ParseDate(s string, year int, today rules.Date) (rules.Date, error) {
	s = strings.ReplaceAll(Normalize(s, ""), " ", "")
	if len(s) > 32 {
		return rules.Date{}, badDate(&rules.DateError{Input: clip(s, 16), Err: rules.ErrBadDate})
	}
	d, err := rules.ParseDateOn(s, year, today)
	if err != nil {
		return rules.Date{}, badDate(err)
	}
	return d, nil
}

// today is the injected clock's civil date in the configured zone.
func (d *env) today() rules.Date { return rules.DateOf(d.clock.Now(), d.loc) }

func badDate(err error) error {
	var de *rules.DateError
	msg := "日期无法识别，请写成" + rules.DateForms + "。"
	if errors.As(err, &de) {
		msg = de.Chinese()
	}
	return &UserError{Msg: msg, Err: errors.Join(errBadDate, err)}
}
