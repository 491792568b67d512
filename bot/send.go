package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/rules"
)

// maxSendBytes is the service's attachment limit (openwechat v1.4.10 adds
// webwxcheckupload for files over 25 MiB; 50 MiB is the ceiling).
const maxSendBytes = 50 << 20

// Send delivers one outbox message (implements outbox.Transport). A text goes
// as one message. A picture (.png, .jpg, .gif) goes as an image message; any
// other file as an attachment whose visible name is m.FileName; if m.Text is also set it is sent first, as its own message, so
// a retry after a failed upload repeats only the short text.
//
// Errors (rules' transport errors, wrapped): rules.ErrOffline (no session,
// or the session died), rules.ErrTooOften (Ret 1205: slow down),
// rules.ErrNoRecipient / rules.ErrAmbiguousRecipient (a remark or group name
// that does not match exactly one contact).
func (c *Client) Send(ctx context.Context, m rules.Outgoing) error {
	s := c.current()
	if s == nil {
		return fmt.Errorf("bot: send %s: %w", m.Key, rules.ErrOffline)
	}
	to, err := s.resolve(ctx, m.To)
	if err != nil {
		return fmt.Errorf("bot: send %s: %w", m.Key, err)
	}
	if m.Text != "" {
		if err := s.sendText(ctx, to, m.Text); err != nil {
			return fmt.Errorf("bot: send %s text: %w", m.Key, classify(err))
		}
	}
	if m.FilePath != "" {
		if err := s.sendFile(ctx, to, m); err != nil {
			return fmt.Errorf("bot: send %s file: %w", m.Key, classify(err))
		}
	}
	if m.Text == "" && m.FilePath == "" {
		return fmt.Errorf("bot: send %s: empty message", m.Key)
	}
	return nil
}

// classify maps WeChat's Ret codes to our sentinel errors, keeping the cause.
func classify(err error) error {
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		switch int(ret) {
		case 1205:
			return fmt.Errorf("%w: %w", rules.ErrTooOften, err)
		case 1100, 1101, 1102:
			return fmt.Errorf("%w: %w", rules.ErrOffline, err)
		}
	}
	return err
}

// resolve finds the session UserName for a recipient. A remark or group name
// that is not found triggers one contact refresh (it may have been set on
// the phone since the last one) before giving up.
func (s *session) resolve(ctx context.Context, r rules.Recipient) (string, error) {
	switch {
	case r.Remark != "":
		return s.findOnce(ctx, "remark "+r.Remark, func(snap *contactSnap) []*contactInfo {
			return matching(snap.friends, func(f *contactInfo) bool { return f.remark == r.Remark })
		})
	case r.UserName != "":
		return r.UserName, nil
	case r.Group != "":
		return s.findOnce(ctx, "group "+r.Group, func(snap *contactSnap) []*contactInfo {
			return matching(snap.groups, func(g *contactInfo) bool { return g.nick == r.Group })
		})
	}
	return "", fmt.Errorf("%w: empty recipient", rules.ErrNoRecipient)
}

// matching is the contacts for which match holds.
func matching(list []*contactInfo, match func(*contactInfo) bool) []*contactInfo {
	var out []*contactInfo
	for _, c := range list {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

func (s *session) findOnce(ctx context.Context, what string, match func(*contactSnap) []*contactInfo) (string, error) {
	found := match(s.snapshot())
	if len(found) == 0 {
		// Forced: a miss is rare (a remark just set on the phone, or a
		// configuration error) and the outbox paces its retries.
		if err := s.refreshContacts(ctx, true); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		found = match(s.snapshot())
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: %w", what, rules.ErrNoRecipient)
	case 1:
		return found[0].userName, nil
	}
	return "", fmt.Errorf("%s (%d contacts): %w", what, len(found), rules.ErrAmbiguousRecipient)
}

func (s *session) sendText(ctx context.Context, to, text string) error {
	msg := openwechat.NewTextSendMessage(text, s.selfName(), to)
	_, err := s.bot.Caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo: s.info(), BaseRequest: s.req(), Message: msg,
	})
	return err
}

// sendFile uploads and sends m's file. openwechat shows the recipient the
// base name of the *os.File it is given (any other reader arrives as a
// random number without extension), so the document is hard-linked (or
// copied) into a private temp dir under its display name first.
func (s *session) sendFile(ctx context.Context, to string, m rules.Outgoing) error {
	abs := m.FilePath
	if s.c.o.ResolveFile != nil {
		p, err := s.c.o.ResolveFile(m.FilePath)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", m.FilePath, err)
		}
		abs = p
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	switch {
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", abs)
	case st.Size() == 0:
		return errors.New("empty file (WeChat refuses empty attachments)")
	case st.Size() > maxSendBytes:
		return fmt.Errorf("file is %d bytes; WeChat accepts at most %d", st.Size(), maxSendBytes)
	}
	name := displayName(m.FileName, abs)
	dir, err := os.MkdirTemp(s.c.o.TempDir, "dudaobot-send-*")
	if err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	staged := filepath.Join(dir, name)
	if err := linkOrCopy(abs, staged); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	f, err := os.Open(staged)
	if err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	defer func() { _ = f.Close() }()
	if isPicture(name) {
		// A picture goes as an image message, so the phone shows it in
		// the chat (the 总览 board) instead of a file to download.
		_, err = s.bot.Caller.WebWxSendImageMsg(ctx, f, &openwechat.CallerWebWxSendImageMsgOptions{
			FromUserName: s.selfName(), ToUserName: to, BaseRequest: s.req(), LoginInfo: s.info(),
		})
		return err
	}
	_, err = s.bot.Caller.WebWxSendFile(ctx, f, &openwechat.CallerWebWxSendFileOptions{
		FromUserName: s.selfName(), ToUserName: to, BaseRequest: s.req(), LoginInfo: s.info(),
	})
	return err
}

// isPicture reports whether a file is sent as an image message.
func isPicture(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

// displayName makes the recipient-visible name safe as a single path
// element: no separators, no NUL, not "."/"..", at most 240 bytes (the
// extension kept).
func displayName(want, abs string) string {
	name := strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', 0:
			return '_'
		}
		return r
	}, strings.TrimSpace(want))
	if name == "" || name == "." || name == ".." {
		name = filepath.Base(abs)
	}
	const max = 240
	if len(name) > max {
		ext := filepath.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		stem := name[:max-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = stem + ext
	}
	return name
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
