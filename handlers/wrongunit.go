package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"dudaobot/rules"
)

// resemblance finds whether a unit's file looks like another unit's: its
// name names another unit of the roster, or its content (SHA-256) is the
// same as a file another unit sent. selfID is the submission's own row (0
// before it exists). The submission stores what is found
// (rules.Submission.Resembles), so the director's digest lists it.
func (d *env) resemblance(ctx context.Context, unit rules.Unit, name, sha string, selfID int64) (rules.Resemblance, error) {
	var r rules.Resemblance
	for _, u := range rules.UnitsNamedIn(name, d.o.Units, unit.Key) {
		r.Named = append(r.Named, u.Key)
	}
	subs, err := d.store.Submissions(ctx, d.year, "")
	if err != nil {
		return r, fmt.Errorf("handlers: submissions for the duplicate check: %w", err)
	}
	for _, s := range subs {
		if s.ID != selfID && s.UnitKey != unit.Key && s.SHA256 == sha && !s.IsText && !slices.Contains(r.SameAs, s.UnitKey) {
			r.SameAs = append(r.SameAs, s.UnitKey)
		}
	}
	if !r.IsZero() {
		d.log.Info("submission may belong to another unit", slog.String("unit", unit.Key), slog.String("file", name),
			slog.String("named", strings.Join(r.Named, ",")), slog.String("same_content_as", strings.Join(r.SameAs, ",")))
	}
	return r, nil
}

// wrongUnitNote is the receipt's polite line for a file that resembles
// another unit's (resemblance). The file is stored all the same: the note
// only says so, and the sender may 撤回 it. "" when nothing was found.
func (d *env) wrongUnitNote(unit rules.Unit, r rules.Resemblance) string {
	if r.IsZero() {
		return ""
	}
	names := func(keys []string) string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = d.unitName(k)
		}
		return strings.Join(out, "、")
	}
	var what string
	switch {
	case len(r.Named) > 0 && len(r.SameAs) > 0:
		what = fmt.Sprintf("文件名提到“%s”，且内容与%s报送的文件完全相同", names(r.Named), names(r.SameAs))
	case len(r.Named) > 0:
		what = fmt.Sprintf("文件名提到“%s”，不是贵单位（%s）", names(r.Named), unit.Name)
	default:
		what = fmt.Sprintf("这份文件与%s报送的文件内容完全相同", names(r.SameAs))
	}
	return "提示：" + what + "。材料已保存；如发错了文件，请在30分钟内回复“撤回”后重新发送。"
}

// refiledNote is wrongUnitNote for a file kept as supporting material while
// its sender chose the stage: the receipt comes only now.
func (d *official) refiledNote(ctx context.Context, unit rules.Unit, id int64) (string, error) {
	subs, err := d.store.Submissions(ctx, d.year, unit.Key)
	if err != nil {
		return "", fmt.Errorf("handlers: submissions %s: %w", unit.Key, err)
	}
	for _, s := range subs {
		if s.ID == id && !s.IsText {
			r, err := d.resemblance(ctx, unit, s.OriginalName, s.SHA256, id)
			if err != nil {
				return "", err
			}
			return d.wrongUnitNote(unit, r), nil
		}
	}
	return "", nil
}

// withNote ends a receipt with the wrong-unit note, if any.
func withNote(m rules.Outgoing, note string) rules.Outgoing {
	if note != "" {
		m.Text += "\n" + note
	}
	return m
}
