package app

import (
	"context"
	"fmt"
	"log/slog"

	"dudaobot/rules"
)

// ScrubLogger returns a logger whose every line goes through
// rules.ScrubSecrets: the message, and every attribute value (errors and
// other values are rendered to text first). An attribute named like a
// secret (sid, skey, pass_ticket, …) loses its value whatever it is. The
// WeChat client's errors carry request URLs with the session's tickets, and
// they reach many log lines; scrubbing at the handler catches them all.
func ScrubLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	if _, ok := l.Handler().(scrubHandler); ok {
		return l
	}
	return slog.New(scrubHandler{l.Handler()})
}

type scrubHandler struct{ next slog.Handler }

func (h scrubHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, rules.ScrubSecrets(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h scrubHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = scrubAttr(a)
	}
	return scrubHandler{h.next.WithAttrs(clean)}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{h.next.WithGroup(name)}
}

func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if rules.IsSecretKey(a.Key) {
		return slog.String(a.Key, rules.Scrubbed)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rules.ScrubSecrets(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		clean := make([]any, len(attrs))
		for i, g := range attrs {
			clean[i] = scrubAttr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, rules.ScrubSecrets(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, rules.ScrubSecrets(x.String()))
		default:
			return slog.String(a.Key, rules.ScrubSecrets(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
