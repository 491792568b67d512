package handlers_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/handlers"
	"dudaobot/handlers/handlerstest"
	"dudaobot/rules"
)

// slowInbox holds the binding writes (EndBindings, ClaimBindingCode) once
// armed, until release is closed: a disk that stalls. entered says a write
// is being held.
type slowInbox struct {
	handlers.InboxStore
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func newSlowInbox(in handlers.InboxStore) *slowInbox {
	return &slowInbox{InboxStore: in, entered: make(chan struct{}, 8), release: make(chan struct{})}
}

func (s *slowInbox) arm() { s.mu.Lock(); s.armed = true; s.mu.Unlock() }

func (s *slowInbox) hold() {
	s.mu.Lock()
	armed := s.armed
	s.mu.Unlock()
	if armed {
		s.entered <- struct{}{}
		<-s.release
	}
}

func (s *slowInbox) EndBindings(ctx context.Context, remark, reason, actor string, at time.Time) ([]rules.Binding, error) {
	s.hold()
	return s.InboxStore.EndBindings(ctx, remark, reason, actor, at)
}

func (s *slowInbox) ClaimBindingCode(ctx context.Context, codeHash string, b rules.Binding, ttl time.Duration) (rules.Binding, error) {
	s.hold()
	return s.InboxStore.ClaimBindingCode(ctx, codeHash, b, ttl)
}

// TestSlowBindingWriteDoesNotBlockAccept: while a binding write waits for
// the disk (the session change's EndBindings, the contact list's, a
// stranger's 绑定 on its worker), Accept on the sync goroutine still
// records and queues other messages, a code-bound sender's among them: no
// lock of Intake is held across the write. Each case waits on the store
// having entered the write, then on Accept returning.
func TestSlowBindingWriteDoesNotBlockAccept(t *testing.T) {
	cases := []struct {
		name  string
		write func(ctx context.Context, h *handlerstest.Harness, bound rules.Contact) error
	}{
		{"ForgetSessions", func(ctx context.Context, h *handlerstest.Harness, _ rules.Contact) error {
			return h.Intake.ForgetSessions(ctx)
		}},
		{"ContactsSeen", func(ctx context.Context, h *handlerstest.Harness, _ rules.Contact) error {
			return h.Intake.ContactsSeen(ctx, []rules.Contact{h.Official("czj")})
		}},
		{"绑定 on its worker", func(ctx context.Context, h *handlerstest.Harness, _ rules.Contact) error {
			return h.Intake.Accept(ctx, batchMsg(h, h.Stranger("新人"), 901, "绑定 "+issueCode(t, h, "gaj")))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var slow *slowInbox
			h := handlerstest.New(t, func(o *handlers.Options) {
				slow = newSlowInbox(o.Inbox)
				o.Inbox = slow
			})
			ctx := context.Background()
			// A stranger binds to czj's official while writes are quick.
			bound := h.Stranger("代办人")
			h.Text(bound, "绑定 "+issueCode(t, h, "czj"))
			if got := only(h.Drain(), bound.UserName); len(got) != 1 || !strings.Contains(got[0].Text, "绑定成功") {
				t.Fatalf("binding before the test: %s", texts(got))
			}
			// From here messages go to workers (Synchronous would run the
			// 绑定 case on this goroutine).
			in2, conv2, err := handlers.New(asyncOpts(h.Opts))
			if err != nil {
				t.Fatal(err)
			}
			h.Intake, h.Conv = in2, conv2
			if err := h.Intake.Recover(ctx); err != nil { // restores the binding
				t.Fatal(err)
			}
			h.Intake.Start(ctx)
			slow.arm()
			writeDone := make(chan error, 1)
			go func() { writeDone <- tc.write(ctx, h, bound) }()
			<-slow.entered // the write is held by the "disk"

			accepted := make(chan error, 2)
			go func() {
				accepted <- h.Intake.Accept(ctx, batchMsg(h, h.Official("mzj"), 902, "帮助"))
				accepted <- h.Intake.Accept(ctx, batchMsg(h, bound, 903, "帮助"))
			}()
			for range 2 {
				if err := <-accepted; err != nil {
					t.Fatalf("Accept during a held binding write: %v", err)
				}
			}
			close(slow.release)
			if err := <-writeDone; err != nil {
				t.Fatal(err)
			}
			if err := h.Intake.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if got := only(h.Drain(), h.Official("mzj").Remark); len(got) != 1 {
				t.Errorf("the accepted message got %d replies, want 1", len(got))
			}
		})
	}
}

// asyncOpts is o with messages run on the workers.
func asyncOpts(o handlers.Options) handlers.Options {
	o.Synchronous = false
	return o
}
