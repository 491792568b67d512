package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dudaobot/rules"
)

// Handler handles one message. It writes its replies to the outbox through
// the Request and returns an error for anything it could not do; a
// *UserError's message goes back to the sender, anything else is logged and
// answered with a fixed apology (see reply.go).
type Handler func(ctx context.Context, r *Request) error

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// Chain composes middleware so that the first one listed runs first.
func Chain(mw ...Middleware) Middleware {
	return func(h Handler) Handler {
		for i := len(mw) - 1; i >= 0; i-- {
			h = mw[i](h)
		}
		return h
	}
}

// Access says who may use a route and where.
type Access uint8

const (
	// Officials may use the route (for their own unit only).
	Officials Access = 1 << iota
	// Directors may use the route.
	Directors
	// Strangers (unknown contacts) may use the route: only 绑定.
	Strangers
	// InGroups allows the route in a handled group chat; without it a group
	// message is redirected to a private chat, so that nothing about any
	// unit is ever said in a group.
	InGroups
	// Inspectors (督学) may use the route: they send the 评分表 and nothing
	// else (帮助, 评分表, a file, 确认/取消 of its summary).
	Inspectors

	// Members are officials and directors.
	Members = Officials | Directors
)

// Events are route words for messages that are not commands. They start
// with \a so that no user text can collide with them.
const (
	OnFile    = "\afile"    // a file or an image
	OnOther   = "\aother"   // voice, video, sticker, link…
	OnUnknown = "\aunknown" // text that matches no command
)

type route struct {
	word   string
	access Access
	h      Handler
	// arg, when set, says whether an argument parses exactly (a unit, a
	// date, a stage); such an argument may follow the word after any
	// separator or even glued to it (「查询财政局」), because a text that
	// parses exactly is never prose.
	arg func(args []string) bool
}

// Router maps a normalised command word to its handler, like
// net/http.ServeMux maps a path.
type Router struct {
	routes map[string]*route
	order  []string
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{routes: map[string]*route{}} }

// Handle registers h for word. Like ServeMux.Handle it panics on an empty word, a nil handler or
// a word registered twice, because each is a programming error.
func (m *Router) Handle(word string, access Access, h Handler) {
	switch {
	case word == "":
		panic("handlers: empty command word")
	case h == nil:
		panic("handlers: nil handler for " + word)
	case m.routes[word] != nil:
		panic("handlers: command word registered twice: " + word)
	case !strings.HasPrefix(word, "\a") && Normalize(word, "") != word:
		panic(fmt.Sprintf("handlers: command word %q is not normalised", word))
	}
	m.routes[word] = &route{word: word, access: access, h: h}
	m.order = append(m.order, word)
}

// Arg lets word take an argument that valid accepts glued to it or after
// any separator (see route.arg). It panics for a word not registered.
func (m *Router) Arg(word string, valid func(args []string) bool) {
	rt := m.routes[word]
	if rt == nil || valid == nil {
		panic("handlers: Arg for unregistered word or nil check: " + word)
	}
	rt.arg = valid
}

// match finds the route for a normalised text: the first word exactly, or
// else the longest command word (two characters or more) it starts with
// (glued is then true). It returns the word and the argument text after it.
func (m *Router) match(text string) (rt *route, rest string, glued bool) {
	first, rest, _ := strings.Cut(text, " ")
	if rt := m.routes[first]; rt != nil {
		return rt, rest, false
	}
	var best *route
	for _, w := range m.order {
		if strings.HasPrefix(w, "\a") || utf8.RuneCountInString(w) < 2 {
			continue
		}
		if strings.HasPrefix(first, w) && (best == nil || len(w) > len(best.word)) {
			best = m.routes[w]
		}
	}
	if best == nil {
		return m.routes[OnUnknown], text, false
	}
	return best, strings.TrimSpace(strings.TrimPrefix(first, best.word) + " " + rest), true
}

// bounded reports whether a text that starts with rt's word is the command:
// the word is the whole message (trailing punctuation aside), or an
// argument follows after a space, a colon, a full-width space or a new
// line, or the route's own argument check accepts what follows. Anything
// else is prose that merely starts with a command word
// (「下发的通知大家都收到了吗」, 「整改方案还在修改中，下周交」).
func bounded(rt *route, raw, rest string, glued bool) bool {
	switch {
	case rest == "":
		return true
	case rt.arg != nil && rt.arg(strings.Fields(rest)):
		return true
	case glued:
		return false
	}
	after, ok := runeAfterWord(raw, rt.word)
	if !ok {
		return false
	}
	switch after {
	case ' ', '\t', '\n', '\r', ':', '\u00a0', '\u2005':
		return true // full-width space and colon are folded to these
	}
	return false
}

// runeAfterWord returns the first rune after the command word at the start
// of raw, compared after width folding as the router compares.
func runeAfterWord(raw, word string) (rune, bool) {
	raw = foldWidth(strings.TrimLeftFunc(raw, func(r rune) bool { return isSeparator(r) || isZeroWidth(r) }))
	if !strings.HasPrefix(raw, word) {
		return 0, false
	}
	r, size := utf8.DecodeRuneInString(raw[len(word):])
	return r, size > 0
}

func accessOf(role rules.Role) Access {
	switch role {
	case rules.RoleOfficial:
		return Officials
	case rules.RoleDirector:
		return Directors
	case rules.RoleInspector:
		return Inspectors
	}
	return Strangers
}

// Request is one inbound message on its way through the middleware.
type Request struct {
	In   rules.Inbound
	ID   rules.Identity // set by identify
	Word string         // matched command word or event
	Args []string       // normalised arguments after the word
	Text string         // normalised full text
	Body string         // raw text after the command word (plans, notices)
	// At is when the message was received; lateness is judged on it, so a
	// file sent on the due day while the bot was down is still on time.
	At time.Time
	// Mentioned is true when the text @mentioned the bot.
	Mentioned bool
	// Prose is the command word a text merely starts with
	// (「下发的通知……」): the text is routed as unknown, never as the
	// command, and answered with that command's usage.
	Prose string

	route     *route
	recovered bool   // re-run by Recover: already recorded
	sender    string // worker key: remark, or "u:"+UserName for strangers
	replies   int    // replies written so far, for deterministic keys
	// replaceable: the answers of a read-only command, replaced while
	// still queued by the same command's newer answers (see readOnly).
	replaceable bool
	outs        []rules.Outgoing // replies not yet written (see Intake.finish)
}

// Arg returns the i-th argument or "".
func (r *Request) Arg(i int) string {
	if i < len(r.Args) {
		return r.Args[i]
	}
	return ""
}

// parse fills the routing fields of a request from its message.
func (m *Router) parse(r *Request, botName string) {
	switch r.In.Kind {
	case rules.MsgFile, rules.MsgImage:
		r.route = m.routes[OnFile]
	case rules.MsgText:
		raw, mentioned := stripMention(r.In.Text, botName)
		r.Mentioned = mentioned
		r.Text = Normalize(raw, botName)
		rt, rest, glued := m.match(r.Text)
		if rt.word != OnUnknown && !bounded(rt, raw, rest, glued) {
			r.Prose = rt.word
			rt, rest = m.routes[OnUnknown], r.Text
		}
		r.route = rt
		if rest != "" {
			r.Args = strings.Fields(rest)
		}
		if rt.word != OnUnknown {
			r.Body = bodyAfter(raw, rt.word)
		} else {
			r.Body = strings.TrimSpace(raw)
		}
	default:
		r.route = m.routes[OnOther]
	}
	r.Word = r.route.word
}
