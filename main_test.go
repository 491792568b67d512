package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/app"
	"dudaobot/handlers"
	"dudaobot/wxsim"

	"github.com/xuri/excelize/v2"
)

// Ensure `dudaobot check` passes on the shipped config.yaml and lists every
// unit of both seed lists: the 26 members of section 二 and Annex 1's extra
// entries (县生态环境局 and the office itself).
func TestCheckShippedConfig(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", "config.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("check exit=%d, stderr=%s", code, errb.String())
	}
	got := out.String()
	section2 := []string{"县委办公室", "县委组织部", "县委宣传部", "县委统战部", "县委政法委", "县委编办", "县委教育工委",
		"县政府办公室", "县发改委", "县教育和科学技术局", "县公安局", "县民政局", "县司法局", "县财政局", "县人社局",
		"县国家安全局", "县自然资源局", "县住建局", "县卫健委", "县审计局", "县市场监督管理局", "县应急管理局",
		"县文化体育广播电视和旅游局", "县统计局", "县乡村振兴局", "县残联"}
	// The test machine has poppler-utils and LibreOffice (scripts/test).
	if !strings.Contains(got, "报告内容检查：docx/xlsx：内置；pdf：pdftotext /usr/bin/pdftotext，") ||
		!strings.Contains(got, "doc/wps/et/ofd：LibreOffice /usr/bin/soffice，") {
		t.Errorf("check output does not say which report formats are read:\n%s", got)
	}
	annex1Only := []string{"县生态环境局", "县人民政府教育督导委员会办公室"}
	if len(section2) != 26 {
		t.Fatalf("test list has %d section-二 units, want 26", len(section2))
	}
	for _, u := range append(section2, annex1Only...) {
		if !strings.Contains(got, " "+u+"　") {
			t.Errorf("check output lacks unit %s", u)
		}
	}
	if !strings.Contains(got, "县人民政府教育督导委员会办公室　备注：督导-督导办、督导-督导办-备（备用）　阶段：不参加评价（无需报送）\n") ||
		strings.Count(got, "阶段：全部（受检单位由主任每年确定）\n") != 27 {
		t.Errorf("check output does not show the per-unit stages (office not evaluated, 27 units all stages):\n%s", got)
	}
	for _, want := range []string{"责任单位 28 个", "自查自评报告：2027年3月1日 24:00 前", "即 2027年5月14日 前", "一级 6 项，二级 15 项，三级 30 项"} {
		if !strings.Contains(got, want) {
			t.Errorf("check output lacks %q", want)
		}
	}
}

// Ensure a bad config exits 1 with one line per problem naming its path.
func TestCheckBadConfig(t *testing.T) {
	data, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "timezone: Asia/Shanghai", "timezone: Mars/Olympus", 1)
	bad = strings.Replace(bad, "driver: sqlite", "driver: oracle", 1)
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-config", p}, &out, &errb); code != 1 {
		t.Fatalf("exit=%d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "配置有 2 处问题") ||
		!strings.HasPrefix(strings.TrimSpace(lines[1]), "timezone:") || !strings.HasPrefix(strings.TrimSpace(lines[2]), "database.driver:") {
		t.Errorf("stderr=\n%s", errb.String())
	}
}

// Ensure status and export work on a fresh database and unknown commands fail.
func TestStatusAndExport(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"path: data/dudao.db", "path: "+filepath.Join(dir, "dudao.db"),
		"files_dir: data/files", "files_dir: "+filepath.Join(dir, "files"),
	).Replace(string(data))
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"status", "-config", p, "-unit", "财政"}, &out, &errb); code != 0 {
		t.Fatalf("status exit=%d: %s", code, errb.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 ||
		!strings.HasPrefix(lines[1], "单位") || !strings.HasPrefix(lines[2], "县财政局") {
		t.Errorf("status output=\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"status", "-config", p, "-unit", "督导办"}, &out, &errb); code != 0 {
		t.Fatalf("status exit=%d: %s", code, errb.String())
	}
	if row := strings.Split(strings.TrimSpace(out.String()), "\n"); len(row) != 3 || strings.Count(row[2], "不适用") != 4 {
		t.Errorf("status of the office's own unit (not evaluated) should read 不适用 four times:\n%s", out.String())
	}
	xlsx := filepath.Join(dir, "ledger.xlsx")
	out.Reset()
	if code := run([]string{"export", "-config", p, "-o", xlsx}, &out, &errb); code != 0 {
		t.Fatalf("export exit=%d: %s", code, errb.String())
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("总览")
	if err != nil || len(rows) != 29 {
		t.Fatalf("总览 rows=%d err=%v, want 29", len(rows), err)
	}
	errb.Reset()
	if code := run([]string{"frobnicate"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "未知命令") {
		t.Errorf("unknown command: exit=%d stderr=%q", code, errb.String())
	}
}

// tempConfig writes config.yaml with every data path under dir.
func tempConfig(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"path: data/dudao.db", "path: "+filepath.Join(dir, "dudao.db"),
		"files_dir: data/files", "files_dir: "+filepath.Join(dir, "files"),
		"backups_dir: data/backups", "backups_dir: "+filepath.Join(dir, "backups"),
		"hot_login_file: data/hotlogin.json", "hot_login_file: "+filepath.Join(dir, "hotlogin.json"),
	).Replace(string(data))
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Ensure `dudaobot codes` prints one code per official of the unit and
// stores only keyed hashes: a code works once through the conversations
// (tested in e2e), and here the table carries the remark to set.
func TestCodes(t *testing.T) {
	p := tempConfig(t, t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"codes", "-config", p, "-unit", "财政"}, &out, &errb); code != 0 {
		t.Fatalf("codes exit=%d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "尚未登录过微信") || !strings.Contains(lines[1], "前有效") {
		t.Fatalf("codes output=\n%s", out.String()) // note, intro, header, official, backup
	}
	for i, remark := range []string{"督导-财政局", "督导-财政局-备"} {
		f := strings.Fields(lines[3+i])
		if len(f) != 4 || f[0] != "县财政局" || f[2] != remark || len(strings.ReplaceAll(f[3], "-", "")) != handlers.CodeLength {
			t.Errorf("row %d = %q, want unit, name, %s, %d-character code", i, lines[3+i], remark, handlers.CodeLength)
		}
	}
	db, err := os.ReadFile(filepath.Join(filepath.Dir(p), "dudao.db"))
	if err != nil {
		t.Fatal(err)
	}
	code := strings.ReplaceAll(strings.Fields(lines[3])[3], "-", "")
	plain := sha256.Sum256([]byte(code))
	if bytes.Contains(db, []byte(code)) || bytes.Contains(db, []byte(hex.EncodeToString(plain[:]))) {
		t.Errorf("the code %s or its plain SHA-256 is stored in the database", code)
	}
}

// Ensure the binding-code secret is made at the first start in the state
// folder (next to the hot-login file), mode 0600, kept across starts, and
// never written to the database.
func TestCodeKeyFile(t *testing.T) {
	dir := t.TempDir()
	p := tempConfig(t, dir)
	var out, errb bytes.Buffer
	if code := run([]string{"codes", "-config", p, "-unit", "财政"}, &out, &errb); code != 0 {
		t.Fatalf("codes exit=%d: %s", code, errb.String())
	}
	keyPath := filepath.Join(dir, app.CodeKeyName)
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %o, want 600", keyPath, fi.Mode().Perm())
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"codes", "-config", p, "-unit", "财政"}, &out, &errb); code != 0 {
		t.Fatalf("codes again exit=%d: %s", code, errb.String())
	}
	again, _ := os.ReadFile(keyPath)
	if !bytes.Equal(key, again) {
		t.Error("the secret changed between starts: issued codes would stop working")
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(key)))
	if err != nil || len(raw) < handlers.MinCodeKeyBytes {
		t.Fatalf("secret %q: %v", key, err)
	}
	for _, name := range []string{"dudao.db", "dudao.db-wal"} {
		db, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if bytes.Contains(db, bytes.TrimSpace(key)) || bytes.Contains(db, raw) {
			t.Errorf("%s holds the binding-code secret", name)
		}
	}
	// A secret left readable by others is tightened at the next start.
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"codes", "-config", p, "-unit", "财政"}, &out, &errb); code != 0 {
		t.Fatalf("codes exit=%d: %s", code, errb.String())
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o after a restart, want 600", fi.Mode().Perm())
	}
}

// Ensure `codes` skips people `contacts` found by remark (the bot keeps
// what it last saw), issues for people named with -person even so, and
// names an unknown -person.
func TestCodesSkipsFound(t *testing.T) {
	sim := wxsim.New(wxsim.Options{AutoConfirm: true, LongPollHold: time.Second})
	defer sim.Close()
	sim.AddContact("财政甲", "督导-财政局")
	p := tempConfig(t, t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"contacts", "-config", p, "-wxsim", sim.URL(), "-timeout", "30s"}, &out, &errb); code != 0 {
		t.Fatalf("contacts exit=%d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"codes", "-config", p, "-unit", "财政"}, &out, &errb); code != 0 {
		t.Fatalf("codes exit=%d: %s", code, errb.String())
	}
	issued, skipped := codeRows(out.String())
	if len(issued) != 1 || issued[0] != "督导-财政局-备" {
		t.Errorf("issued for %v, want only the backup\n%s", issued, out.String())
	}
	if len(skipped) != 1 || skipped[0] != "督导-财政局" || !strings.Contains(out.String(), "通讯录中已有此备注") {
		t.Errorf("skipped %v, want the official found by remark\n%s", skipped, out.String())
	}

	out.Reset()
	if code := run([]string{"codes", "-config", p, "-person", "督导-财政局"}, &out, &errb); code != 0 {
		t.Fatalf("codes -person exit=%d: %s", code, errb.String())
	}
	if issued, skipped := codeRows(out.String()); len(issued) != 1 || issued[0] != "督导-财政局" || len(skipped) != 0 {
		t.Errorf("-person: issued %v, skipped %v\n%s", issued, skipped, out.String())
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"codes", "-config", p, "-person", "督导-财政局,无此人"}, &out, &errb); code == 0 {
		t.Fatal("codes -person 无此人 succeeded")
	}
	if !strings.Contains(errb.String(), "无此人") {
		t.Errorf("stderr does not name the unknown person: %s", errb.String())
	}
}

// codeRows reads `codes` output: the remarks given a code, and the ones
// skipped.
func codeRows(out string) (issued, skipped []string) {
	inSkipped := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "未生成") {
			inSkipped = true
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[2], "督导") {
			continue
		}
		if inSkipped {
			skipped = append(skipped, f[2])
		} else {
			issued = append(issued, f[2])
		}
	}
	return issued, skipped
}

// Ensure `dudaobot contacts` logs in (here to an in-process wxsim) and
// reports each configured person as found, missing or ambiguous by remark.
func TestContacts(t *testing.T) {
	sim := wxsim.New(wxsim.Options{AutoConfirm: true, LongPollHold: time.Second})
	defer sim.Close()
	sim.AddContact("主任本人", "督导办主任")
	sim.AddContact("财政甲", "督导-财政局")
	sim.AddContact("公安甲", "督导-公安局")
	sim.AddContact("公安乙", "督导-公安局") // the same remark on two contacts
	sim.AddContact("路人", "")
	p := tempConfig(t, t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"contacts", "-config", p, "-wxsim", sim.URL(), "-timeout", "30s"}, &out, &errb); code != 0 {
		t.Fatalf("contacts exit=%d: %s", code, errb.String())
	}
	rows := map[string]string{} // remark → state column
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && strings.HasPrefix(f[2], "督导") {
			rows[f[2]] = strings.Join(f[3:], " ")
		}
	}
	for remark, want := range map[string]string{
		"督导办主任":  "已找到（昵称 主任本人）",
		"督导-财政局": "已找到（昵称 财政甲）",
		"督导-公安局": "重复：多个联系人使用此备注（公安乙、公安甲）",
		"督导-残联":  "未找到：请在机器人微信上把该联系人的备注设为此名称",
	} {
		if got := rows[remark]; got != want {
			t.Errorf("contacts row %s = %q, want %q", remark, got, want)
		}
	}
	if want := "已找到 2 人，未找到 54 人，备注重复 1 人。"; !strings.Contains(out.String(), want) {
		t.Errorf("contacts output lacks the summary %q", want)
	}
}
