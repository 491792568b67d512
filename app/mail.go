package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"dudaobot/config"
)

// Mailer sends one plain-text e-mail to the configured recipients.
type Mailer interface {
	Mail(ctx context.Context, subject, body string) error
}

// SMTPMailer sends through the SMTP server of config smtp.*. The password
// comes from the environment variable named in smtp.password_env, never
// from the file.
type SMTPMailer struct{ C config.SMTP }

// Mail sends subject/body (UTF-8, base64-free: Chinese text in 8bit is
// accepted by every server we target; the subject is RFC 2047 encoded).
func (m SMTPMailer) Mail(ctx context.Context, subject, body string) error {
	addr := net.JoinHostPort(m.C.Host, strconv.Itoa(m.C.Port))
	var auth smtp.Auth
	if m.C.Username != "" {
		auth = smtp.PlainAuth("", m.C.Username, m.C.Password(), m.C.Host)
	}
	msg := buildMail(m.C.From, m.C.To, subject, body, time.Now())
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(addr, auth, m.C.From, m.C.To, msg) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("app: smtp %s: %w", addr, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func buildMail(from string, to []string, subject, body string, at time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	fmt.Fprintf(&b, "Subject: =?UTF-8?B?%s?=\r\n", b64(subject))
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
