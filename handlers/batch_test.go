package handlers_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
	"dudaobot/storage"
)

// batchMsg builds a text message as the adapter converts it (keys filled).
func batchMsg(h *handlerstest.Harness, from rules.Contact, id int, text string) rules.Inbound {
	now := h.Clock.Now()
	sender := from.Remark
	if sender == "" {
		sender = from.UserName
	}
	return rules.Inbound{
		Key:  rules.InboundKey{Sender: sender, MsgID: strconv.Itoa(id), CreateTime: now.Unix()},
		From: from, Kind: rules.MsgText, Text: text, ReceivedAt: now,
	}
}

func unhandledKeys(t *testing.T, h *handlerstest.Harness) []string {
	t.Helper()
	recs, err := h.Store.UnhandledInbound(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Key.Sender+"/"+r.Key.MsgID)
	}
	return out
}

// TestAcceptBatchDedupe: one batch records the known senders' messages
// (a repeat within the batch once), never a stranger's; a second batch and
// a later Accept recognise what the first recorded; every new message is
// handled once, in order.
func TestAcceptBatchDedupe(t *testing.T) {
	h := handlerstest.New(t, handlerstest.Async())
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	off := h.Official(h.Units[0].Key)
	str := h.Stranger("路人")
	group := batchMsg(h, off, 9, "状态")
	group.Group = "别的群"

	first := []rules.Inbound{
		batchMsg(h, off, 1, "状态"),
		batchMsg(h, off, 1, "状态"), // WeChat repeats it within the batch
		batchMsg(h, str, 2, "你好"),
		batchMsg(h, str, 2, "你好"),
		batchMsg(h, off, 3, "帮助"),
		group, // not a group we serve: dropped, nothing stored
	}
	if err := h.Intake.AcceptBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	r := off.Remark
	if got, want := unhandledKeys(t, h), []string{r + "/1", r + "/3"}; !equal(got, want) {
		t.Fatalf("inbox after batch 1 = %v, want %v (strangers never stored)", got, want)
	}
	// Across batches (a replay after a restart from an older SyncKey).
	// Message 4 asks something else than message 1: a second 状态 would
	// replace message 1's answer while it is queued (flood control).
	second := []rules.Inbound{batchMsg(h, off, 3, "帮助"), batchMsg(h, str, 2, "你好"), batchMsg(h, off, 4, "菜单")}
	if err := h.Intake.AcceptBatch(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, want := unhandledKeys(t, h), []string{r + "/1", r + "/3", r + "/4"}; !equal(got, want) {
		t.Fatalf("inbox after batch 2 = %v, want %v", got, want)
	}
	// Accept one by one sees the batch's rows too.
	if err := h.Intake.Accept(ctx, batchMsg(h, off, 4, "菜单")); err != nil {
		t.Fatal(err)
	}
	h.Intake.Start(ctx)
	if err := h.Intake.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	out := h.Drain()
	if n := len(only(out, r)); n != 3 {
		t.Errorf("official got %d replies, want 3 (messages 1, 3, 4 once each):\n%s", n, texts(out))
	}
	if n := len(only(out, str.UserName)); n != 1 {
		t.Errorf("stranger got %d replies, want 1:\n%s", n, texts(out))
	}
	if got := unhandledKeys(t, h); len(got) != 0 {
		t.Errorf("unhandled after the workers ran: %v", got)
	}
	if err := h.Intake.AcceptBatch(ctx, second); !errors.Is(err, handlers.ErrStopped) {
		t.Errorf("AcceptBatch after Stop = %v", err)
	}
}

// flakyStore fails chosen calls, once each.
type flakyStore struct {
	*storage.Store
	mu                      sync.Mutex
	failBatch, failFinishes int
}

var errFlaky = errors.New("database is locked")

func (f *flakyStore) RecordInboundBatch(ctx context.Context, recs []rules.InboundRecord) ([]bool, error) {
	f.mu.Lock()
	fail := f.failBatch > 0
	f.failBatch--
	f.mu.Unlock()
	if fail {
		return nil, errFlaky
	}
	return f.Store.RecordInboundBatch(ctx, recs)
}

func (f *flakyStore) FinishInbound(ctx context.Context, k rules.InboundKey, outs []rules.Outgoing) error {
	f.mu.Lock()
	fail := f.failFinishes > 0
	f.failFinishes--
	f.mu.Unlock()
	if fail {
		return errFlaky
	}
	return f.Store.FinishInbound(ctx, k, outs)
}

// TestAcceptBatchErrorLosesNothing: a batch the store refuses is reported,
// nothing of it is queued, and the adapter's retry of the same batch
// delivers every message, the stranger's too (its in-memory dedupe is only
// taken once the batch is recorded).
func TestAcceptBatchErrorLosesNothing(t *testing.T) {
	fs := &flakyStore{failBatch: 1}
	h := handlerstest.New(t, func(o *handlers.Options) {
		fs.Store = o.Inbox.(*storage.Store)
		o.Inbox = fs
	})
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	off, str := h.Official(h.Units[0].Key), h.Stranger("路人")
	batch := []rules.Inbound{batchMsg(h, off, 1, "状态"), batchMsg(h, str, 2, "你好")}
	if err := h.Intake.AcceptBatch(ctx, batch); !errors.Is(err, errFlaky) {
		t.Fatalf("AcceptBatch = %v, want the store's error", err)
	}
	if out := h.Drain(); len(out) != 0 || len(unhandledKeys(t, h)) != 0 {
		t.Fatalf("a refused batch left %d replies, inbox %v", len(out), unhandledKeys(t, h))
	}
	if err := h.Intake.AcceptBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	out := h.Drain()
	if len(only(out, off.Remark)) != 1 || len(only(out, str.UserName)) != 1 {
		t.Fatalf("after the retry: %d replies:\n%s", len(out), texts(out))
	}
}

// TestReplyAndHandledMarkOneTransaction: the reply and the handled mark are
// written together; when that write fails neither is there, and Recover
// answers the message at the next start (exactly once).
func TestReplyAndHandledMarkOneTransaction(t *testing.T) {
	fs := &flakyStore{failFinishes: 1}
	h := handlerstest.New(t, func(o *handlers.Options) {
		fs.Store = o.Inbox.(*storage.Store)
		o.Inbox = fs
	})
	ctx := context.Background()
	h.At(2027, time.February, 20, 9, 0)
	off := h.Official(h.Units[0].Key)
	in := h.Text(off, "状态")
	if out := h.Drain(); len(out) != 0 {
		t.Fatalf("reply queued without its handled mark:\n%s", texts(out))
	}
	if got := unhandledKeys(t, h); len(got) != 1 || got[0] != off.Remark+"/"+in.Key.MsgID {
		t.Fatalf("inbox = %v", got)
	}
	if err := h.Intake.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Intake.Recover(ctx); err != nil { // nothing left: a no-op
		t.Fatal(err)
	}
	out := h.Drain()
	if one(t, out) == "" || len(unhandledKeys(t, h)) != 0 {
		t.Fatalf("after Recover: %d replies, inbox %v", len(out), unhandledKeys(t, h))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
