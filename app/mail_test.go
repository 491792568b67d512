package app_test

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"dudaobot/app"
	"dudaobot/config"
	"dudaobot/internal/testutil"
)

// TestSMTPTimeout (issue 12, finding 6): a server that accepts the
// connection and then stalls (before its greeting, or after it) makes Mail
// fail with a deadline error instead of hanging; smtp.SendMail waited
// forever.
func TestSMTPTimeout(t *testing.T) {
	for _, greet := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				if greet {
					_, _ = c.Write([]byte("220 mail.example ESMTP\r\n"))
				}
				defer c.Close() // stall: read nothing, answer nothing
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		m := app.SMTPMailer{
			C:       config.SMTP{Host: "127.0.0.1", Port: port, From: "bot@example.org", To: []string{"d@example.org"}},
			Timeout: 200 * time.Millisecond,
		}
		done := make(chan error, 1)
		go func() { done <- m.Mail(context.Background(), "主题", "正文") }()
		select {
		case err = <-done:
		case <-testutil.HangGuard(t).Done(): // hang guard
			t.Fatalf("greeting=%v: Mail hung on a silent server", greet)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("greeting=%v: Mail = %v, want a deadline error", greet, err)
		}
	}
}
