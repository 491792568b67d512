package handlers

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"dudaobot/rules"
)

// dateForms is the one sentence every bad date gets back.
const dateForms = "2027-04-30、2027/4/30 或 4月30日"

var (
	fullDate  = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	cnFull    = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$`)
	cnNoYear  = regexp.MustCompile(`^(\d{1,2})月(\d{1,2})[日号]?$`)
	dashShort = regexp.MustCompile(`^(\d{1,2})[-/](\d{1,2})$`)
)

// ParseDate reads a date the way people type it in chat: 2027-04-30,
// 2027/4/30, 2027年4月30日, or 4月30日 and 4/30 (both in year). The input is
// width-folded first, so full-width digits work. Impossible dates such as
// 2027-02-30 are errors; the error's user message names the accepted forms.
func ParseDate(s string, year int) (rules.Date, error) {
	s = strings.ReplaceAll(Normalize(s, ""), " ", "")
	if len(s) > 32 {
		return rules.Date{}, badDate(s)
	}
	var y, m, d string
	if g := fullDate.FindStringSubmatch(s); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := cnFull.FindStringSubmatch(s); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := cnNoYear.FindStringSubmatch(s); g != nil {
		y, m, d = strconv.Itoa(year), g[1], g[2]
	} else if g := dashShort.FindStringSubmatch(s); g != nil {
		y, m, d = strconv.Itoa(year), g[1], g[2]
	} else {
		return rules.Date{}, badDate(s)
	}
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	if yi < 2000 || yi > 2100 || mi < 1 || mi > 12 || di < 1 || di > 31 {
		return rules.Date{}, badDate(s)
	}
	t := time.Date(yi, time.Month(mi), di, 12, 0, 0, 0, time.UTC)
	if t.Day() != di { // 2027-02-30 rolled over into March
		return rules.Date{}, badDate(s)
	}
	return rules.Date{Year: yi, Month: time.Month(mi), Day: di}, nil
}

func badDate(s string) error {
	return &UserError{
		Msg: "日期「" + clip(s, 20) + "」无法识别，请按 " + dateForms + " 的格式填写。",
		Err: errBadDate,
	}
}
