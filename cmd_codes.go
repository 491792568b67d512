package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"dudaobot/handlers"
	"dudaobot/rules"
)

// listFlag is a repeatable flag whose values may also be comma lists.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' }) {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// cmdCodes prints a one-time binding code for each configured person not
// yet found among the bot's contacts by remark (as the bot last saw them),
// or for the people named with -person. Only an HMAC of each code under
// the server secret is stored; issuing again withdraws a person's unused
// code. Codes expire after binding.code_ttl.
func cmdCodes(fs *flag.FlagSet, cfgPath *string) runner {
	unit := fs.String("unit", "", "只为该单位生成 / only this unit (key, name or alias)")
	var persons listFlag
	fs.Var(&persons, "person", "只为这些人生成（姓名或备注，可重复或用逗号分隔），即使已找到备注 / only these people (name or remark; repeat or comma list), even if found")
	return func(ctx context.Context, w, _ io.Writer) error {
		data, err := openData(ctx, *cfgPath)
		if err != nil {
			return err
		}
		defer data.Close()
		units, err := pickUnits(data.Config.Units(), *unit)
		if err != nil {
			return err
		}
		var people []rules.Official
		names := map[string]string{}
		for _, u := range units {
			names[u.Key] = u.Name
			people = append(people, u.Officials...)
			if u.Backup != nil {
				people = append(people, *u.Backup)
			}
		}
		var skipped [][]string
		if len(persons) > 0 {
			people, err = pickPeople(people, persons)
			if err != nil {
				return err
			}
		} else {
			found, at, err := foundRemarks(ctx, data.Store, data.Config.Location())
			if err != nil {
				return err
			}
			if at == "" {
				fmt.Fprintln(w, "注意：机器人尚未登录过微信，无法核对通讯录备注，已为全部人员生成绑定码。 / The bot has not logged in yet: codes for everyone.")
			}
			var todo []rules.Official
			for _, p := range people {
				if found[p.WeChatRemark] {
					skipped = append(skipped, []string{names[p.UnitKey], p.Name, p.WeChatRemark, "通讯录中已有此备注（" + at + "核对），无需绑定"})
					continue
				}
				todo = append(todo, p)
			}
			people = todo
		}
		codes, err := handlers.IssueBindingCodes(ctx, data.Store, data.CodeKey, people, rand.Reader)
		if err != nil {
			return err
		}
		ttl := data.Config.Binding.CodeTTL.Duration
		if len(people) > 0 {
			until := data.Clock.Now().Add(ttl).In(data.Config.Location()).Format("2006-01-02 15:04")
			fmt.Fprintf(w, "一次性绑定码，%s前有效（请单独告知本人；对方在微信里给机器人发送“绑定 绑定码”即可识别身份）：\n", until)
			rows := [][]string{{"单位", "姓名", "应设微信备注", "绑定码"}}
			for _, p := range people {
				rows = append(rows, []string{names[p.UnitKey], p.Name, p.WeChatRemark, showCode(codes[p.WeChatRemark].Code)})
			}
			writeTable(w, rows)
		} else {
			fmt.Fprintln(w, "没有需要生成绑定码的人员。 / No codes issued.")
		}
		if len(skipped) > 0 {
			fmt.Fprintln(w, "未生成（可用 -person 指定本人强制生成）：")
			writeTable(w, append([][]string{{"单位", "姓名", "微信备注", "原因"}}, skipped...))
		}
		return nil
	}
}

// showCode groups a code in fives (「ABCDE-23456」): easier to read out and
// type; the dash is ignored when it comes back.
func showCode(c string) string {
	if len(c) <= 5 {
		return c
	}
	return c[:5] + "-" + c[5:]
}

// pickPeople returns the people named by name or remark, in roster order;
// a name matching nobody is an error naming it.
func pickPeople(people []rules.Official, want []string) ([]rules.Official, error) {
	picked := map[string]bool{}
	for _, q := range want {
		hit := false
		for _, p := range people {
			if p.Name == q || p.WeChatRemark == q {
				picked[p.WeChatRemark], hit = true, true
			}
		}
		if !hit {
			return nil, fmt.Errorf("-person %q：名册中没有此人（按姓名或微信备注） / -person %q: nobody by that name or remark", q, q)
		}
	}
	var out []rules.Official
	for _, p := range people {
		if picked[p.WeChatRemark] {
			out = append(out, p)
		}
	}
	return out, nil
}

// stateReader reads the state table; *storage.Store implements it.
type stateReader interface {
	GetState(ctx context.Context, key string) (string, bool, error)
}

// foundRemarks returns the configured remarks the bot last found among its
// contacts, and when ("" if it never logged in).
func foundRemarks(ctx context.Context, st stateReader, loc *time.Location) (map[string]bool, string, error) {
	v, ok, err := st.GetState(ctx, handlers.FoundRemarksKey)
	if err != nil || !ok {
		return nil, "", err
	}
	var f handlers.FoundRemarks
	if err := json.Unmarshal([]byte(v), &f); err != nil {
		return nil, "", fmt.Errorf("read found remarks: %w", err)
	}
	found := map[string]bool{}
	for _, r := range f.Remarks {
		found[r] = true
	}
	return found, f.At.In(loc).Format("2006-01-02 15:04"), nil
}
