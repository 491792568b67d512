package handlers_test

import (
	"strings"
	"testing"

	"dudaobot/config"
	"dudaobot/handlers"
	"dudaobot/rules"
)

// FuzzMatchUnit checks the unit-name matcher on the shipped roster: it
// never panics; it returns only roster units, in roster order, each once;
// every result really matches the query (exactly, or by containing it);
// and a unit's exact key, name or alias always finds that unit.
func FuzzMatchUnit(f *testing.F) {
	cfg, err := config.Load("../config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	units := cfg.Units()
	for _, u := range units {
		f.Add(u.Key)
		f.Add(u.Name)
		for _, a := range u.Aliases {
			f.Add(a)
		}
	}
	for _, s := range []string{"", " ", "县委", "局", "财政", "ＣＺＪ", "czj", "县　财政局", "县财政局。", "\xff", "教育局教育局", "@督导办机器人 财政"} {
		f.Add(s)
	}
	pos := map[string]int{}
	for i, u := range units {
		pos[u.Key] = i
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := handlers.MatchUnit(units, q)
		norm := strings.ReplaceAll(handlers.Normalize(q, ""), " ", "")
		last := -1
		for _, u := range got {
			i, ok := pos[u.Key]
			if !ok {
				t.Fatalf("%q: unit %q not in the roster", q, u.Key)
			}
			if i <= last {
				t.Fatalf("%q: results not in roster order or repeated: %v", q, keys(got))
			}
			last = i
			exact := strings.EqualFold(u.Key, norm) || u.Name == norm || has(u.Aliases, norm)
			part := strings.Contains(u.Name, norm) || containsAny(u.Aliases, norm)
			if norm == "" || !(exact || part) {
				t.Fatalf("%q (normalised %q) matched %s %s, which does not contain it", q, norm, u.Key, u.Name)
			}
		}
		for _, u := range units {
			if strings.EqualFold(u.Key, norm) || u.Name == norm || has(u.Aliases, norm) {
				found := false
				for _, g := range got {
					found = found || g.Key == u.Key
				}
				if !found {
					t.Fatalf("%q names %s exactly but matched %v", q, u.Key, keys(got))
				}
			}
		}
	})
}

func keys(us []rules.Unit) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Key
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsAny(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
