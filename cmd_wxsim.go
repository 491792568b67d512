package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"dudaobot/config"
	"dudaobot/wxsim"
)

// cmdWxsim runs the simulated WeChat server alone, for development and for
// tests that run the bot as a separate process (dudaobot run -wxsim URL).
func cmdWxsim(fs *flag.FlagSet, cfgPath *string) runner {
	addr := fs.String("addr", "127.0.0.1:18080", "监听地址 / listen address")
	dataDir := fs.String("data", "", "媒体文件目录（默认临时目录） / media directory (default: temp)")
	return func(ctx context.Context, stdout, _ io.Writer) error {
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
}
