package rules

import (
	"fmt"
	"slices"
	"strings"
)

// Resemblance says a submitted file may be another unit's: its name names
// other units of the roster (UnitsNamedIn), or its content (SHA-256) is the
// same as files other units sent. The receipt says so politely and the
// file is stored all the same; the submission keeps it (unit keys) so the
// director's digest can list it (Digest.ToVerify).
type Resemblance struct {
	Named  []string `json:"named,omitempty"`
	SameAs []string `json:"same_as,omitempty"`
}

// IsZero reports whether the file resembles no other unit's.
func (r Resemblance) IsZero() bool { return len(r.Named) == 0 && len(r.SameAs) == 0 }

// maxVerifyLines: up to this many units the digest gives each its own
// 需核实 line; more are named on one line, to stay phone-short.
const maxVerifyLines = 5

// maxVerifyPhoneLines is the most phone lines (PhoneLines) the per-unit
// lines may take; maxVerifyOneLine the most the one-line form takes, naming
// as many units as fit.
const (
	maxVerifyPhoneLines = 8
	maxVerifyOneLine    = 4
)

// verifyText is the directors' digest's list of files that may belong to
// another unit, received since the last digest (all of them before the
// first): each unit once, in roster order, its file's name and content
// findings merged. "" when there are none.
func (d Digest) verifyText() string {
	type found struct{ named, same []string }
	byUnit := map[string]*found{}
	for _, s := range d.ToVerify {
		if s.Version <= 0 || s.Resembles.IsZero() || (!d.Since.IsZero() && !s.ReceivedAt.After(d.Since)) ||
			(!d.now.IsZero() && s.ReceivedAt.After(d.now)) {
			continue
		}
		f := byUnit[s.UnitKey]
		if f == nil {
			f = &found{}
			byUnit[s.UnitKey] = f
		}
		for _, k := range s.Resembles.Named {
			if !slices.Contains(f.named, k) {
				f.named = append(f.named, k)
			}
		}
		for _, k := range s.Resembles.SameAs {
			if !slices.Contains(f.same, k) {
				f.same = append(f.same, k)
			}
		}
	}
	if len(byUnit) == 0 {
		return ""
	}
	var keys, gone []string
	for _, y := range d.years { // roster order
		if byUnit[y.UnitKey] != nil {
			keys = append(keys, y.UnitKey)
		}
	}
	for k := range byUnit { // a unit no longer on the roster: last, by key
		if !slices.Contains(keys, k) {
			gone = append(gone, k)
		}
	}
	slices.Sort(gone)
	keys = append(keys, gone...)
	names := func(ks []string) string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = d.name(k)
		}
		return strings.Join(out, "、")
	}
	lines := make([]string, len(keys))
	for i, k := range keys {
		f := byUnit[k]
		var what string
		switch {
		case len(f.named) > 0 && len(f.same) > 0:
			what = fmt.Sprintf("文件名提到%s，且内容与%s的相同", names(f.named), names(f.same))
		case len(f.named) > 0:
			what = "文件名提到" + names(f.named)
		default:
			what = "文件与" + names(f.same) + "的相同"
		}
		lines[i] = fmt.Sprintf("需核实：%s交来的%s", d.name(k), what)
	}
	if text := strings.Join(lines, "\n"); len(keys) <= maxVerifyLines && PhoneLines(text) <= maxVerifyPhoneLines {
		return text
	}
	// One line naming as many units as fit in maxVerifyOneLine phone lines.
	for n := len(keys); ; n-- {
		more := ""
		if n < len(keys) {
			more = fmt.Sprintf("等%d个单位", len(keys))
		}
		line := fmt.Sprintf("需核实：%s%s交来的文件可能属于其他单位（文件名提到其他单位，或与其他单位的文件相同），请发送“查询 单位名”核对。",
			names(keys[:n]), more)
		if n == 1 || PhoneLines(line) <= maxVerifyOneLine {
			return line
		}
	}
}
