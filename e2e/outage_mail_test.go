package e2e_test

import (
	"bufio"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/bot"
	"dudaobot/config"
	"dudaobot/internal/testutil"
	"dudaobot/wxsim"
)

// smtpServer is a loopback SMTP server that speaks just enough of RFC 5321
// for net/smtp.SendMail and hands every message to a channel.
type smtpServer struct {
	ln    net.Listener
	mail  chan string
	guard time.Time // the test's hang guard
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, mail: make(chan string, 4), guard: testutil.GuardDeadline(t)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(s.guard) // hang guard
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mail <- b.String()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// Ensure that while the WeChat session stays down longer than
// wechat.outage_alert_after the director is e-mailed (WeChat cannot carry
// that news), once, and that the bot still comes back afterwards.
func TestOutageEmail(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t)
	port := srv.ln.Addr().(*net.TCPAddr).Port
	h := apptest.Start(t, apptest.WithConfig(func(c *config.Config) {
		c.SMTP = config.SMTP{Host: "127.0.0.1", Port: port, From: "dudaobot@akqi.gov.cn", To: []string{"director@akqi.gov.cn"}}
		c.WeChat.OutageAlertAfter = config.Duration{Duration: 300 * time.Millisecond}
	}))
	// The phone is away: neither a push confirmation nor a new QR login
	// can succeed until the faults are lifted.
	var lift []func()
	for _, ep := range []string{"webwxpushloginurl", "jslogin"} {
		lift = append(lift, h.Sim.InjectFault(wxsim.Fault{Endpoint: ep, Kind: wxsim.FaultHTTP5xx}))
	}
	n := h.StatusCount()
	h.Sim.ForceLogout(1101)
	h.WaitStatus("offline after 1101", n, func(s bot.Status) bool { return !s.Online })

	var msg string
	select {
	case msg = <-srv.mail:
	case <-testutil.HangGuard(t).Done(): // hang guard
		t.Fatal("no outage e-mail (hung)")
	}
	subject := "督导机器人微信离线提醒"
	if want := "Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?="; !strings.Contains(msg, want) {
		t.Errorf("mail lacks subject %q:\n%s", subject, msg)
	}
	for _, want := range []string{"To: director@akqi.gov.cn", "督导机器人自 2027-01-10 09:00 起无法连接微信", "dudaobot run"} {
		if !strings.Contains(msg, want) {
			t.Errorf("mail lacks %q:\n%s", want, msg)
		}
	}

	for _, f := range lift {
		f()
	}
	h.WaitStatus("online again", n, func(s bot.Status) bool { return s.Online })
	h.WaitFor(h.Director(), apptest.TextPrefix("【系统通知】"))
	select {
	case extra := <-srv.mail:
		t.Errorf("a second outage e-mail for one outage:\n%s", extra)
	default:
	}
}
