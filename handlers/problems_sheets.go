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
}

// storedOpener reads a stored file back (app.HandlerFiles): a filled
// template is read after it is safely stored.
type storedOpener interface {
	OpenStored(path string) (io.ReadCloser, error)
}

// maxSheetBytes bounds a template read into memory; a filled plan is a few
// kilobytes.
const maxSheetBytes = 4 << 20

// planSheet takes an official's filled plan template (the recogniser's
// row, sheets.go) as the unit's plan per item, as 整改措施 lines are; the
// workbook is kept as the 整改方案 version once complete.
func (d *problems) planSheet(ctx context.Context, r *Request, doc stored) error {
	if err := d.enabled(); err != nil {
		return err
	}
	b, err := d.readStored(doc)
	if err != nil {
		return err
	}
	return d.savePlan(ctx, r, d.units[r.ID.UnitKey], func() ([]rules.PlanLine, error) {
		lines, err := d.o.ProblemSheets.ReadPlan(bytes.NewReader(b), d.year)
		var named interface{ Chinese() string }
		if err != nil && errors.As(err, &named) {
			return nil, userErr(ErrBadInput, "《"+doc.Name+"》中有需要改正的地方：\n"+named.Chinese()+"\n整改措施未保存，请改正后重新发送。")
		}
		return lines, err
	}, &doc)
}

// readStored reads a stored template back, bounded.
func (d *problems) readStored(doc stored) ([]byte, error) {
	op, ok := d.files.(storedOpener)
	if !ok || d.o.ProblemSheets == nil {
		return nil, userErr(ErrBadInput, "表格功能暂未启用，请用文字发送。")
	}
	if doc.Size > maxSheetBytes {
		return nil, userErr(ErrBadInput, "《"+doc.Name+"》过大，不像是填写后的模板，请检查后重新发送。")
	}
	f, err := op.OpenStored(doc.Path)
	if err != nil {
		return nil, fmt.Errorf("handlers: open %s: %w", doc.Path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSheetBytes))
	if err != nil {
		return nil, fmt.Errorf("handlers: read %s: %w", doc.Path, err)
	}
	return b, nil
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

// awaitListSheet is the awaiting kind of 问题清单模板 <单位>: the director's
// filled 问题清单 workbook that follows within pairWindow is that unit's.
// It has its own key: 反馈 and 下发 take the awaiting file first.
const awaitListSheet = "problem_sheet"

func listSheetKey(remark string) string { return "handlers:listsheet:" + remark }

// listTemplate is 问题清单模板 <单位>: the blank 问题清单 template as a file;
// the filled workbook the director sends back within ten minutes is the
// unit's list, previewed for 确认 like the typed one.
func (d *problems) listTemplate(ctx context.Context, r *Request) error {
	if err := d.enabled(); err != nil {
		return err
	}
	if d.o.ProblemSheets == nil {
		return userErr(ErrBadInput, "表格功能暂未启用，请用文字发送问题清单，如：\n问题清单 财政\n1. ……")
	}
	if len(r.Args) == 0 {
		return userErr(ErrBadInput, "请写明单位，如“问题清单模板 财政”。")
	}
	unit, err := d.resolveUnit(r.Args[0])
	if err != nil {
		return err
	}
	doc, err := d.storeSheet(ctx, unit.Name+"问题清单模板.xlsx", d.o.ProblemSheets.WriteProblemListTemplate)
	if err != nil {
		return err
	}
	if err := d.putState(ctx, listSheetKey(r.ID.Remark), awaiting{Kind: awaitListSheet, Unit: unit.Key, At: r.At}); err != nil {
		return err
	}
	msgs := []rules.Outgoing{d.replyMsg(r, "请在附件的“问题描述”列逐行填写"+unit.Name+"的问题（“对应指标”“整改时限建议”可不填），10分钟内发回即可预览登记。"), d.replyMsg(r, "")}
	msgs[1].FilePath, msgs[1].FileName = doc.Path, doc.Name
	if err := d.store.Enqueue(ctx, msgs...); err != nil {
		return fmt.Errorf("handlers: queue list template: %w", err)
	}
	return nil
}

// listSheet takes a director's filled 问题清单 template (the recogniser's
// row, sheets.go) as the list of the unit named by 问题清单模板 <单位> in
// the last ten minutes: its cells named when wrong, else previewed for
// 确认 like the typed list.
func (d *problems) listSheet(ctx context.Context, r *Request, doc stored) error {
	if err := d.enabled(); err != nil {
		return err
	}
	var a awaiting
	ok, err := d.getState(ctx, listSheetKey(r.ID.Remark), &a)
	if err != nil {
		return err
	}
	unit, known := d.units[a.Unit]
	if !ok || a.Kind != awaitListSheet || r.At.Sub(a.At) > pairWindow || !known {
		return userErr(ErrBadInput, "《"+doc.Name+"》是问题清单模板，但不知道是哪个单位的。请先发送“问题清单模板 单位名”，再在10分钟内发回填好的表格。")
	}
	if err := d.deleteState(ctx, listSheetKey(r.ID.Remark)); err != nil {
		return err
	}
	b, err := d.readStored(doc)
	if err != nil {
		return err
	}
	lines, err := d.o.ProblemSheets.ReadProblemList(bytes.NewReader(b), d.year)
	var named interface{ Chinese() string }
	if err != nil && errors.As(err, &named) {
		return userErr(ErrBadInput, "《"+doc.Name+"》中有需要改正的地方：\n"+named.Chinese()+"\n问题清单未登记，请改正后再发送“问题清单模板 "+unit.ShortName()+"”并发回表格。")
	}
	if err != nil {
		return fmt.Errorf("handlers: read problem list %s: %w", doc.Path, err)
	}
	// The rows become the typed form, so 确认 stores them by one path.
	var t strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&t, "%d. %s", l.Seq, strings.ReplaceAll(l.Text, "\n", " "))
		if l.Indicator != "" {
			t.WriteString("；指标：" + l.Indicator)
		}
		if !l.SuggestedDue.IsZero() {
			t.WriteString("；时限：" + l.SuggestedDue.String())
		}
		t.WriteString("\n")
	}
	return d.previewList(ctx, r, unit, t.String())
}
