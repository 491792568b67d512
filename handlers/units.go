package handlers

import (
	"slices"
	"strings"
	"unicode/utf8"

	"dudaobot/rules"
)

// MatchUnit returns the units a typed name refers to, in roster order. An
// exact match on the key (case-insensitive), the full name or an alias wins
// outright; otherwise every unit whose name or alias contains the query (of
// at least two characters) is returned, so 「县委」 yields several candidates
// and the caller asks which one was meant. No result means unknown.
func MatchUnit(units []rules.Unit, query string) []rules.Unit {
	q := strings.ReplaceAll(Normalize(query, ""), " ", "")
	if q == "" {
		return nil
	}
	var exact, partial []rules.Unit
	for _, u := range units {
		if strings.EqualFold(u.Key, q) || u.Name == q || slices.Contains(u.Aliases, q) {
			exact = append(exact, u)
			continue
		}
		if utf8.RuneCountInString(q) < 2 {
			continue
		}
		hit := strings.Contains(u.Name, q)
		for _, a := range u.Aliases {
			hit = hit || strings.Contains(a, q)
		}
		if hit {
			partial = append(partial, u)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return partial
}

// unitNames joins the full names of units with 「、」.
func unitNames(units []rules.Unit) string {
	names := make([]string, len(units))
	for i, u := range units {
		names[i] = u.Name
	}
	return strings.Join(names, "、")
}
