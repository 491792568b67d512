package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// issueCode issues a fresh binding code for the first official of unit.
func issueCode(t *testing.T, h *handlerstest.Harness, unit string) string {
	t.Helper()
	var official rules.Official
	for _, u := range h.Units {
		if u.Key == unit {
			official = u.Officials[0]
		}
	}
	codes, err := handlers.IssueBindingCodes(context.Background(), h.Store, h.Opts.CodeKey, []rules.Official{official}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return codes[official.WeChatRemark].Code
}

// Ensure a code older than binding.code_ttl is refused with a clear
// message, and one within it works.
func TestBindingCodeExpired(t *testing.T) {
	h := handlerstest.New(t, func(o *handlers.Options) { o.CodeTTL = 72 * time.Hour })
	code := issueCode(t, h, "czj")
	s := h.Stranger("新同事")
	h.Clock.Advance(72*time.Hour + time.Minute)
	h.Text(s, "绑定 "+code)
	if got := one(t, h.Drain()); got != "该绑定码已过期，请联系督导办重新获取。" {
		t.Errorf("expired code → %s", got)
	}
	h.Text(s, "状态")
	if got := one(t, h.Drain()); got != strings.TrimSpace(readGolden(t, "refusal_stranger")) {
		t.Errorf("after an expired code, 状态 → %s", got)
	}
	fresh := issueCode(t, h, "czj")
	h.Text(s, "绑定 "+fresh)
	if got := one(t, only(h.Drain(), s.UserName)); !strings.HasPrefix(got, "绑定成功") {
		t.Errorf("fresh code → %s", got)
	}
}

// Ensure the default time to live is 7 days.
func TestBindingCodeDefaultTTL(t *testing.T) {
	h := handlerstest.New(t)
	code := issueCode(t, h, "czj")
	h.Clock.Advance(rules.DefaultCodeTTL + time.Second)
	h.Text(h.Stranger("新同事"), "绑定 "+code)
	if got := one(t, h.Drain()); !strings.Contains(got, "已过期") {
		t.Errorf("8-day-old code → %s", got)
	}
}

// Ensure the database holds an HMAC under the server secret, not the plain
// SHA-256 of the code: a backup alone does not let anyone test guesses.
func TestBindingCodeStoredKeyed(t *testing.T) {
	h := handlerstest.New(t)
	code := issueCode(t, h, "czj")
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := h.Store.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte(code))
	keyed := handlers.HashCode(h.Opts.CodeKey, code)
	if !bytes.Contains(raw, []byte(keyed)) {
		t.Fatalf("the backup does not hold the keyed hash %s: the check below proves nothing", keyed)
	}
	for what, v := range map[string]string{"sha256(code)": hex.EncodeToString(plain[:]), "the code": code, "the secret": string(h.Opts.CodeKey)} {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the backup holds %s", what)
		}
	}
	if keyed == handlers.HashCode([]byte("another server's secret, 32 byte"), code) {
		t.Error("the stored form does not depend on the secret")
	}
}

// Ensure wrong-code counts survive a restart: a new Intake on the same
// database still refuses the sixth try.
func TestBindFailuresSurviveRestart(t *testing.T) {
	h := handlerstest.New(t)
	s := h.Stranger("猜码者")
	for range 5 {
		h.Text(s, "绑定 WRONGCODE2")
	}
	h.Drain()
	in2, conv2, err := handlers.New(h.Opts)
	if err != nil {
		t.Fatal(err)
	}
	h.Intake, h.Conv = in2, conv2
	code := issueCode(t, h, "czj")
	h.Text(s, "绑定 "+code)
	if got := one(t, h.Drain()); !strings.Contains(got, "错误次数过多") {
		t.Errorf("after a restart, a 6th try → %s", got)
	}
}

// Ensure 绑定列表 shows who is bound, since when and by which code id
// (never the code), and 解绑 (previewed, 确认) makes the contact a stranger.
func TestBindingListAndUnbind(t *testing.T) {
	h := handlerstest.New(t)
	dir := h.Director()
	h.Text(dir, "绑定列表")
	if got := one(t, h.Drain()); got != "目前没有通过绑定码登记的联系人。" {
		t.Errorf("empty list → %s", got)
	}
	code := issueCode(t, h, "czj")
	s := h.Stranger("新同事")
	h.Text(s, "绑定 "+code)
	h.Drain()
	h.Text(dir, "绑定列表")
	got := one(t, h.Drain())
	golden(t, "binding_list", got)
	if strings.Contains(got, code) {
		t.Errorf("绑定列表 shows the code: %s", got)
	}
	var official rules.Official
	for _, u := range h.Units {
		if u.Key == "czj" {
			official = u.Officials[0]
		}
	}
	h.Text(dir, "解绑 "+official.Name)
	golden(t, "unbind_preview", one(t, h.Drain()))
	h.Text(s, "状态") // still bound until 确认
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "县财政局 2027年") {
		t.Errorf("before 确认, 状态 → %s", got)
	}
	h.Text(dir, "确认")
	if got, want := one(t, h.Drain()), "已解除县财政局 "+official.Name+"（"+official.WeChatRemark+"）的绑定。"; got != want {
		t.Errorf("确认 → %s", got)
	}
	h.Text(s, "状态")
	if got := one(t, h.Drain()); got != strings.TrimSpace(readGolden(t, "refusal_stranger")) {
		t.Errorf("after 解绑, 状态 → %s", got)
	}
	// A restart does not bring it back.
	in2, conv2, err := handlers.New(h.Opts)
	if err != nil {
		t.Fatal(err)
	}
	h.Intake, h.Conv = in2, conv2
	if err := in2.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.At(2027, time.January, 11, 9, 0)
	h.Text(s, "状态")
	if got := one(t, h.Drain()); got != strings.TrimSpace(readGolden(t, "refusal_stranger")) {
		t.Errorf("after 解绑 and a restart, 状态 → %s", got)
	}
	h.Text(dir, "解绑 "+official.WeChatRemark)
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "没有找到“"+official.WeChatRemark+"”的绑定") {
		t.Errorf("解绑 again → %s", got)
	}
	// Officials may not use it.
	h.Text(h.Official("czj"), "绑定列表")
	if got := one(t, h.Drain()); strings.Contains(got, "新同事") {
		t.Errorf("official sees the list: %s", got)
	}
}

// Ensure a binding ends when the person's remark appears on a contact,
// and survives a restart (same session) until then.
func TestBindingEndsWhenRemarkAppears(t *testing.T) {
	h := handlerstest.New(t)
	code := issueCode(t, h, "czj")
	s := h.Stranger("新同事")
	h.Text(s, "绑定 "+code)
	h.Drain()
	ctx := context.Background()
	// Contacts without the remark: the binding stays.
	if err := h.Intake.ContactsSeen(ctx, []rules.Contact{{UserName: s.UserName, NickName: "新同事"}}); err != nil {
		t.Fatal(err)
	}
	h.Text(s, "状态")
	if got := one(t, h.Drain()); !strings.HasPrefix(got, "县财政局 2027年") {
		t.Errorf("bound 状态 → %s", got)
	}
	official := h.Official("czj")
	if err := h.Intake.ContactsSeen(ctx, []rules.Contact{{UserName: s.UserName, NickName: "新同事", Remark: official.Remark}}); err != nil {
		t.Fatal(err)
	}
	bs, err := h.Store.ActiveBindings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 0 {
		t.Fatalf("active after the remark appeared: %+v", bs)
	}
	h.Text(s, "状态") // the handle alone no longer counts
	if got := one(t, h.Drain()); got != strings.TrimSpace(readGolden(t, "refusal_stranger")) {
		t.Errorf("after the remark appeared, the remarkless handle → %s", got)
	}
	trail, err := h.Store.AuditTrail(ctx, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	var ended bool
	for _, e := range trail {
		ended = ended || (e.Action == "unbind" && strings.Contains(e.Detail, rules.BindingEndRemark))
	}
	if !ended {
		t.Errorf("no audit of the binding's end: %+v", trail)
	}
}
