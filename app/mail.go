package app

import (
	"context"
	"crypto/tls"
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
type SMTPMailer struct {
	C config.SMTP
	// Timeout bounds the whole exchange, connection included (default
	// DefaultSMTPTimeout): smtp.SendMail has no timeout, and a server that
	// accepts the connection and then says nothing would hold the outage
	// alert forever.
	Timeout time.Duration
}

// DefaultSMTPTimeout bounds one e-mail's SMTP exchange.
const DefaultSMTPTimeout = 30 * time.Second

// Mail sends subject/body (UTF-8, base64-free: Chinese text in 8bit is
// accepted by every server we target; the subject is RFC 2047 encoded).
// It does what smtp.SendMail does (STARTTLS when offered, AUTH when a user
// is configured) on a connection with a deadline.
func (m SMTPMailer) Mail(ctx context.Context, subject, body string) error {
	addr := net.JoinHostPort(m.C.Host, strconv.Itoa(m.C.Port))
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg := buildMail(m.C.From, m.C.To, subject, body, time.Now())
	if err := m.send(ctx, addr, msg); err != nil {
		return fmt.Errorf("app: smtp %s: %w", addr, err)
	}
	return nil
}

func (m SMTPMailer) send(ctx context.Context, addr string, msg []byte) error {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return err
	}
	// A cancelled ctx (shutdown) ends a read or write in progress too.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, m.C.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: m.C.Host}); err != nil {
			return err
		}
	}
	if m.C.Username != "" {
		if ok, _ := c.Extension("AUTH"); ok {
			if err := c.Auth(smtp.PlainAuth("", m.C.Username, m.C.Password(), m.C.Host)); err != nil {
				return err
			}
		}
	}
	if err := c.Mail(m.C.From); err != nil {
		return err
	}
	for _, to := range m.C.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
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
