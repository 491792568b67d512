package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"dudaobot/bot"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// batchIntake is a bot.BatchIntake: AcceptBatch runs batchHook (an error
// refuses the whole batch) and records the batch; Accept (the fallback
// after a panic) runs the per-message hook of the embedded fakeIntake.
type batchIntake struct {
	*fakeIntake
	mu        sync.Mutex
	batchHook func(ctx context.Context, ins []rules.Inbound) error
	sizes     []int
}

var _ bot.BatchIntake = (*batchIntake)(nil)

func newBatchIntake() *batchIntake { return &batchIntake{fakeIntake: newIntake()} }

func (b *batchIntake) AcceptBatch(ctx context.Context, ins []rules.Inbound) error {
	b.mu.Lock()
	hook := b.batchHook
	b.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, ins); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.sizes = append(b.sizes, len(ins))
	b.mu.Unlock()
	b.record(ins...)
	return nil
}

func (b *batchIntake) setBatchHook(h func(ctx context.Context, ins []rules.Inbound) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batchHook = h
}

func (b *batchIntake) batchSizes() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sizes)
}

func hasText(ins []rules.Inbound, text string) bool {
	return slices.ContainsFunc(ins, func(m rules.Inbound) bool { return m.Text == text })
}

// TestBatchIntakeBurst: with a BatchIntake, 200 messages from 10 contacts
// arrive exactly once each, in order per sender, in fewer calls than
// messages (one per webwxsync batch), and no Accept is made.
func TestBatchIntakeBurst(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	var ids []string
	for i := 0; i < 10; i++ {
		ids = append(ids, sim.AddContact(fmt.Sprintf("联络员%d", i), fmt.Sprintf("unit-%02d", i)).ID)
	}
	bi := newBatchIntake()
	bi.setHook(func(context.Context, rules.Inbound) error {
		t.Error("Accept called on a BatchIntake that never panicked")
		return nil
	})
	r := startClient(t, sim, bi.fakeIntake, clientOpts{intake: bi})
	r.waitStatus(t, true)
	for k := 0; k < 20; k++ {
		for i, id := range ids {
			if _, err := sim.SendText(id, fmt.Sprintf("%d:%d", i, k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgs := bi.waitUntil(t, "200 messages", func(ms []rules.Inbound) bool { return len(ms) >= 200 })
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
	sizes := bi.batchSizes()
	if len(msgs) != 200 || len(sizes) >= 200 {
		t.Fatalf("got %d messages in %d AcceptBatch calls", len(msgs), len(sizes))
	}
	t.Logf("200 messages in %d batches: %v", len(sizes), sizes)
}

// TestBatchSingleMessagePrompt: a lone message is handed over as soon as
// its batch is handled (the next synccheck request starts at once), not
// when that long poll returns. The simulator holds synccheck until there is
// news (it never answers "nothing new") and the client's long-poll deadline
// is an hour, so the long poll that follows a batch does not return before
// the next message is sent, and the next is sent only once this one
// arrived: a batch handed over when its following long poll returns would
// never arrive, and the wait would fail at its hang guard. Nothing is timed.
func TestBatchSingleMessagePrompt(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true, HoldUntilChange: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	bi := newBatchIntake()
	r := startClient(t, sim, bi.fakeIntake, clientOpts{intake: bi, mod: func(o *bot.Options) { o.LongPollTimeout = time.Hour }})
	r.waitStatus(t, true)
	for i := range 3 {
		id, err := sim.SendText(zhang.ID, fmt.Sprintf("单条%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if m := bi.waitMsg(t, id, 1); m.Text != fmt.Sprintf("单条%d", i) {
			t.Fatalf("message %d: intake got %+v", i, m)
		}
	}
	if sizes := bi.batchSizes(); fmt.Sprint(sizes) != "[1 1 1]" {
		t.Errorf("batch sizes %v, want one batch per lone message", sizes)
	}
}

// TestBatchIntakeErrorsHoldTheLine: a refused batch is retried whole, and
// later messages wait behind it (order kept, nothing skipped); a batch that
// panics falls back to Accept one by one, which skips only the poisoned
// message.
func TestBatchIntakeErrorsHoldTheLine(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	bi := newBatchIntake()
	var mu sync.Mutex
	fails, refusals := 3, 0
	bi.setBatchHook(func(_ context.Context, ins []rules.Inbound) error {
		mu.Lock()
		defer mu.Unlock()
		if hasText(ins, "一") && fails > 0 {
			fails--
			refusals++
			return errors.New("database is locked")
		}
		if hasText(ins, "炸") {
			panic("intake bug")
		}
		return nil
	})
	bi.setHook(func(_ context.Context, m rules.Inbound) error {
		if m.Text == "炸" {
			panic("intake bug")
		}
		return nil
	})
	r := startClient(t, sim, bi.fakeIntake, clientOpts{intake: bi})
	r.waitStatus(t, true)
	_, _ = sim.SendText(zhang.ID, "一")
	_, _ = sim.SendText(zhang.ID, "炸")
	id3, _ := sim.SendText(zhang.ID, "二")
	bi.waitMsg(t, id3, 1)
	var texts []string
	for _, m := range bi.all() {
		texts = append(texts, m.Text)
	}
	if fmt.Sprint(texts) != "[一 二]" {
		t.Errorf("intake saw %v", texts)
	}
	mu.Lock()
	if refusals != 3 {
		t.Errorf("batch refused %d times, want 3 retries", refusals)
	}
	mu.Unlock()
	if !r.c.Online() {
		t.Error("a panicking intake took the bot offline")
	}
}

// TestBatchCrashWindowNoLoss: the batch's SyncKey is committed only after
// AcceptBatch succeeded. A "kill" while the intake keeps refusing the batch
// (retrying with backoff) leaves the old SyncKey on disk: after a hot
// restart the batch is delivered again.
func TestBatchCrashWindowNoLoss(t *testing.T) {
	sim := newSim(t, wxsim.Options{})
	zhang := sim.AddContact("张三", "czj-zhang")
	hot := filepath.Join(t.TempDir(), "hot.json")
	loginOnce(t, sim, hot)

	bi := newBatchIntake()
	refused := make(chan struct{}, 100)
	bi.setBatchHook(func(ctx context.Context, ins []rules.Inbound) error {
		if hasText(ins, "victim") {
			refused <- struct{}{}
			return errors.New("disk full")
		}
		return nil
	})
	r := startClient(t, sim, bi.fakeIntake, clientOpts{hotFile: hot, intake: bi})
	r.waitStatus(t, true)
	before, _ := sim.SendText(zhang.ID, "before")
	bi.waitMsg(t, before, 1)
	id, _ := sim.SendText(zhang.ID, "victim")
	guard := ctxT(t)
	for range 3 { // refused and retried: the line is held
		select {
		case <-refused:
		case <-guard.Done():
			t.Fatal("victim's batch never reached the intake")
		}
	}
	r.stop() // kill: the batch was never recorded

	bi2 := newBatchIntake()
	r2 := startClient(t, sim, bi2.fakeIntake, clientOpts{hotFile: hot, intake: bi2})
	if st := r2.waitStatus(t, true); st.Cause != "hot login" {
		t.Fatalf("restart by %q", st.Cause)
	}
	if got := bi2.waitMsg(t, id, 1); got.Text != "victim" {
		t.Fatalf("got %+v", got)
	}
}
