package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"dudaobot/app"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// cmdRun runs the bot on the office's WeChat account until SIGINT/SIGTERM.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("run")
	simURL := fs.String("wxsim", "", "连接模拟微信（开发用），如 http://127.0.0.1:18080 / talk to a wxsim server instead of WeChat (development)")
	verbose := fs.Bool("v", false, "详细日志 / debug logs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o := app.Options{Config: cfg, Clock: clock.Real{}, Logger: log, QRWriter: stdout}
	if *simURL != "" {
		rt, err := rewriteTransport(*simURL)
		if err != nil {
			return err
		}
		o.Transport = rt
	}
	a, err := app.New(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "督导机器人启动中（%s，%d 个责任单位）。首次运行请用办公室微信扫描下方二维码登录。\n", cfg.Office.Name, len(cfg.Roster))
	return a.Run(ctx)
}

// rewriteTransport sends every WeChat request to a wxsim server at base,
// keeping the original host in req.Host (the simulator routes by it and
// the cookie jar keeps seeing the real host names).
func rewriteTransport(base string) (http.RoundTripper, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("-wxsim 应为 http://host:port / -wxsim must be http://host:port: %q", base)
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r2 := r.Clone(r.Context())
		r2.Host = r.URL.Host
		r2.URL.Scheme, r2.URL.Host = u.Scheme, u.Host
		return http.DefaultTransport.RoundTrip(r2)
	}), nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// cmdContacts logs in (hot login when possible), then lists which configured
// people are found among the bot's contacts by remark name. It runs the
// whole bot meanwhile, so messages arriving during the check are handled,
// not lost.
func cmdContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("contacts")
	simURL := fs.String("wxsim", "", "连接模拟微信（开发用） / talk to a wxsim server (development)")
	timeout := fs.Duration("timeout", 5*time.Minute, "等待登录的时间 / how long to wait for login")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	o := app.Options{Config: cfg, Logger: log, QRWriter: stdout, NoCron: true}
	if *simURL != "" {
		if o.Transport, err = rewriteTransport(*simURL); err != nil {
			return err
		}
	}
	a, err := app.New(ctx, o)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(*timeout)
	for !a.Bot.Online() {
		if time.Now().After(deadline) {
			return errors.New("登录超时 / timed out waiting for login")
		}
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("机器人已退出 / bot stopped: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	contacts, err := a.Bot.Contacts(ctx)
	if err != nil {
		return err
	}
	writeContactReport(stdout, cfg, contacts)
	return nil
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

// cmdWxsim runs the simulated WeChat server alone, for development and for
// tests that run the bot as a separate process (dudaobot run -wxsim URL).
func cmdWxsim(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, cfgPath := newFlags("wxsim")
	addr := fs.String("addr", "127.0.0.1:18080", "监听地址 / listen address")
	dataDir := fs.String("data", "", "媒体文件目录（默认临时目录） / media directory (default: temp)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sim := wxsim.New(wxsim.Options{AutoConfirm: true, DataDir: *dataDir})
	defer sim.Close()
	// With a config at hand, every configured person is a contact with the
	// configured remark, as the office would have set them on the phone.
	if cfg, err := config.Load(*cfgPath); err == nil {
		for _, d := range cfg.Directors() {
			sim.AddContact(d.Name, d.WeChatRemark)
		}
		for _, u := range cfg.Units() {
			for _, o := range u.Officials {
				sim.AddContact(o.Name, o.WeChatRemark)
			}
			if u.Backup != nil {
				sim.AddContact(u.Backup.Name, u.Backup.WeChatRemark)
			}
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("无法监听 %s / cannot listen: %w", *addr, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(stdout, "模拟微信已启动 / wxsim listening on http://%s (control API: /_sim/)\n", ln.Addr())
	fmt.Fprintf(stdout, "机器人连接方式 / run the bot against it: dudaobot run -wxsim http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
