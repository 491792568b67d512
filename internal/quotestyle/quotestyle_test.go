package quotestyle_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dudaobot/internal/quotestyle"
)

// root is the module root, two levels up from this package.
const root = "../.."

// notChat are testdata trees whose files are not chat replies: config
// errors are printed on the operator's terminal (they quote YAML values
// with straight quotes), extract's goldens are the text of sample
// documents.
var notChat = []string{"config/testdata", "extract/testdata"}

// notBot are source trees that write no chat text of the bot: wxsim stands
// for WeChat itself (its XML cards quote attributes straight).
var notBot = []string{"wxsim"}

// TestGoldenRepliesQuoteOneWay reads every golden file under a testdata
// directory (handlers, e2e, the scheduler's year, and any added later) and
// fails on each line that still quotes with 「」 or straight quotes, naming
// the file and line.
func TestGoldenRepliesQuoteOneWay(t *testing.T) {
	scanned := 0
	walk(t, func(rel string, d fs.DirEntry) {
		if !strings.HasSuffix(rel, ".golden") || !underTestdata(rel) || under(rel, notChat) {
			return
		}
		scanned++
		for _, f := range quotestyle.CheckText(rel, read(t, rel)) {
			t.Error(f)
		}
	})
	// The handlers, e2e and scheduler goldens alone are more than 100
	// files: a walk that finds few has lost its way.
	if scanned < 100 {
		t.Fatalf("scanned %d golden files; the walk from %s missed the testdata trees", scanned, root)
	}
}

// TestGoldenRepliesShowNoInternalNumbers reads the same golden files for
// the reminders' and digests' numbers (提醒编号 TX-…, 汇总编号 RB-…): they
// go to the logs, never into a chat text.
func TestGoldenRepliesShowNoInternalNumbers(t *testing.T) {
	scanned := 0
	walk(t, func(rel string, d fs.DirEntry) {
		if !strings.HasSuffix(rel, ".golden") || !underTestdata(rel) || under(rel, notChat) {
			return
		}
		scanned++
		for _, f := range quotestyle.CheckCodes(rel, read(t, rel)) {
			t.Error(f)
		}
	})
	if scanned < 100 {
		t.Fatalf("scanned %d golden files; the walk from %s missed the testdata trees", scanned, root)
	}
}

func TestCheckCodesFindsTheNumbers(t *testing.T) {
	text := "【督导提醒】县财政局：您好！\n提醒编号：TX-20270222-czj-1\n【督导日报】\n汇总编号：RB-20270304\n" +
		"见TX-20270222-czj-B\nkey=reminder:2027:督导-czj:2027-02-22\nTX-1 与 RB-12 不是编号"
	var lines []int
	for _, f := range quotestyle.CheckCodes("x.golden", []byte(text)) {
		lines = append(lines, f.Line)
	}
	if want := []int{2, 4, 5}; !slices.Equal(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
}

// TestChatTextsQuoteOneWay reads every string literal of the non-test Go
// sources: a text with no golden yet is held to the same style.
func TestChatTextsQuoteOneWay(t *testing.T) {
	scanned := 0
	walk(t, func(rel string, d fs.DirEntry) {
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || underTestdata(rel) || under(rel, notBot) {
			return
		}
		scanned++
		for _, f := range quotestyle.CheckGoSource(rel, read(t, rel)) {
			t.Error(f)
		}
	})
	if scanned < 100 {
		t.Fatalf("scanned %d Go files; the walk from %s missed the sources", scanned, root)
	}
}

func TestCheckTextFindsTheOldForms(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		lines      []int
	}{
		{"corner brackets", "第一行\n请回复「收到」确认。\n", []int{2}},
		{"closing bracket alone", "好\n\n文件」", []int{3}},
		{"straight quotes", `请回复"收到"确认。`, []int{1}},
		{"curly quotes", "请回复“收到”确认。\n日期“4.30”无法识别", nil},
		{"straight quotes around latin", `日期 "2027-02-30" 无效`, nil},
		{"book title marks", "《关于开展督导的通知》", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := quotestyle.CheckText("x.golden", []byte(tc.text))
			var lines []int
			for _, f := range got {
				lines = append(lines, f.Line)
				if f.File != "x.golden" || f.Text == "" || f.What == "" {
					t.Errorf("finding does not say where and what: %+v", f)
				}
			}
			if !slices.Equal(lines, tc.lines) {
				t.Errorf("lines %v, want %v (%v)", lines, tc.lines, got)
			}
		})
	}
}

func TestCheckGoSourceReadsLiteralsNotComments(t *testing.T) {
	src := "package p\n\n" +
		"// comments may say 「收到」: they are not chat.\n" +
		"var a = \"请回复「收到」\"\n" +
		"var b = \"请回复\\\"收到\\\"\"\n" +
		"var c = `日期「x」`\n" +
		"var d = \"请回复“收到”\"\n" +
		"var e = '」'\n"
	var lines []int
	for _, f := range quotestyle.CheckGoSource("p.go", []byte(src)) {
		lines = append(lines, f.Line)
	}
	if want := []int{4, 5, 6, 8}; !slices.Equal(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
}

func walk(t *testing.T, visit func(rel string, d fs.DirEntry)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		visit(rel, d)
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
}

func read(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func underTestdata(rel string) bool {
	return strings.HasPrefix(rel, "testdata/") || strings.Contains(rel, "/testdata/")
}

func under(rel string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(rel, d+"/") {
			return true
		}
	}
	return false
}
