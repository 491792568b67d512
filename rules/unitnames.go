package rules

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// unitSuffixes end the short aliases that still name a unit on their own
// (编办, 团委); other two-character aliases (财政, 公安, 民政) are ordinary
// words in file names (财政投入, 公安交警) and are not read as a unit.
const unitSuffixes = "局委办部院会室队"

// UnitsNamedIn returns the roster units other than ownKey that a file name
// names, by full name or alias, in roster order. Text that is part of a
// name of ownKey's unit (县委办公室 inside 党委办公室…) is not counted, so a
// unit's own long name never names another unit by a shorter alias inside it.
func UnitsNamedIn(name string, units []Unit, ownKey string) []Unit {
	text := name
	for _, u := range units {
		if u.Key != ownKey {
			continue
		}
		for _, term := range longestFirst(unitTerms(u)) {
			text = strings.ReplaceAll(text, term, "\x00")
		}
	}
	var out []Unit
	for _, u := range units {
		if u.Key == ownKey {
			continue
		}
		if slices.ContainsFunc(unitTerms(u), func(term string) bool { return strings.Contains(text, term) }) {
			out = append(out, u)
		}
	}
	return out
}

// unitTerms are the strings that name u in a file name: its full name and
// every alias of three characters or more, or of two ending like a unit.
func unitTerms(u Unit) []string {
	terms := []string{u.Name}
	for _, a := range u.Aliases {
		n := utf8.RuneCountInString(a)
		last, _ := utf8.DecodeLastRuneInString(a)
		if n >= 3 || (n == 2 && strings.ContainsRune(unitSuffixes, last)) {
			terms = append(terms, a)
		}
	}
	return terms
}

func longestFirst(terms []string) []string {
	out := slices.Clone(terms)
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
