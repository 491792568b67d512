// Package handlerstest drives a real handlers.Intake and Conversations in tests: a real
// SQLite storage.Store and docstore under t.TempDir(), the shipped roster
// from config.yaml, a clock.Fake in the configured zone, and messages run
// synchronously, so a test reads as a conversation:
//
//	h := handlerstest.New(t)
//	h.Text(h.Official("czj"), "状态")
//	out := h.Drain() // everything queued to the outbox since the last Drain
//
// The bot adapter's end-to-end tests can reuse Setup to build the same
// Intake and feed it through wxsim instead.
package handlerstest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"dudaobot/app"
	"dudaobot/clock"
	"dudaobot/config"
	"dudaobot/docstore"
	"dudaobot/export"
	"dudaobot/handlers"
	"dudaobot/rules"
	"dudaobot/storage"
)

// Harness is the Intake and Conversations on real storage with a fake clock.
type Harness struct {
	TB     testing.TB
	Intake *handlers.Intake
	Conv   *handlers.Conversations
	Store  *storage.Store
	Files  *docstore.Store
	Clock  *clock.Fake
	Config *config.Config
	Loc    *time.Location
	Units  []rules.Unit
	Opts   handlers.Options

	n int // message counter for MsgIDs
}

// Option adjusts the options before handlers.New builds the harness.
type Option func(*handlers.Options)

// Async leaves Synchronous off: the test calls D.Start and D.Stop.
func Async() Option { return func(o *handlers.Options) { o.Synchronous = false } }

// ConfigPath finds config.yaml at the module root above the working
// directory.
func ConfigPath(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "config.yaml")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("handlerstest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Config is the shipped config.yaml (ConfigPath), loaded; the test fails
// if it does not load.
func Config(tb testing.TB) *config.Config {
	tb.Helper()
	cfg, err := config.Load(ConfigPath(tb))
	if err != nil {
		tb.Fatalf("handlerstest: load config: %v", err)
	}
	return cfg
}

// New builds the harness at 2027-01-10 09:00 in the configured zone.
func New(tb testing.TB, opts ...Option) *Harness {
	tb.Helper()
	return build(tb, Config(tb), opts)
}

// NewLarge is New over the shipped roster grown to units units (at least
// the 28 shipped): the added units are evaluated on every stage, each with
// one official; LargeUnitName names them. It is the roster at which every
// answer must still fit on a phone or come as a file.
func NewLarge(tb testing.TB, units int, opts ...Option) *Harness {
	tb.Helper()
	cfg := Config(tb)
	GrowRoster(cfg, units)
	return build(tb, cfg, opts)
}

// GrowRoster adds units to cfg's roster until it has units (NewLarge's,
// and the e2e tests' large roster): unit number i has key LargeUnitKey(i),
// name LargeUnitName(i) and one official.
func GrowRoster(cfg *config.Config, units int) {
	for i := len(cfg.Roster) + 1; i <= units; i++ {
		cfg.Roster = append(cfg.Roster, config.Unit{
			Key:       LargeUnitKey(i),
			Name:      LargeUnitName(i),
			Officials: []config.Person{{Name: fmt.Sprintf("联系人%03d", i), WeChatRemark: fmt.Sprintf("督导-直属%03d", i)}},
		})
	}
}

// LargeUnitKey is the key of GrowRoster's unit number i.
func LargeUnitKey(i int) string { return fmt.Sprintf("x%03d", i) }

// LargeUnitName is the name of NewLarge's unit number i (1-based in the
// roster): fixed width, so no name is part of another.
func LargeUnitName(i int) string { return fmt.Sprintf("县直属第%03d单位", i) }

func build(tb testing.TB, cfg *config.Config, opts []Option) *Harness {
	tb.Helper()
	loc := cfg.Location()
	fc := clock.NewFake(time.Date(cfg.Cycle.Year, 1, 10, 9, 0, 0, 0, loc))
	dir := tb.TempDir()
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{Driver: "sqlite", Path: filepath.Join(dir, "dudao.db"), Now: fc.Now})
	if err != nil {
		tb.Fatalf("handlerstest: open storage: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	files, err := docstore.Open(filepath.Join(dir, "files"))
	if err != nil {
		tb.Fatalf("handlerstest: open docstore: %v", err)
	}
	tb.Cleanup(func() { _ = files.Close() })
	units := cfg.Units()
	if err := st.SyncRoster(ctx, units, cfg.Directors()); err != nil {
		tb.Fatalf("handlerstest: sync roster: %v", err)
	}
	if err := st.EnsureYear(ctx, cfg.Calendar()); err != nil {
		tb.Fatalf("handlerstest: ensure year: %v", err)
	}
	scoring, err := cfg.ScoringModel()
	if err != nil {
		tb.Fatalf("handlerstest: scoring model: %v", err)
	}
	inds, err := cfg.Indicators()
	if err != nil {
		tb.Fatalf("handlerstest: indicators: %v", err)
	}
	sheets := app.HandlerSheets{Files: files, Model: scoring, Units: units, Indicators: inds}
	o := handlers.Options{
		Inbox: st, Submissions: st, Broadcasts: st, State: st, Problems: st, ProblemSheets: export.ProblemSheets{},
		Scores: st, Scoring: &scoring, Sheets: sheets, ScoreSheets: sheets, Lists: sheets,
		Files: app.HandlerFiles{Store: files}, Clock: fc,
		Calendar: cfg.Calendar(), Units: units, Directors: cfg.Directors(),
		Inspectors:   []rules.Inspector{{Name: "督学甲", WeChatRemark: InspectorRemark}},
		MaxFileBytes: cfg.WeChat.MaxFileBytes(), AllowedTypes: cfg.WeChat.AllowedTypes,
		Groups: cfg.WeChat.Groups, BotName: "督导办机器人",
		Synchronous: true,
		CodeKey:     []byte("handlerstest binding-code secret"),
	}
	for _, opt := range opts {
		opt(&o)
	}
	in, conv, err := handlers.New(o)
	if err != nil {
		tb.Fatalf("handlerstest: new intake: %v", err)
	}
	return &Harness{TB: tb, Intake: in, Conv: conv, Store: st, Files: files, Clock: fc, Config: cfg, Loc: loc, Units: units, Opts: o}
}

// At moves the fake clock to the given civil time in the configured zone.
func (h *Harness) At(year int, month time.Month, day, hour, min int) {
	h.Clock.Set(time.Date(year, month, day, hour, min, 0, 0, h.Loc))
}

// Official is the contact of a unit's first official, as WeChat shows it:
// the remark set, a nickname that differs, a session handle.
func (h *Harness) Official(unitKey string) rules.Contact {
	h.TB.Helper()
	for _, u := range h.Units {
		if u.Key == unitKey && len(u.Officials) > 0 {
			r := u.Officials[0].WeChatRemark
			return rules.Contact{Remark: r, NickName: "昵称-" + unitKey, UserName: "@" + short(r)}
		}
	}
	h.TB.Fatalf("handlerstest: no official for unit %q", unitKey)
	return rules.Contact{}
}

// Director is the first configured director's contact.
func (h *Harness) Director() rules.Contact {
	r := h.Config.Office.Directors[0].WeChatRemark
	return rules.Contact{Remark: r, NickName: "主任", UserName: "@" + short(r)}
}

// InspectorRemark is the harness's one inspector (督学): the shipped
// config names none.
const InspectorRemark = "督学-甲"

// Inspector is the inspector's contact.
func (h *Harness) Inspector() rules.Contact {
	return rules.Contact{Remark: InspectorRemark, NickName: "督学", UserName: "@" + short(InspectorRemark)}
}

// Stranger is a contact with no remark.
func (h *Harness) Stranger(nick string) rules.Contact {
	return rules.Contact{NickName: nick, UserName: "@" + short("stranger:"+nick)}
}

func short(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// Send delivers one message as the adapter would, filling a fresh MsgID,
// CreateTime and ReceivedAt (now) when they are empty, and returns it.
func (h *Harness) Send(in rules.Inbound) rules.Inbound {
	h.TB.Helper()
	now := h.Clock.Now()
	if in.Key.MsgID == "" {
		h.n++
		in.Key.MsgID = strconv.Itoa(1000 + h.n)
	}
	if in.Key.CreateTime == 0 {
		in.Key.CreateTime = now.Unix()
	}
	if in.Key.Sender == "" {
		in.Key.Sender = in.From.Remark
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = now
	}
	if err := h.Intake.Accept(context.Background(), in); err != nil {
		h.TB.Fatalf("handlerstest: accept: %v", err)
	}
	return in
}

// Text sends a private text message.
func (h *Harness) Text(from rules.Contact, text string) rules.Inbound {
	h.TB.Helper()
	return h.Send(rules.Inbound{From: from, Kind: rules.MsgText, Text: text})
}

// File sends a private file message with the given content; the announced
// size is the real one.
func (h *Harness) File(from rules.Contact, name string, content []byte) rules.Inbound {
	h.TB.Helper()
	return h.Send(rules.Inbound{From: from, Kind: rules.MsgFile, File: FileOf(name, content)})
}

// FileOf is an InboundFile serving content.
func FileOf(name string, content []byte) *rules.InboundFile {
	return &rules.InboundFile{Name: name, Size: int64(len(content)), Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}}
}

// Drain returns the messages queued since the last Drain, in queue order,
// and marks them sent.
func (h *Harness) Drain() []rules.Outgoing {
	h.TB.Helper()
	ctx := context.Background()
	msgs, err := h.Store.Outbox(ctx, rules.OutboxPending)
	if err != nil {
		h.TB.Fatalf("handlerstest: outbox: %v", err)
	}
	for _, m := range msgs {
		if err := h.Store.MarkSent(ctx, m.ID, h.Clock.Now()); err != nil {
			h.TB.Fatalf("handlerstest: mark sent: %v", err)
		}
	}
	return msgs
}

// Docx is a minimal valid .docx (an OOXML zip) holding text.
func Docx(text string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"word/document.xml", fmt.Sprintf(`<w:document><w:body><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:body></w:document>`, text)},
	} {
		// Fixed header times and order: the same text gives the same bytes,
		// so SHA-256 prefixes in golden receipts are stable.
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: zip.Store, Modified: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
		_, _ = io.WriteString(w, f[1])
	}
	_ = zw.Close()
	return buf.Bytes()
}

// PDF is a small byte slice that passes the PDF content check.
func PDF(text string) []byte { return []byte("%PDF-1.4\n% " + text + "\n%%EOF\n") }

// The real adapters satisfy the interfaces handlers declares.
var (
	_ handlers.InboxStore      = (*storage.Store)(nil)
	_ handlers.SubmissionStore = (*storage.Store)(nil)
	_ handlers.BroadcastStore  = (*storage.Store)(nil)
	_ handlers.StateStore      = (*storage.Store)(nil)
	_ handlers.CodeStore       = (*storage.Store)(nil)
)
