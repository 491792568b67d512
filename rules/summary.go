package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The director's short answers (总览, 未交, 逾期 and the daily digest) are
// read on a phone. They lead with counts and with what was received since
// the last digest, name each unit once, leave out lines that would say
// nothing (all zero), and show the office's own feedback stage only once
// the inspection is over, as 尚未反馈, never among the units' 未交.

// DigestStateKey is the state row of the directors' digest (DigestState).
const DigestStateKey = "digest.state"

// DigestState is when the last digest was made (At) and when the one before
// it was (Prev). "Since the last digest" starts at At for 总览 and 未交; a
// digest counts its changes from the one before it, also when the outbox
// renders it again at send time (SinceFor).
type DigestState struct {
	At, Prev time.Time
}

// String is the state row's value.
func (s DigestState) String() string {
	return s.At.UTC().Format(time.RFC3339Nano) + "|" + s.Prev.UTC().Format(time.RFC3339Nano)
}

// ParseDigestState reads a state row written by String.
func ParseDigestState(v string) (DigestState, error) {
	at, prev, _ := strings.Cut(v, "|")
	var s DigestState
	var err error
	if s.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return DigestState{}, fmt.Errorf("rules: digest state %q: %w", v, err)
	}
	if s.Prev, err = time.Parse(time.RFC3339Nano, prev); err != nil {
		return DigestState{}, fmt.Errorf("rules: digest state %q: %w", v, err)
	}
	return s, nil
}

// Next is the state once a digest is made at now. A second digest the same
// day (a repeated job) keeps the first one's window.
func (s DigestState) Next(now time.Time, loc *time.Location) DigestState {
	if !s.At.IsZero() && DateOf(s.At, loc) == DateOf(now, loc) {
		return s
	}
	return DigestState{At: now, Prev: s.At}
}

// SinceFor is where the changes of the digest made at madeAt start: the
// digest before it. Zero (no changes line) when the state does not know it.
func (s DigestState) SinceFor(madeAt time.Time, loc *time.Location) time.Time {
	switch {
	case !s.At.IsZero() && DateOf(s.At, loc) == DateOf(madeAt, loc):
		return s.Prev
	case !s.At.IsZero() && s.At.Before(madeAt):
		return s.At
	}
	return time.Time{}
}

// PhoneLineBudget is the most lines a short answer may take on a phone
// screen (PhoneLines); a longer one is cut to a summary and the details go
// in a file or a picture.
const PhoneLineBudget = 25

// phoneLineWidth is a phone chat bubble's line in half-width cells (16
// Chinese characters on a 390 px screen).
const phoneLineWidth = 32

// PhoneLines is how many lines text takes in a phone chat bubble: each
// line wraps at phoneLineWidth cells, a Chinese character taking two.
func PhoneLines(text string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		w := 0
		for _, r := range l {
			if r < utf8.RuneSelf {
				w++
			} else {
				w += 2
			}
		}
		n += max(1, (w+phoneLineWidth-1)/phoneLineWidth)
	}
	return n
}

// FeedbackShown reports whether the office's own feedback stage belongs in
// a short answer at now: once the inspection has ended (the day after
// InspectionEnd), or as soon as any feedback was delivered.
func FeedbackShown(c Calendar, units []UnitYear, now time.Time) bool {
	if !c.InspectionEnd.IsZero() && DateOf(now, c.Location).After(c.InspectionEnd) {
		return true
	}
	return slices.ContainsFunc(units, func(u UnitYear) bool { return !u.FeedbackAt.IsZero() })
}

// Change is a stage first received (for feedback: delivered) after the
// last digest.
type Change struct {
	UnitKey string
	Stage   Stage
	At      time.Time
}

// ChangesSince lists what was first received in (since, now], in roster
// and stage order. A zero since means no digest was sent yet: no changes.
func ChangesSince(units []UnitYear, since, now time.Time) []Change {
	if since.IsZero() {
		return nil
	}
	var out []Change
	for _, u := range units {
		for _, st := range AllStages {
			at := u.FirstSubmitted[st]
			if st == StageFeedback {
				at = u.FeedbackAt
			}
			if at.After(since) && !at.After(now) {
				out = append(out, Change{UnitKey: u.UnitKey, Stage: st, At: at})
			}
		}
	}
	return out
}

// ChangesLine is the line of what was received since the last digest,
// each unit once with its stages: 「新交：县卫健委（自查自评报告）」; the
// office's deliveries are 「已送达反馈：…」. "" when nothing changed.
func ChangesLine(changes []Change, name func(string) string) string {
	var units, fbUnits []string
	stages := map[string][]string{}
	for _, ch := range changes {
		if ch.Stage == StageFeedback {
			fbUnits = append(fbUnits, name(ch.UnitKey))
			continue
		}
		if _, ok := stages[ch.UnitKey]; !ok {
			units = append(units, ch.UnitKey)
		}
		stages[ch.UnitKey] = append(stages[ch.UnitKey], ch.Stage.Label())
	}
	var parts []string
	if len(units) > 0 {
		names := make([]string, len(units))
		for i, k := range units {
			names[i] = name(k) + "（" + strings.Join(stages[k], "、") + "）"
		}
		parts = append(parts, "新交："+strings.Join(names, "、"))
	}
	if len(fbUnits) > 0 {
		parts = append(parts, "已送达反馈："+strings.Join(fbUnits, "、"))
	}
	return strings.Join(parts, "\n")
}

// MaxChangesLines bounds the changes line of a short answer or a digest:
// a day on which many units submit gives counts instead of names (the
// names are in 未交 and the ledger).
const MaxChangesLines = 4

// ChangesLineWithin is ChangesLine with prefix before each of its lines
// when that takes at most MaxChangesLines phone lines; else the counts in
// one line: 「新交：40个单位；已送达反馈：3个单位」.
func ChangesLineWithin(changes []Change, name func(string) string, prefix string) string {
	line := ChangesLine(changes, name)
	if line == "" {
		return ""
	}
	line = prefix + strings.ReplaceAll(line, "\n", "\n"+prefix)
	if PhoneLines(line) <= MaxChangesLines {
		return line
	}
	units, fb := map[string]bool{}, map[string]bool{}
	for _, ch := range changes {
		if ch.Stage == StageFeedback {
			fb[ch.UnitKey] = true
		} else {
			units[ch.UnitKey] = true
		}
	}
	var parts []string
	if len(units) > 0 {
		parts = append(parts, fmt.Sprintf("%s新交：%d个单位", prefix, len(units)))
	}
	if len(fb) > 0 {
		parts = append(parts, fmt.Sprintf("%s已送达反馈：%d个单位", prefix, len(fb)))
	}
	return strings.Join(parts, "；")
}

// CountsLine is one stage's counts with the zero parts left out:
// 「自查自评报告：已交3（逾期提交1），未交25（均已逾期）」. "" when the stage
// has nothing submitted and nothing owed (not open yet, or not applicable).
// The feedback stage is the office's: 「书面反馈意见（督导办）：已送达2，尚未反馈25」.
func CountsLine(sc StageCounts) string {
	done, owed := sc.OnTime+sc.Late, sc.Open+sc.Overdue
	if done+owed == 0 {
		return ""
	}
	label, doneWord, owedWord := sc.Stage.Label(), "已交", "未交"
	if sc.Stage == StageFeedback {
		label, doneWord, owedWord = "书面反馈意见（督导办）", "已送达", "尚未反馈"
	}
	var parts []string
	if done > 0 {
		p := fmt.Sprintf("%s%d", doneWord, done)
		if sc.Late > 0 {
			p += fmt.Sprintf("（逾期%d）", sc.Late)
		}
		parts = append(parts, p)
	}
	if owed > 0 {
		p := fmt.Sprintf("%s%d", owedWord, owed)
		switch {
		case sc.Overdue == owed && owed > 1:
			p += "（均已逾期）"
		case sc.Overdue == owed:
			p += "（已逾期）"
		case sc.Overdue > 0:
			p += fmt.Sprintf("（已逾期%d）", sc.Overdue)
		}
		parts = append(parts, p)
	}
	return label + "：" + strings.Join(parts, "，")
}

// SummaryCounts are the count lines of a short answer, in stage order; the
// office's feedback line only when FeedbackShown.
func SummaryCounts(c Calendar, units []UnitYear, now time.Time) []string {
	showFeedback := FeedbackShown(c, units, now)
	var out []string
	for _, sc := range Overview(c, units, now) {
		if sc.Stage == StageFeedback && !showFeedback {
			continue
		}
		if l := CountsLine(sc); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// OwedGroup is the units that owe the same stages now: a unit is in one
// group only, so each unit is named once.
type OwedGroup struct {
	Stages []Stage
	Units  []string               // keys, roster order
	Status map[string]StageStatus // single-stage groups: each unit's status
}

// OwedGroups groups the units that owe any of stages now by the set of
// stages they owe (only overdue ones when overdueOnly), in the order the
// sets first appear by stage. The office's feedback stage is never owed by
// a unit and is skipped.
func OwedGroups(c Calendar, units []UnitYear, stages []Stage, now time.Time, overdueOnly bool) []OwedGroup {
	var out []OwedGroup
	index := map[string]int{}
	for _, u := range units {
		var owed []Stage
		var last StageStatus
		for _, st := range stages {
			if st == StageFeedback {
				continue
			}
			ss := StageStatusOf(c, u, st, now)
			if !ss.Kind.Missing() || (overdueOnly && ss.Kind != StatusOverdue) {
				continue
			}
			owed = append(owed, st)
			last = ss
		}
		if len(owed) == 0 {
			continue
		}
		var key strings.Builder
		for _, st := range owed {
			key.WriteString(string(st) + "|")
		}
		i, ok := index[key.String()]
		if !ok {
			i = len(out)
			index[key.String()] = i
			out = append(out, OwedGroup{Stages: owed, Status: map[string]StageStatus{}})
		}
		out[i].Units = append(out[i].Units, u.UnitKey)
		if len(owed) == 1 {
			out[i].Status[u.UnitKey] = last
		}
	}
	// Single stages first in stage order, then the combinations.
	rank := func(g OwedGroup) int {
		r := len(g.Stages) * 100
		for i, st := range AllStages {
			if st == g.Stages[0] {
				r += i
			}
		}
		return r
	}
	slices.SortStableFunc(out, func(a, b OwedGroup) int { return rank(a) - rank(b) })
	return out
}

// owedTag is how a unit's owed stage stands: 「已逾期2天」「剩3天」「今天截止」.
func owedTag(st StageStatus) string {
	switch {
	case st.Kind == StatusOverdue:
		return fmt.Sprintf("已逾期%d天", max(st.Days, 1))
	case st.Days <= 0:
		return "今天截止"
	}
	return fmt.Sprintf("剩%d天", st.Days)
}

// Text is the group as two lines: a header with the stages, the count and,
// when every unit shares it, how they stand; then the names, each with
// its own standing when they differ (and tags is set).
func (g OwedGroup) Text(name func(string) string, tags bool) string {
	labels := make([]string, len(g.Stages))
	for i, st := range g.Stages {
		labels[i] = st.Label()
	}
	head := fmt.Sprintf("%s（%d个", strings.Join(labels, "、"), len(g.Units))
	shared := ""
	if len(g.Stages) == 1 {
		for i, k := range g.Units {
			t := owedTag(g.Status[k])
			if i == 0 {
				shared = t
			} else if t != shared {
				shared = ""
				break
			}
		}
	}
	if shared != "" {
		if len(g.Units) > 1 && shared != "今天截止" {
			head += "，均" + shared
		} else {
			head += "，" + shared
		}
	}
	head += "）："
	names := make([]string, len(g.Units))
	for i, k := range g.Units {
		names[i] = name(k)
		if tags && shared == "" && len(g.Stages) == 1 {
			names[i] += "（" + owedTag(g.Status[k]) + "）"
		}
	}
	return head + "\n" + strings.Join(names, "、")
}

// GroupsText renders groups one after another, with each unit's standing
// if the whole still fits in budget phone lines (given the lines already
// used), else without.
func GroupsText(groups []OwedGroup, name func(string) string, used int) string {
	render := func(tags bool) string {
		parts := make([]string, len(groups))
		for i, g := range groups {
			parts[i] = g.Text(name, tags)
		}
		return strings.Join(parts, "\n")
	}
	text := render(true)
	if used+PhoneLines(text) > PhoneLineBudget {
		text = render(false)
	}
	return text
}
