// Package quotestyle keeps one quotation style in the bot's Chinese chat
// texts: “” quotes, never 「」 and never straight quotes around Chinese
// words ("收到"). Its test walks the repository: every golden reply file
// and every string literal of the non-test Go sources. The checkers are
// pure functions over text, so their own test can feed them the old forms.
// The same walk holds the goldens to one more rule (codes.go): no reminder
// or digest number (提醒编号 TX-…, 汇总编号 RB-…) in a chat text.
package quotestyle

import (
	"fmt"
	"go/scanner"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Finding is one old-style quotation mark: where it is and the line.
type Finding struct {
	File string
	Line int
	Text string // the offending line (or string literal), trimmed
	What string // which form was found
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.What, f.Text)
}

// CheckText reports each line of a reply text that quotes with 「」, or with
// a straight quote touching a Chinese character.
func CheckText(file string, text []byte) []Finding {
	var out []Finding
	for i, line := range strings.Split(string(text), "\n") {
		if what := oldForm(line); what != "" {
			out = append(out, Finding{File: file, Line: i + 1, Text: strings.TrimSpace(line), What: what})
		}
	}
	return out
}

// CheckGoSource reports each string or rune literal of a Go source that
// holds an old form (comments are not chat text and are not read). A
// source that does not scan is reported, not skipped.
func CheckGoSource(file string, src []byte) []Finding {
	var out []Finding
	fset := token.NewFileSet()
	f := fset.AddFile(file, -1, len(src))
	var s scanner.Scanner
	var scanErr error
	s.Init(f, src, func(pos token.Position, msg string) {
		if scanErr == nil {
			scanErr = fmt.Errorf("%s: %s", pos, msg)
		}
	}, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.STRING && tok != token.CHAR {
			continue
		}
		// An escaped quote (\") inside an interpreted literal is a
		// straight quote in the text the literal makes.
		body := strings.ReplaceAll(lit, `\"`, `"`)
		if len(body) >= 2 {
			body = body[1 : len(body)-1] // the literal's own delimiters are Go, not text
		}
		if what := oldForm(body); what != "" {
			out = append(out, Finding{File: file, Line: fset.Position(pos).Line, Text: lit, What: what})
		}
	}
	if scanErr != nil {
		out = append(out, Finding{File: file, What: "does not scan", Text: scanErr.Error()})
	}
	return out
}

// oldForm names the old quotation form in s, "" when there is none.
func oldForm(s string) string {
	if strings.ContainsAny(s, "\u300c\u300d") { // 「」
		return "corner brackets instead of “”"
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+1:])
		if isHan(before) || isHan(after) {
			return `straight " around Chinese instead of “”`
		}
	}
	return ""
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }
