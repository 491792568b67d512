package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"dudaobot/rules"
)

// wrongUnitNote is the receipt's polite line when a unit's file looks like
// another unit's: its name names another unit of the roster, or its content
// (SHA-256) is the same as a file another unit sent. The file is stored all
// the same: the note only says so, and the sender may 撤回 it. "" when
// neither holds. selfID is the submission's own row (0 before it exists).
func (d *env) wrongUnitNote(ctx context.Context, unit rules.Unit, name, sha string, selfID int64) (string, error) {
	named := rules.UnitsNamedIn(name, d.o.Units, unit.Key)
	subs, err := d.store.Submissions(ctx, d.year, "")
	if err != nil {
		return "", fmt.Errorf("handlers: submissions for the duplicate check: %w", err)
	}
	var same []string
	for _, s := range subs {
		if s.ID != selfID && s.UnitKey != unit.Key && s.SHA256 == sha && !s.IsText {
			if n := d.unitName(s.UnitKey); !slices.Contains(same, n) {
				same = append(same, n)
			}
		}
	}
	if len(named) == 0 && len(same) == 0 {
		return "", nil
	}
	d.log.Info("submission may belong to another unit", slog.String("unit", unit.Key), slog.String("file", name),
		slog.String("named", unitNames(named)), slog.String("same_content_as", strings.Join(same, "、")))
	var what string
	switch {
	case len(named) > 0 && len(same) > 0:
		what = fmt.Sprintf("文件名提到“%s”，且内容与%s报送的文件完全相同", unitNames(named), strings.Join(same, "、"))
	case len(named) > 0:
		what = fmt.Sprintf("文件名提到“%s”，不是贵单位（%s）", unitNames(named), unit.Name)
	default:
		what = fmt.Sprintf("这份文件与%s报送的文件内容完全相同", strings.Join(same, "、"))
	}
	return "提示：" + what + "。材料已保存；如发错了文件，请在30分钟内回复“撤回”后重新发送。", nil
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
			return d.wrongUnitNote(ctx, unit, s.OriginalName, s.SHA256, id)
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
