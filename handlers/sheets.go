package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Incoming .xlsx files are first shown to the recogniser table below: a
// workbook that is one of the bot's templates (a filled 自评表, a filled
// 评分表, …) goes to that template's handler instead of being filed as a
// submission version. Any other .xlsx is filed as before.
//
// To add a template: write its handler (func(ctx, r, doc) error, the file
// is already stored), then add one row to sheetKinds with its signature
// (headersIn for a header row, or a match of your own over the heads),
// who may send it and what anyone else is told. TestSheetKinds checks
// the table against the templates export writes.

// SheetHead is one sheet of an incoming workbook as far as recognising it
// needs: the sheet's name and its first rows, cells trimmed (read by
// export.SheetHeads through SheetReader; handlers never imports export).
type SheetHead struct {
	Name string
	Rows [][]string
}

// SheetReader reads the heads of a stored .xlsx (path as Files gave it).
// A file that is no workbook is an error; the file is then filed as usual.
type SheetReader interface {
	SheetHeads(ctx context.Context, path string) ([]SheetHead, error)
}

// sheetKind is one template the bot recognises in an incoming workbook.
type sheetKind struct {
	name   string                 // the template as people call it: 自评表
	match  func([]SheetHead) bool // its signature
	access Access                 // who may send it (Officials, Directors, Inspectors)
	refuse string                 // the answer to anyone else; nothing is registered
	handle func(ctx context.Context, r *Request, doc stored) error
}

// sheetKinds is the table, tried in order; the first match wins.
func (d *Conversations) sheetKinds() []sheetKind {
	return []sheetKind{
		{
			name: "自评表", match: headersIn("指标编号", "自评分"), access: Officials,
			refuse: "自评表由各责任单位联系人报送本单位的自评分。",
			handle: d.sc.receiveSheet,
		},
		{
			name:   "评分表",
			match:  anyOf(headersIn("指标编号", "督导评分"), headerPrefixIn("单位", "指标")),
			access: Directors | Inspectors,
			refuse: "评分表由督学或督导办主任报送。",
			handle: d.sc.receiveSheet,
		},
		{
			// Before 问题清单: the plan template holds 序号 and 问题描述 too.
			name: "整改方案模板", match: headersIn("序号", "整改措施", "完成时限"), access: Officials,
			refuse: "整改方案模板由各责任单位联系人填写后报送。",
			handle: d.probs.planSheet,
		},
		{
			name: "问题清单模板", match: headersIn("序号", "问题描述", "对应指标", "整改时限建议"), access: Directors,
			refuse: "问题清单由督导办主任登记。",
			handle: d.probs.listSheet,
		},
	}
}

// recognise returns the row of the table whose signature heads match.
func recognise(kinds []sheetKind, heads []SheetHead) (sheetKind, bool) {
	for _, k := range kinds {
		if k.match(heads) {
			return k, true
		}
	}
	return sheetKind{}, false
}

// headersIn matches a workbook with a sheet whose header row (any of the
// rows read) holds every name.
func headersIn(names ...string) func([]SheetHead) bool {
	return func(heads []SheetHead) bool {
		for _, h := range heads {
			for _, row := range h.Rows {
				if containsAll(row, names) {
					return true
				}
			}
		}
		return false
	}
}

// headerPrefixIn matches a header row holding name and a cell that starts
// with prefix (the one-sheet 评分表: 单位, 指标1, 指标2, …).
func headerPrefixIn(name, prefix string) func([]SheetHead) bool {
	return func(heads []SheetHead) bool {
		for _, h := range heads {
			for _, row := range h.Rows {
				if slices.Contains(row, name) && slices.ContainsFunc(row, func(c string) bool {
					return strings.HasPrefix(c, prefix) && c != prefix
				}) {
					return true
				}
			}
		}
		return false
	}
}

func anyOf(ms ...func([]SheetHead) bool) func([]SheetHead) bool {
	return func(heads []SheetHead) bool {
		return slices.ContainsFunc(ms, func(m func([]SheetHead) bool) bool { return m(heads) })
	}
}

func containsAll(row, names []string) bool {
	for _, n := range names {
		if !slices.Contains(row, n) {
			return false
		}
	}
	return true
}

// sheetFile gives a stored .xlsx to its template's handler. handled is
// false for a file that is no .xlsx or no known template (and when no
// SheetReader is configured): the caller files it as before.
func (d *Conversations) sheetFile(ctx context.Context, r *Request, doc stored) (handled bool, err error) {
	if d.env.o.Sheets == nil {
		return false, nil
	}
	if _, ext := d.env.files.Name(doc.Name); ext != "xlsx" {
		return false, nil
	}
	heads, err := d.env.o.Sheets.SheetHeads(ctx, doc.Path)
	if err != nil {
		// Not a workbook we can read: filed like any other document.
		d.env.log.Info("xlsx not recognised", slog.String("msg_id", r.In.Key.MsgID), slog.Any("err", err))
		return false, nil
	}
	k, ok := recognise(d.sheets, heads)
	if !ok {
		return false, nil
	}
	if k.access&accessOf(r.ID.Role) == 0 {
		return true, userErr(ErrForbidden, fmt.Sprintf("《%s》是%s，未登记。%s", doc.Name, k.name, k.refuse))
	}
	return true, k.handle(ctx, r, doc)
}
