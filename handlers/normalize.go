package handlers

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize prepares a chat text for command matching: it drops an @mention
// of the bot (botName, may be empty), folds full-width characters to
// half-width, treats Chinese and ASCII colons, commas, enumeration commas,
// semicolons, sentence stops and every kind of space as separators,
// collapses runs of separators into one ASCII space and trims the ends.
// Zero-width and control characters and invalid UTF-8 are dropped, so the
// result is never longer than the input.
func Normalize(s, botName string) string {
	s = foldWidth(s)
	if botName != "" {
		if m := "@" + foldWidth(botName); strings.Contains(s, m) {
			s = strings.ReplaceAll(s, m, " ")
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			// invalid byte (or a literal U+FFFD): dropped
		case isZeroWidth(r):
		case isSeparator(r):
			pendingSpace = b.Len() > 0
		case unicode.IsControl(r):
		default:
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldWidth maps full-width ASCII variants (U+FF01–U+FF5E) and the
// ideographic space to their half-width forms. Each folded rune is shorter
// in UTF-8 than the original; invalid bytes are dropped.
func foldWidth(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isSeparator(r rune) bool {
	switch r {
	case ':', ',', ';', '、', '。', '!', '?', '\u2005':
		return true
	}
	return unicode.IsSpace(r)
}

func isZeroWidth(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e':
		return true
	}
	return false
}

// stripMention removes an @mention of the bot from raw text without
// otherwise changing it, and reports whether one was present.
func stripMention(s, botName string) (string, bool) {
	if botName == "" {
		return s, false
	}
	for _, m := range []string{"@" + botName, "＠" + botName} {
		if strings.Contains(s, m) {
			return strings.TrimSpace(strings.ReplaceAll(s, m, "")), true
		}
	}
	return s, false
}

// bodyAfter returns the raw text that follows the command word at the start
// of raw, with separators after the word trimmed, so that a plan or a notice
// keeps its own lines and punctuation. The command word is matched after
// width folding, the way the router matched it.
func bodyAfter(raw, word string) string {
	raw = strings.TrimLeftFunc(raw, func(r rune) bool { return isSeparator(r) || isZeroWidth(r) })
	i := 0
	for _, w := range word {
		if i >= len(raw) {
			return ""
		}
		r, size := utf8.DecodeRuneInString(raw[i:])
		if f := []rune(foldWidth(string(r))); len(f) != 1 || f[0] != w {
			return strings.TrimSpace(raw)
		}
		i += size
	}
	// Full-width separators too (「整改方案：……」): the body starts after them.
	body := strings.TrimLeftFunc(raw[i:], func(r rune) bool {
		return isSeparator(r) || isZeroWidth(r) || isSeparator([]rune(foldWidth(string(r)) + " ")[0])
	})
	return strings.TrimRightFunc(body, unicode.IsSpace)
}
