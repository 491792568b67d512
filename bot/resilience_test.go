package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/bot"
	"dudaobot/clock"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/storage"
	"dudaobot/wxsim"
)

// TestForceLogoutRecovers: the server ends the session (1101); the
// supervisor reports offline, fails the hot login, starts a push login that
// the "phone" confirms, and reports the downtime when back online.
func TestForceLogoutRecovers(t *testing.T) {
	sim := newSim(t, wxsim.Options{})
	zhang := sim.AddContact("张三", "czj-zhang")
	clk := clock.NewFake(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	r := startClient(t, sim, nil, clientOpts{hotFile: filepath.Join(t.TempDir(), "hot.json"), now: clk.Now})
	ctx := ctxT(t)
	if _, err := sim.WaitPending(ctx); err != nil {
		t.Fatal(err)
	}
	_ = sim.ConfirmLogin()
	r.waitStatus(t, true)
	oldName := sim.UserName(zhang.ID)

	sim.ForceLogout(1101)
	off := r.waitStatus(t, false)
	if off.Cause != "synccheck 1101" {
		t.Errorf("offline cause = %q", off.Cause)
	}
	if r.c.Online() {
		t.Error("Online() true after logout")
	}
	if err := r.c.Send(ctx, rules.Outgoing{Key: "k", To: rules.Recipient{Remark: "czj-zhang"}, Text: "x"}); !errors.Is(err, rules.ErrOffline) {
		t.Errorf("send while offline: %v", err)
	}
	uuid, err := sim.WaitPending(ctx) // the push login (hot login was refused)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Minute) // the phone confirms three minutes later
	if err := sim.ConfirmLogin(); err != nil {
		t.Fatal(err)
	}
	on := r.waitStatus(t, true)
	if on.Cause != bot.CausePushLogin || on.Downtime != 3*time.Minute || on.SameSession() {
		t.Errorf("back online: %+v", on)
	}
	if got := r.qr.String(); strings.Contains(got, uuid) {
		t.Error("push login drew a QR code")
	}
	if sim.Logins() != 2 || sim.UserName(zhang.ID) == oldName {
		t.Errorf("logins = %d, UserName changed = %v", sim.Logins(), sim.UserName(zhang.ID) != oldName)
	}
	id, _ := sim.SendText(zhang.ID, "恢复后的消息")
	if m := r.in.waitMsg(t, id, 1); m.From.Remark != "czj-zhang" {
		t.Errorf("after recovery: %+v", m.From)
	}
	if err := r.c.Send(ctx, rules.Outgoing{Key: "k2", To: rules.Recipient{Remark: "czj-zhang"}, Text: "已恢复"}); err != nil {
		t.Errorf("send after recovery: %v", err)
	}
	// Files of the new session download: the old session's ticket must not
	// shadow the new one (the hot-login cookie copies are for hot logins).
	fid, _ := sim.SendFile(zhang.ID, "恢复后的报告.pdf", strings.NewReader("%PDF-1.4 after push login"))
	in := r.in.waitMsg(t, fid, 1)
	if b, err := readAllOpen(ctx, in.File); err != nil || string(b) != "%PDF-1.4 after push login" {
		t.Errorf("download after push login: %q, %v", b, err)
	}
}

// TestQRAfterPushExpires: when nobody confirms the push login, the
// supervisor falls back to a QR code.
func TestQRAfterPushRefused(t *testing.T) {
	sim := newSim(t, wxsim.Options{})
	hot := filepath.Join(t.TempDir(), "hot.json")
	loginOnce(t, sim, hot)
	sim.ForceLogout(1102)
	// Break the stored cookies so the push endpoint refuses (ret "1"),
	// as after a long outage.
	data, err := os.ReadFile(hot)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	_ = json.Unmarshal(data, &doc)
	doc["Jar"] = json.RawMessage(`{"https://wx.qq.com":[{"Name":"wxuin","Value":"1"}]}`)
	data, _ = json.Marshal(doc)
	_ = os.WriteFile(hot, data, 0o600)

	r := startClient(t, sim, nil, clientOpts{hotFile: hot})
	uuid, err := sim.WaitPending(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = sim.ConfirmLogin()
	if st := r.waitStatus(t, true); st.Cause != "qr login" || !strings.Contains(r.qr.String(), uuid) {
		t.Errorf("came online by %q; QR drawn: %v", st.Cause, strings.Contains(r.qr.String(), uuid))
	}
}

// TestSendThroughFaults: 30% of webwxsendmsg answer 502 with HTML; Send
// returns errors and a retry loop delivers every message exactly once.
// ret1205 surfaces as ErrTooOften.
func TestSendThroughFaults(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true, Seed: 42})
	zhang := sim.AddContact("张三", "czj-zhang")
	r := onlineClient(t, sim, clientOpts{})
	ctx := ctxT(t)

	remove := sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultHTTP5xx, Rate: 0.3})
	const n = 40
	failures := 0
	for i := 0; i < n; i++ {
		f, err := retrySend(ctx, r.c, rules.Outgoing{Key: "m" + strconv.Itoa(i), To: rules.Recipient{Remark: "czj-zhang"}, Text: fmt.Sprintf("第%d条", i)})
		if err != nil {
			t.Fatal(err)
		}
		failures += f
	}
	remove()
	sent := sim.SentTo(zhang.ID)
	if len(sent) != n {
		t.Fatalf("delivered %d, want %d", len(sent), n)
	}
	for i, s := range sent {
		if s.Text != fmt.Sprintf("第%d条", i) {
			t.Fatalf("sent[%d] = %q", i, s.Text)
		}
	}
	if failures == 0 {
		t.Error("no failures observed with a 30% fault")
	}
	t.Logf("30%% 5xx on webwxsendmsg: %d messages delivered once each after %d failed attempts", n, failures)

	sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultRet1205, Count: 1})
	err := r.c.Send(ctx, rules.Outgoing{Key: "x", To: rules.Recipient{Remark: "czj-zhang"}, Text: "频繁"})
	if !errors.Is(err, rules.ErrTooOften) {
		t.Errorf("ret1205: %v", err)
	}
}

// TestSyncFaultsBackoff: synccheck/webwxsync failures are retried with
// backoff (not openwechat's tight loop); failing longer than OfflineAfter is
// reported offline, the recovery online again, and messages still arrive.
// The backoff is proven by what the bot decided (its log: one "backing off"
// per failure, with the policy's doubling delays), not by timing the
// failures, which a loaded machine would only make slower.
func TestSyncFaultsBackoff(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	logs := &testutil.LockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	r := startClient(t, sim, nil, clientOpts{mod: func(o *bot.Options) {
		o.OfflineAfter = 300 * time.Millisecond
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	r.waitStatus(t, true)
	sim.InjectFault(wxsim.Fault{Endpoint: "synccheck", Kind: wxsim.FaultHTTP5xx, Count: 5})
	sim.InjectFault(wxsim.Fault{Endpoint: "webwxsync", Kind: wxsim.FaultDrop, Count: 2})
	off := r.waitStatus(t, false)
	if !strings.Contains(off.Cause, "sync failing") {
		t.Errorf("offline cause %q", off.Cause)
	}
	on := r.waitStatus(t, true)
	if on.Cause != bot.CauseSyncRecovered || on.Downtime <= 0 || !on.SameSession() {
		t.Errorf("recovery status %+v", on)
	}
	// The 5 synccheck failures in a row: streak 1…5, each retried after
	// the policy's delay (50 ms doubling, cap 500 ms, up to +20 % jitter).
	type backoff struct {
		Msg     string        `json:"msg"`
		RetryIn time.Duration `json:"retry_in"`
		Streak  int           `json:"streak"`
	}
	var got []backoff
	for _, line := range strings.Split(logs.String(), "\n") {
		var b backoff
		if json.Unmarshal([]byte(line), &b) == nil && b.Msg == "wechat sync error; backing off" {
			got = append(got, b)
		}
	}
	if len(got) < 5 {
		t.Fatalf("%d backoffs logged for 5 sync failures: %+v", len(got), got)
	}
	for i, b := range got[:5] {
		base := min(50*time.Millisecond<<i, 500*time.Millisecond)
		if b.Streak != i+1 || b.RetryIn < base || b.RetryIn > base+base/5 {
			t.Errorf("failure %d: streak %d, retry in %v; want streak %d, %v to %v", i+1, b.Streak, b.RetryIn, i+1, base, base+base/5)
		}
	}
	id, _ := sim.SendText(zhang.ID, "故障后")
	if m := r.in.waitMsg(t, id, 1); m.Text != "故障后" {
		t.Fatal(m)
	}
}

// TestBacklogAfterLogin: messages sent while the bot was offline arrive in
// the first batch after login, before the login's own contact fetch may
// have finished; every one still carries its remark.
func TestBacklogAfterLogin(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, sim.AddContact(fmt.Sprintf("联络员%d", i), fmt.Sprintf("unit-%d", i)).ID)
	}
	for k := 0; k < 12; k++ {
		for _, id := range ids {
			if _, err := sim.SendText(id, "离线期间"); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := startClient(t, sim, nil, clientOpts{})
	msgs := r.in.waitUntil(t, "backlog", func(ms []rules.Inbound) bool { return len(ms) >= 60 })
	for _, m := range msgs {
		if !strings.HasPrefix(m.From.Remark, "unit-") || m.Key.Sender != m.From.Remark {
			t.Fatalf("backlog message without remark: %+v", m)
		}
	}
}

// TestBurst200: 200 messages from 10 contacts reach the Intake exactly once
// each, in order per sender.
func TestBurst200(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	var ids []string
	for i := 0; i < 10; i++ {
		ids = append(ids, sim.AddContact(fmt.Sprintf("联络员%d", i), fmt.Sprintf("unit-%02d", i)).ID)
	}
	r := onlineClient(t, sim, clientOpts{})
	for k := 0; k < 20; k++ {
		for i, id := range ids {
			if _, err := sim.SendText(id, fmt.Sprintf("%d:%d", i, k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgs := r.in.waitUntil(t, "200 messages", func(ms []rules.Inbound) bool { return len(ms) >= 200 })
	seen := map[rules.InboundKey]bool{}
	next := map[string]int{}
	for _, m := range msgs {
		if seen[m.Key] {
			t.Fatalf("duplicate %+v", m.Key)
		}
		seen[m.Key] = true
		var i, k int
		if _, err := fmt.Sscanf(m.Text, "%d:%d", &i, &k); err != nil {
			t.Fatal(err)
		}
		if m.Key.Sender != fmt.Sprintf("unit-%02d", i) || k != next[m.Key.Sender] {
			t.Fatalf("out of order: %s got %d want %d", m.Key.Sender, k, next[m.Key.Sender])
		}
		next[m.Key.Sender]++
	}
	if len(msgs) != 200 {
		t.Fatalf("got %d", len(msgs))
	}
}

// TestReplayDeliversSameKey: a replayed MsgId reaches the Intake again with
// an identical key (the Intake dedupes).
func TestReplayDeliversSameKey(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	r := onlineClient(t, sim, clientOpts{})
	id, _ := sim.SendText(zhang.ID, "只处理一次")
	first := r.in.waitMsg(t, id, 1)
	if err := sim.Replay(id); err != nil {
		t.Fatal(err)
	}
	second := r.in.waitMsg(t, id, 2)
	if first.Key != second.Key {
		t.Fatalf("keys differ: %+v vs %+v", first.Key, second.Key)
	}
}

// TestIntakeErrorsHoldTheLine: an Intake that fails is retried on the same
// message; later messages wait behind it (order kept, nothing skipped).
func TestIntakeErrorsHoldTheLine(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	in := newIntake()
	var mu sync.Mutex
	fails := 3
	in.setHook(func(_ context.Context, m rules.Inbound) error {
		mu.Lock()
		defer mu.Unlock()
		if m.Text == "一" && fails > 0 {
			fails--
			return errors.New("database is locked")
		}
		if m.Text == "炸" {
			panic("intake bug")
		}
		return nil
	})
	r := startClient(t, sim, in, clientOpts{})
	r.waitStatus(t, true)
	_, _ = sim.SendText(zhang.ID, "一")
	_, _ = sim.SendText(zhang.ID, "炸")
	id3, _ := sim.SendText(zhang.ID, "二")
	r.in.waitMsg(t, id3, 1)
	var texts []string
	for _, m := range r.in.all() {
		texts = append(texts, m.Text)
	}
	if fmt.Sprint(texts) != "[一 二]" {
		t.Errorf("intake saw %v", texts)
	}
	if !r.c.Online() {
		t.Error("a panicking intake took the bot offline")
	}
}

// storeIntake is the production shape: the inbox row is the dedupe.
type storeIntake struct {
	st  *storage.Store
	mu  sync.Mutex
	new []rules.Inbound
	dup []rules.Inbound
	ch  chan struct{}
}

func (s *storeIntake) Accept(ctx context.Context, in rules.Inbound) error {
	isNew, err := s.st.RecordInbound(ctx, in.Key, in.Kind, in.Text, in.ReceivedAt)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if isNew {
		s.new = append(s.new, in)
	} else {
		s.dup = append(s.dup, in)
	}
	s.mu.Unlock()
	s.ch <- struct{}{}
	return nil
}

// TestRealStorageDedupe wires storage.Store as the inbox: a replay and a
// restart from an older SyncKey are recorded once.
func TestRealStorageDedupe(t *testing.T) {
	ctx := ctxT(t)
	st, err := storage.Open(ctx, storage.Options{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "bot.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	si := &storeIntake{st: st, ch: make(chan struct{}, 100)}
	c := bot.New(bot.Options{Transport: sim.Transport(), QRWriter: &testutil.LockedBuffer{}, Logger: testLogger(t),
		SyncBackoff: bot.BackoffPolicy{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}}, si)
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	defer func() { cancel(); <-done }()

	id, _ := sim.SendText(zhang.ID, "报送")
	<-si.ch
	if err := sim.Replay(id); err != nil {
		t.Fatal(err)
	}
	<-si.ch
	si.mu.Lock()
	defer si.mu.Unlock()
	if len(si.new) != 1 || len(si.dup) != 1 || si.new[0].Key != si.dup[0].Key {
		t.Fatalf("new=%v dup=%v", si.new, si.dup)
	}
	un, err := st.UnhandledInbound(ctx)
	if err != nil || len(un) != 1 || un[0].Key.Sender != "czj-zhang" {
		t.Fatalf("inbox rows: %+v %v", un, err)
	}
}
