package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"dudaobot/app"
	"dudaobot/config"
	"dudaobot/rules"
)

// cmdContacts logs in (hot login when possible), then lists which configured
// people are found among the bot's contacts by remark name. It runs the
// whole bot meanwhile, so messages arriving during the check are handled,
// not lost.
func cmdContacts(fs *flag.FlagSet, cfgPath *string) runner {
	simURL := wxsimFlag(fs)
	timeout := fs.Duration("timeout", 5*time.Minute, "等待登录的时间 / how long to wait for login")
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		// No jobs: the check only logs in and reads the contact list.
		a, err := newApp(ctx, *cfgPath, *simURL, app.Options{Logger: newLogger(stderr, slog.LevelWarn), QRWriter: stdout, NoCron: true})
		if err != nil {
			return err
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(runCtx) }()
		defer func() { cancel(); <-done }()
		loginTimeout := time.NewTimer(*timeout)
		defer loginTimeout.Stop()
		select {
		case <-a.LoggedIn():
		case <-loginTimeout.C:
			return errors.New("登录超时 / timed out waiting for login")
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			done <- err
			return fmt.Errorf("机器人已退出 / bot stopped: %v", err)
		}
		contacts, err := a.Bot.Contacts(ctx)
		if err != nil {
			return err
		}
		writeContactReport(stdout, a.Config, contacts)
		return nil
	}
}

func writeContactReport(w io.Writer, cfg *config.Config, contacts []rules.Contact) {
	byRemark := map[string][]rules.Contact{}
	for _, c := range contacts {
		if c.Remark != "" {
			byRemark[c.Remark] = append(byRemark[c.Remark], c)
		}
	}
	rows := [][]string{{"单位", "姓名", "微信备注", "状态"}}
	var found, missing, ambiguous int
	add := func(unit, name, remark string) {
		cs := byRemark[remark]
		state := "已找到"
		switch len(cs) {
		case 0:
			state, missing = "未找到：请在机器人微信上把该联系人的备注设为此名称", missing+1
		case 1:
			state, found = "已找到（昵称 "+cs[0].NickName+"）", found+1
		default:
			var nicks []string
			for _, c := range cs {
				nicks = append(nicks, c.NickName)
			}
			sort.Strings(nicks)
			state, ambiguous = "重复：多个联系人使用此备注（"+strings.Join(nicks, "、")+"）", ambiguous+1
		}
		rows = append(rows, []string{unit, name, remark, state})
	}
	for _, d := range cfg.Directors() {
		add("督导办主任", d.Name, d.WeChatRemark)
	}
	for _, u := range cfg.Units() {
		for _, o := range u.Officials {
			add(u.Name, o.Name, o.WeChatRemark)
		}
		if u.Backup != nil {
			add(u.Name, u.Backup.Name+"（备用）", u.Backup.WeChatRemark)
		}
	}
	writeTable(w, rows)
	fmt.Fprintf(w, "已找到 %d 人，未找到 %d 人，备注重复 %d 人。\n", found, missing, ambiguous)
}
