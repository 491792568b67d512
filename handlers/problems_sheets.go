package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"dudaobot/rules"
)

// ProblemSheets writes the problem workbooks the chat sends and reads the
// filled ones back (export.ProblemSheets implements it). A read error that
// names cells has a Chinese() method (「第5行“完成时限”列：……」).
type ProblemSheets interface {
	WriteProblemListTemplate(w io.Writer) error
	WriteProblemList(w io.Writer, ps []rules.Problem) error
	WritePlanTemplate(w io.Writer, ps []rules.Problem) error
	ReadProblemList(r io.Reader, year int) ([]rules.ProblemLine, error)
	ReadPlan(r io.Reader, year int) ([]rules.PlanLine, error)
	// IsPlan reports whether a workbook has the plan template's header.
	IsPlan(r io.Reader) bool
}

// storedOpener reads a stored file back (app.HandlerFiles): a filled
// template is read after it is safely stored.
type storedOpener interface {
	OpenStored(path string) (io.ReadCloser, error)
}

// maxSheetBytes bounds a template read into memory; a filled plan is a few
// kilobytes.
const maxSheetBytes = 4 << 20

// planSheet takes an official's .xlsx with the plan template's header as
// the unit's plan per item (as 整改措施 lines are), the workbook kept as
// the 整改方案 version once complete. handled is false for any other file:
// it is filed as before.
func (d *problems) planSheet(ctx context.Context, r *Request, doc stored) (bool, error) {
	sheets := d.o.ProblemSheets
	op, canOpen := d.files.(storedOpener)
	if d.o.Problems == nil || sheets == nil || !canOpen || r.ID.Role != rules.RoleOfficial || doc.Size > maxSheetBytes {
		return false, nil
	}
	if _, ext := d.files.Name(doc.Name); ext != "xlsx" {
		return false, nil
	}
	f, err := op.OpenStored(doc.Path)
	if err != nil {
		return true, fmt.Errorf("handlers: open %s: %w", doc.Path, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSheetBytes))
	f.Close()
	if err != nil {
		return true, fmt.Errorf("handlers: read %s: %w", doc.Path, err)
	}
	if !sheets.IsPlan(bytes.NewReader(b)) {
		return false, nil
	}
	unit := d.units[r.ID.UnitKey]
	return true, d.savePlan(ctx, r, unit, func() ([]rules.PlanLine, error) {
		lines, err := sheets.ReadPlan(bytes.NewReader(b), d.year)
		var named interface{ Chinese() string }
		if err != nil && errors.As(err, &named) {
			return nil, userErr(ErrBadInput, "《"+doc.Name+"》中有需要改正的地方：\n"+named.Chinese()+"\n整改措施未保存，请改正后重新发送。")
		}
		return lines, err
	}, &doc)
}

// A problem list longer than this goes to the unit as a workbook rather
// than as lines on the phone screen.
const (
	maxListItems = 10
	maxListLines = 25
)

// listLong reports whether a list is too long for one chat message.
func listLong(ps []rules.Problem) bool {
	lines := 0
	for _, p := range ps {
		lines += strings.Count(strings.TrimSpace(p.Text), "\n") + 1
	}
	return len(ps) > maxListItems || lines > maxListLines
}

// listForUnit is a problem list as it goes to the unit: head (「……问题清单
// （共N项）」) followed by the items as lines, or, when long, a pointer to
// the list's workbook; then how to answer. The workbooks (the long list and
// the plan template prefilled with the problems) are stored durably before
// the messages naming them are queued. due is the plan's date (zero: none
// is named).
func (d *env) listForUnit(ctx context.Context, unit rules.Unit, ps []rules.Problem, head string, due rules.Date) (string, []stored, error) {
	var b strings.Builder
	var files []stored
	sheets := d.o.ProblemSheets
	if sheets != nil && listLong(ps) {
		doc, err := d.storeSheet(ctx, unit.Name+"问题清单.xlsx", func(w io.Writer) error { return sheets.WriteProblemList(w, ps) })
		if err != nil {
			return "", nil, err
		}
		files = append(files, doc)
		fmt.Fprintf(&b, "%s（共%d项，见附件《%s》）。", head, len(ps), doc.Name)
	} else {
		fmt.Fprintf(&b, "%s（共%d项）：", head, len(ps))
		for _, p := range ps {
			fmt.Fprintf(&b, "\n%d. %s", p.Seq, p.Text)
		}
		b.WriteString("\n")
	}
	if !due.IsZero() {
		fmt.Fprintf(&b, "请于%s前", due.Chinese())
	} else {
		b.WriteString("请")
	}
	b.WriteString("逐项报送整改措施和完成时限，如：\n整改措施\n1. 措施：……；时限：6月30日；责任人：……")
	if sheets != nil {
		doc, err := d.storeSheet(ctx, unit.Name+"整改方案模板.xlsx", func(w io.Writer) error { return sheets.WritePlanTemplate(w, ps) })
		if err != nil {
			return "", nil, err
		}
		files = append(files, doc)
		fmt.Fprintf(&b, "\n也可填写附件《%s》的“整改措施”“完成时限”“责任人”列后直接发回。", doc.Name)
	}
	return b.String(), files, nil
}

// storeSheet writes a workbook and keeps it in the file store.
func (d *env) storeSheet(ctx context.Context, name string, write func(io.Writer) error) (stored, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return stored{}, fmt.Errorf("handlers: write %s: %w", name, err)
	}
	blob, err := d.files.PutBytes(ctx, buf.Bytes(), PutOptions{Ext: "xlsx"})
	if err != nil {
		return stored{}, fmt.Errorf("handlers: store %s: %w", name, err)
	}
	return stored{Path: blob.Path, SHA256: blob.SHA256, Size: blob.Size, Name: name}, nil
}

// filesTo are the messages sending each file to one person, keyed under
// key.
func filesTo(to rules.Recipient, kind, key string, files []stored, now time.Time) []rules.Outgoing {
	var outs []rules.Outgoing
	for i, f := range files {
		outs = append(outs, rules.Outgoing{Kind: kind, Key: fmt.Sprintf("%s:sheet%d", key, i+1), To: to,
			FilePath: f.Path, FileName: f.Name, CreatedAt: now})
	}
	return outs
}
