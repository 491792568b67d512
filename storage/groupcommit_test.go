package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"dudaobot/clock"
	"dudaobot/rules"
	"dudaobot/storage"
)

// TestFinishInboundGroupCommit: 32 workers finish their messages at the
// same moment, and the calls are committed as ONE group. Each caller gets
// its own result, and its rows are committed when it returns (a second
// store, with connections of its own, sees them). Callers that fail (a reply
// with no recipient, a statement the database refuses) fail alone: the
// group is rolled back and run call by call.
func TestFinishInboundGroupCommit(t *testing.T) {
	ctx := context.Background()
	d := newTestDB(t, clock.NewFake(t0))
	s := d.open(t)
	seed(t, s)
	other := d.open(t) // reads through other connections

	const n = 32
	const (
		bad       = 5  // a reply with no recipient: fails in Go, inside the group
		neverSeen = 9  // no inbox row: ErrNotFound, replies queued all the same
		dupOf     = 12 // dupOf+1 queues a reply under dupOf's key: skipped
	)
	keys := make([]rules.InboundKey, n)
	for i := range keys {
		keys[i] = rules.InboundKey{Sender: "财政-张三", MsgID: fmt.Sprint(1000 + i), CreateTime: 1800000000 + int64(i)}
		if i == neverSeen {
			continue
		}
		if _, err := s.RecordInbound(ctx, keys[i], rules.MsgText, "状态", t0); err != nil {
			t.Fatal(err)
		}
	}
	replyKey := func(i int) string { return fmt.Sprintf("reply:财政-张三:%d:1", 1000+i) }
	outs := func(i int) []rules.Outgoing {
		o := rules.Outgoing{Kind: "reply", Key: replyKey(i), To: rules.Recipient{Remark: "财政-张三"}, Text: fmt.Sprint("答复 ", i)}
		switch i {
		case bad:
			o.To = rules.Recipient{}
		case dupOf + 1:
			o.Key = replyKey(dupOf)
		}
		return []rules.Outgoing{o}
	}

	release := storage.HoldGroupCommit(s)
	errs := make([]error, n)
	seen := make([]error, n) // what the other store saw right after the call returned
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.FinishInbound(ctx, keys[i], outs(i))
			if errs[i] != nil {
				return
			}
			un, err := other.UnhandledInbound(ctx)
			if err != nil {
				seen[i] = err
				return
			}
			for _, r := range un {
				if r.Key == keys[i] {
					seen[i] = errors.New("returned before its handled mark was committed")
				}
			}
		})
	}
	var sqlErr error
	wg.Go(func() { sqlErr = storage.GroupExec(ctx, s, "INSERT INTO no_such_table (x) VALUES (1)") })
	waitQueued(t, s, n+1, release)
	release()
	wg.Wait()

	if grouped, split := storage.GroupStats(s); split < 1 {
		t.Fatalf("the calls were not committed as one failing group: grouped=%d split=%d", grouped, split)
	}
	if sqlErr == nil {
		t.Fatal("a statement on a missing table succeeded")
	}
	for i, err := range errs {
		switch i {
		case bad:
			if err == nil {
				t.Errorf("call %d (reply without recipient) succeeded", i)
			}
		case neverSeen:
			if !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("call %d (never recorded): err = %v, want ErrNotFound", i, err)
			}
		default:
			if err != nil {
				t.Errorf("call %d failed with the others: %v", i, err)
			}
			if seen[i] != nil {
				t.Errorf("call %d: %v", i, seen[i])
			}
		}
	}

	// Only the failed call's message is left unhandled, and nothing of it
	// was queued.
	un, err := other.UnhandledInbound(ctx)
	mustNoErr(t, err)
	if len(un) != 1 || un[0].Key != keys[bad] {
		t.Fatalf("unhandled after the group: %+v", un)
	}
	out, err := other.Outbox(ctx, "")
	mustNoErr(t, err)
	byKey := map[string]rules.Outgoing{}
	for _, o := range out {
		byKey[o.Key] = o
	}
	if len(out) != n-2 || len(byKey) != n-2 {
		t.Fatalf("outbox has %d rows (%d keys), want %d", len(out), len(byKey), n-2)
	}
	for i := range n {
		o, ok := byKey[replyKey(i)]
		switch {
		case i == bad:
			if ok {
				t.Errorf("reply %d of the failed call was queued", i)
			}
		case i == dupOf+1:
			// Its key is dupOf's: one of the two texts, whichever came first.
		case !ok:
			t.Errorf("reply %d missing", i)
		case i == dupOf:
			if o.Text != fmt.Sprint("答复 ", dupOf) && o.Text != fmt.Sprint("答复 ", dupOf+1) {
				t.Errorf("reply %d: %q", i, o.Text)
			}
		case o.Text != fmt.Sprint("答复 ", i) || o.Status != rules.OutboxPending:
			t.Errorf("reply %d: %+v", i, o)
		}
	}
}

// TestGroupCommitCancelledAndClosed: a caller whose context ends before its
// group starts writes nothing; calls after Close fail instead of hanging.
func TestGroupCommitCancelledAndClosed(t *testing.T) {
	d := newTestDB(t, clock.NewFake(t0))
	s, err := storage.Open(context.Background(), d.opts)
	mustNoErr(t, err)
	seed(t, s)
	k := rules.InboundKey{Sender: "财政-张三", MsgID: "1", CreateTime: 1800000000}
	_, err = s.RecordInbound(context.Background(), k, rules.MsgText, "状态", t0)
	mustNoErr(t, err)

	release := storage.HoldGroupCommit(s)
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.FinishInbound(cctx, k, []rules.Outgoing{{Kind: "reply", Key: "reply:1", To: rules.Recipient{Remark: "财政-张三"}, Text: "x"}})
	}()
	waitQueued(t, s, 1, release)
	cancel()
	release()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: err = %v", err)
	}
	if un, _ := s.UnhandledInbound(context.Background()); len(un) != 1 {
		t.Fatalf("a cancelled call marked its message: %+v", un)
	}
	if out, _ := s.Outbox(context.Background(), ""); len(out) != 0 {
		t.Fatalf("a cancelled call queued: %+v", out)
	}
	mustNoErr(t, s.Close())
	if err := s.FinishInbound(context.Background(), k, nil); err == nil {
		t.Fatal("FinishInbound after Close succeeded")
	}
}

// waitQueued waits until n calls are queued for the held group committer.
// The callers are goroutines that a loaded machine may schedule late, so it
// waits on the count alone; the only bound is the test's own deadline (a
// hang guard: it releases the committer and fails with the count).
func waitQueued(t *testing.T, s *storage.Store, n int, release func()) {
	t.Helper()
	ctx := hangGuard(t)
	for storage.GroupQueued(s) < n {
		select {
		case <-ctx.Done():
			release()
			t.Fatalf("hung: only %d of %d calls queued for the group committer", storage.GroupQueued(s), n)
		case <-time.After(time.Millisecond): // poll interval
		}
	}
}
