package handlers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "状态", "状态"},
		{"trim", "  状态 \n", "状态"},
		{"full-width letters and digits", "查询　ＣＺＪ　１２３", "查询 CZJ 123"},
		{"chinese colon", "催办：财政局", "催办 财政局"},
		{"ascii colon", "催办:财政局", "催办 财政局"},
		{"chinese comma", "整改期限，财政局，6月30日", "整改期限 财政局 6月30日"},
		{"enumeration comma", "查询、财政", "查询 财政"},
		{"ascii comma and spaces", "整改期限 ,  财政局 ,6月30日", "整改期限 财政局 6月30日"},
		{"mention dropped", "@督导办机器人\u2005状态", "状态"},
		{"full-width at mention", "＠督导办机器人 总览", "总览"},
		{"other mention kept", "@张三 状态", "@张三 状态"},
		{"extra spaces", "督导结束    2027-04-30", "督导结束 2027-04-30"},
		{"tabs and newlines", "下发\t\t通知\r\n内容", "下发 通知 内容"},
		{"zero width removed", "状\u200b态", "状态"},
		{"bidi override removed", "查询\u202e财政", "查询财政"},
		{"invalid utf8 dropped", "状\xff态", "状态"},
		{"only separators", " ：，、 ", ""},
		{"trailing full stop", "收到。", "收到"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := handlers.Normalize(tc.in, "督导办机器人"); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"状态", "查询：财政", "＠督导办机器人\u2005总览", "\xff\xfe", "　，、：", "@@@", "整改方案\n第一条"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := handlers.Normalize(s, "督导办机器人")
		if len(got) > len(s) {
			t.Fatalf("output longer than input: %d > %d", len(got), len(s))
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 output %q", got)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("not trimmed/collapsed: %q", got)
		}
		if again := handlers.Normalize(got, "督导办机器人"); again != got {
			t.Fatalf("not idempotent: %q → %q", got, again)
		}
	})
}

// Ensure every date form of chat parses against the injected today
// (Wednesday 28 April 2027) and every refusal is a user error that names
// the date and what is wrong with it.
func TestParseDate(t *testing.T) {
	today := rules.Date{Year: 2027, Month: time.April, Day: 28}
	d := func(y int, m time.Month, day int) rules.Date { return rules.Date{Year: y, Month: m, Day: day} }
	for _, tc := range []struct {
		in   string
		want rules.Date
		ok   bool
	}{
		{"2027-04-30", d(2027, 4, 30), true},
		{"2027/4/30", d(2027, 4, 30), true},
		{"2027/04/30", d(2027, 4, 30), true},
		{"4月30日", d(2027, 4, 30), true},
		{"4月30号", d(2027, 4, 30), true},
		{"2027年4月30日", d(2027, 4, 30), true},
		{"２０２７－０４－３０", d(2027, 4, 30), true},
		{" 4 月 30 日 ", d(2027, 4, 30), true},
		{"2028-02-29", d(2028, 2, 29), true},
		{"2027-02-30", rules.Date{}, false},
		{"2027-02-29", rules.Date{}, false},
		{"2027-13-01", rules.Date{}, false},
		{"4月31日", rules.Date{}, false},
		{"4.30", d(2027, 4, 30), true},
		{"4-30", d(2027, 4, 30), true},
		{"4/30", d(2027, 4, 30), true},
		{"4月30", d(2027, 4, 30), true},
		{"４．３０", d(2027, 4, 30), true},
		{"明天", d(2027, 4, 29), true},
		{"后天", d(2027, 4, 30), true},
		{"本月底", d(2027, 4, 30), true},
		{"下周五", d(2027, 5, 7), true},
		{"下周", rules.Date{}, false},
		{"430", rules.Date{}, false},
		{"30/4/2027", rules.Date{}, false},
		{"", rules.Date{}, false},
		{"2027-04-30-01", rules.Date{}, false},
	} {
		got, err := handlers.ParseDate(tc.in, 2027, today)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		var ue *handlers.UserError
		if err == nil || !errors.As(err, &ue) || !strings.HasPrefix(ue.Msg, "日期“") || !errors.Is(err, handlers.ErrBadInput) {
			t.Errorf("ParseDate(%q) = %v, %v; want a user error naming the date", tc.in, got, err)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2027-04-30", "2027/4/30", "4月30日", "2027-02-30", "garbage", "９月９日", "0000-00-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := handlers.ParseDate(s, 2027, rules.Date{Year: 2027, Month: time.April, Day: 28})
		if err != nil {
			var ue *handlers.UserError
			if !errors.As(err, &ue) || utf8.RuneCountInString(ue.Msg) > 120 {
				t.Fatalf("error %v is not a short user error", err)
			}
			return
		}
		// A parsed date is a real calendar date.
		tm := time.Date(got.Year, got.Month, got.Day, 12, 0, 0, 0, time.UTC)
		if rules.DateOf(tm, time.UTC) != got || got.Year < 2000 || got.Year > 2100 {
			t.Fatalf("ParseDate(%q) = %v: not a valid date", s, got)
		}
	})
}

func TestMatchUnit(t *testing.T) {
	h := handlerstest.New(t)
	for _, tc := range []struct {
		name, q string
		want    []string // unit keys
	}{
		{"key", "czj", []string{"czj"}},
		{"key upper case", "CZJ", []string{"czj"}},
		{"full name", "县财政局", []string{"czj"}},
		{"alias", "财政", []string{"czj"}},
		{"alias 2", "教科局", []string{"jkj"}},
		{"alias for merged unit", "信访局", []string{"zfb"}},
		{"full-width and spaces", " 公安局　", []string{"gaj"}},
		{"partial unique", "市场监督", []string{"scjg"}},
		{"ambiguous", "县委", []string{"xwb", "zzb", "xcb", "tzb", "zfw", "bb", "jygw"}},
		{"ambiguous education", "教育", []string{"jygw", "jkj", "ddb"}},
		{"unknown", "县交通局", nil},
		{"single char", "县", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, u := range handlers.MatchUnit(h.Units, tc.q) {
				got = append(got, u.Key)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("MatchUnit(%q) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestRouterPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		reg  func(m *handlers.Router)
	}{
		{"empty word", func(m *handlers.Router) { m.Handle("", handlers.Members, okHandler) }},
		{"nil handler", func(m *handlers.Router) { m.Handle("状态", handlers.Members, nil) }},
		{"duplicate", func(m *handlers.Router) {
			m.Handle("状态", handlers.Members, okHandler)
			m.Handle("状态", handlers.Directors, okHandler)
		}},
		{"not normalised", func(m *handlers.Router) { m.Handle("状　态", handlers.Members, okHandler) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.reg(handlers.NewRouter())
		})
	}
}

var okHandler handlers.Handler = func(context.Context, *handlers.Request) error { return nil }

// Ensure Chain runs middleware in the order listed, outermost first.
func TestChainOrder(t *testing.T) {
	var got []string
	mw := func(name string) handlers.Middleware {
		return func(next handlers.Handler) handlers.Handler {
			return func(ctx context.Context, r *handlers.Request) error {
				got = append(got, name)
				return next(ctx, r)
			}
		}
	}
	h := handlers.Chain(mw("recover"), mw("log"), mw("dedupe"), mw("identify"), mw("authorise"))(okHandler)
	if err := h(context.Background(), &handlers.Request{}); err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, "→"); s != "recover→log→dedupe→identify→authorise" {
		t.Errorf("order %s", s)
	}
}
