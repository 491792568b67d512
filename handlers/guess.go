package handlers

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"dudaobot/rules"
)

// A mistyped unit name (「查询 卫建委」) is answered with the closest
// configured unit, 「您是指“县卫健委”吗？回复1确认」; the answer 1 runs the
// original command with that unit. The command itself never guesses:
// resolveUnit returns a *unitGuess inside its user error, and serve, the
// one place every route runs, keeps the corrected command as the sender's
// pending answer (state key handlers:guess:<remark>).

// unitGuess is an unknown unit name and the one unit it is closest to.
type unitGuess struct {
	typed string
	unit  rules.Unit
}

func (e *unitGuess) Error() string { return "unknown unit " + e.typed + ", closest " + e.unit.Key }
func (e *unitGuess) Unwrap() error { return ErrBadInput }

// pendingGuess is the command to run when the sender answers 1.
type pendingGuess struct {
	Text string    `json:"text"` // the command with the unit's full name
	Unit string    `json:"unit"`
	At   time.Time `json:"at"`
}

func guessKey(remark string) string { return "handlers:guess:" + remark }

// closestUnits returns the units nearest to q by edit distance over their
// names and aliases (with and without the leading 县), if any is close
// enough to be a typo: at most one edit for names of up to four
// characters, two for longer ones. Several units at the same distance are
// all returned, roster order.
func closestUnits(units []rules.Unit, q string) []rules.Unit {
	q = strings.ReplaceAll(Normalize(q, ""), " ", "")
	n := utf8.RuneCountInString(q)
	if n < 2 {
		return nil
	}
	limit := 1
	if n > 4 {
		limit = 2
	}
	best, out := limit+1, []rules.Unit(nil)
	for _, u := range units {
		dist := limit + 1
		for _, name := range append([]string{u.Name}, u.Aliases...) {
			for _, form := range []string{name, strings.TrimPrefix(name, "县")} {
				dist = min(dist, editDistance(q, form))
			}
		}
		switch {
		case dist < best:
			best, out = dist, []rules.Unit{u}
		case dist == best && dist <= limit:
			out = append(out, u)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// unknownUnit is resolveUnit's answer to a name no unit has: a guess when
// exactly one unit is close, the close ones as a list when several are,
// else how to write a unit.
func (d *env) unknownUnit(name string) error {
	typed := clip(name, 20)
	close := closestUnits(d.o.Units, name)
	switch len(close) {
	case 0:
		return userErr(ErrBadInput, "没有找到名为“"+typed+"”的单位，请使用单位全称或常用简称，如“财政局”。")
	case 1:
		return &UserError{Msg: "没有找到名为“" + typed + "”的单位，请使用单位全称或常用简称。",
			Err: &unitGuess{typed: name, unit: close[0]}}
	}
	return userErr(ErrBadInput, "没有找到名为“"+typed+"”的单位。相近的有："+unitNames(close)+"，请写明全称。")
}

// serve runs the matched route. When the route refused a mistyped unit
// that is close to exactly one unit, it keeps the corrected command and
// asks 「您是指“…”吗？回复1确认」.
func (d *Conversations) serve(ctx context.Context, r *Request) error {
	err := r.route.h(ctx, r)
	var g *unitGuess
	if !errors.As(err, &g) || r.In.Kind != rules.MsgText || r.ID.Remark == "" || r.Word == OnUnknown {
		return err
	}
	text := strings.TrimSpace(r.Word + " " + strings.Replace(strings.Join(r.Args, " "), g.typed, g.unit.Name, 1))
	if !strings.Contains(text, g.unit.Name) {
		return err // the name was split over arguments: the plain refusal
	}
	if perr := d.env.putState(ctx, guessKey(r.ID.Remark), pendingGuess{Text: text, Unit: g.unit.Key, At: r.At}); perr != nil {
		return perr
	}
	return userErr(ErrBadInput, "没有找到名为“"+clip(g.typed, 20)+"”的单位。您是指“"+g.unit.Name+"”吗？回复1确认")
}

// runGuess answers 1 to 「您是指“…”吗」: the kept command runs again, as
// if the sender had typed it with the unit's full name. ran is false when
// no guess is waiting.
func (d *Conversations) runGuess(ctx context.Context, r *Request) (ran bool, err error) {
	var g pendingGuess
	ok, err := d.env.getState(ctx, guessKey(r.ID.Remark), &g)
	if err != nil || !ok {
		return false, err
	}
	if err := d.env.deleteState(ctx, guessKey(r.ID.Remark)); err != nil {
		return true, err
	}
	if r.At.Sub(g.At) > pairWindow {
		return true, d.env.reply(ctx, r, "单位名称的提示已超过10分钟，已失效。请重新发送“"+clip(g.Text, 20)+"”。")
	}
	r.In.Text, r.Args, r.Prose = g.Text, nil, ""
	d.mux.parse(r, "")
	if r.route.access&accessOf(r.ID.Role) == 0 {
		return true, userErr(ErrForbidden, "“"+r.Word+"”不在您可用的命令中。发送“帮助”查看全部。")
	}
	return true, d.serve(ctx, r)
}

// guessWords are the read-only commands whose word glued to a mistyped
// unit (「查询卫建委」) is answered with the guess instead of the usage.
var guessWords = map[string]bool{"查询": true, "检查详情": true, "成绩": true}

// proseGuess asks 「您是指“…”吗？回复1确认」 for a read-only command word
// glued to a name close to exactly one unit; asked is false otherwise.
func (d *Conversations) proseGuess(ctx context.Context, r *Request) (asked bool, err error) {
	if !guessWords[r.Prose] || r.ID.Remark == "" {
		return false, nil
	}
	typed := strings.TrimPrefix(strings.ReplaceAll(r.Text, " ", ""), r.Prose)
	close := closestUnits(d.env.o.Units, typed)
	if len(close) != 1 {
		return false, nil
	}
	text := r.Prose + " " + close[0].Name
	if err := d.env.putState(ctx, guessKey(r.ID.Remark), pendingGuess{Text: text, Unit: close[0].Key, At: r.At}); err != nil {
		return true, err
	}
	return true, d.env.reply(ctx, r, "没有找到名为“"+clip(typed, 20)+"”的单位。您是指“"+close[0].Name+"”吗？回复1确认")
}
