package sandbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"dudaobot/internal/testutil"
	"dudaobot/sandbox"
)

// hangGuard returns a context that ends shortly before the test binary's
// own deadline (go test -timeout; testutil.GuardDeadline). It only turns a
// hung test into a failure that names what it waited for: every wait ends
// as soon as what it waits for happens, and no wait has a window of its own,
// so a slow or loaded machine makes a test longer, never red.
func hangGuard(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), testutil.GuardDeadline(t))
}

// startSandbox runs a sandbox on a free port over the shipped config with
// its data in a temp folder, sending fast so reminder bursts take moments.
func startSandbox(t *testing.T, dataDir string) *sandbox.Sandbox {
	t.Helper()
	ctx, cancel := hangGuard(t)
	defer cancel()
	s, err := sandbox.Start(ctx, sandbox.Options{
		Addr:         "127.0.0.1:0",
		DataDir:      dataDir,
		ConfigPath:   "../config.yaml",
		SendInterval: 5 * time.Millisecond,
		SendJitter:   2 * time.Millisecond,
		Logger:       testLogger(t),
	})
	if err != nil {
		t.Fatalf("sandbox.Start: %v", err)
	}
	return s
}

// completeReport is a real-looking self-assessment report of 县财政局 with
// all five parts (the content check's fixture): a unit that sent it owes
// nothing more, so it is never reminded (a report lacking a part would be
// named in its reminders until the due date).
func completeReport(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../extract/testdata/complete.docx")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sseEvent is one event of /api/events.
type sseEvent struct {
	Name string
	Data json.RawMessage
}

// subscribe reads the sandbox's event stream into a channel until the test
// ends.
func subscribe(t *testing.T, s *sandbox.Sandbox) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.Base()+"api/events?token="+s.Token(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		cancel()
		t.Fatalf("events Content-Type = %q", ct)
	}
	ch := make(chan sseEvent, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = json.RawMessage(strings.TrimPrefix(line, "data: "))
			case line == "" && ev.Name != "":
				select {
				case ch <- ev:
				default: // the test stopped reading
				}
				ev = sseEvent{}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return ch
}

type message struct {
	ID       int64  `json:"id"`
	Contact  string `json:"contact"`
	From     string `json:"from"`
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	FileName string `json:"fileName"`
	Size     int64  `json:"size"`
	URL      string `json:"url"`
	Time     string `json:"time"`
}

type messageEvent struct {
	Message message `json:"message"`
	Unread  int     `json:"unread"`
}

// waitMessage reads events until a message event matches.
func waitMessage(t *testing.T, ch <-chan sseEvent, what string, match func(message) bool) messageEvent {
	t.Helper()
	ctx, cancel := hangGuard(t)
	defer cancel()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended while waiting for %s", what)
			}
			if ev.Name != "message" {
				continue
			}
			var me messageEvent
			if err := json.Unmarshal(ev.Data, &me); err != nil {
				t.Fatalf("message event %s: %v", ev.Data, err)
			}
			if match(me.Message) {
				return me
			}
		case <-ctx.Done():
			t.Fatalf("no %s before the test's deadline", what)
		}
	}
}

// waitEvent reads events until one named name arrives.
func waitEvent(t *testing.T, ch <-chan sseEvent, name string) json.RawMessage {
	t.Helper()
	ctx, cancel := hangGuard(t)
	defer cancel()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended while waiting for %q", name)
			}
			if ev.Name == name {
				return ev.Data
			}
		case <-ctx.Done():
			t.Fatalf("no event %q before the test's deadline", name)
		}
	}
}

// testLogger collects the bot's logs and prints them only if the test
// fails.
func testLogger(t *testing.T) *slog.Logger {
	lb := &testutil.LockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sandbox log:\n%s", lb.String())
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
