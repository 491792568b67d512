package bot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/bot"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// loginOnce runs a client until its QR login (confirmed through wxsim) is
// online, then stops it like a kill. It leaves the hot-login file behind.
func loginOnce(t *testing.T, sim *wxsim.Server, hot string) {
	t.Helper()
	r := startClient(t, sim, nil, clientOpts{hotFile: hot})
	if _, err := sim.WaitPending(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := sim.ConfirmLogin(); err != nil {
		t.Fatal(err)
	}
	r.waitStatus(t, true)
	// The login's dump reaches the file when the first synccheck starts
	// (hotStore.commit), which may come after the status: stopping before
	// it would leave no file to hot-log in from.
	ctx := ctxT(t)
	for {
		if _, err := os.Stat(hot); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the hot-login file %s was never written", hot)
		case <-time.After(time.Millisecond):
		}
	}
	r.stop()
}

// TestHotLoginRestartFilesInOut: after a restart the client hot-logs in
// without any scan; a file in downloads and a file out uploads (workaround
// (a)); a second restart still hot-logs in (workaround (b)).
func TestHotLoginRestartFilesInOut(t *testing.T) {
	sim := newSim(t, wxsim.Options{})
	zhang := sim.AddContact("张三", "czj-zhang")
	hot := filepath.Join(t.TempDir(), "state", "hotlogin.json")
	loginOnce(t, sim, hot)
	logins := sim.Logins()

	for round := 1; round <= 2; round++ {
		r := startClient(t, sim, nil, clientOpts{hotFile: hot})
		st := r.waitStatus(t, true)
		if st.Cause != bot.CauseHotLogin || !st.SameSession() {
			t.Fatalf("round %d: came online by %q, want hot login", round, st.Cause)
		}
		if r.qr.String() != "" || sim.PendingUUID() != "" {
			t.Fatalf("round %d: a QR/push login was started", round)
		}
		if sim.Logins() != logins+round {
			t.Fatalf("round %d: logins = %d", round, sim.Logins())
		}

		// File in.
		content := bytes.Repeat([]byte("督导报告内容 "), 40000+round) // ~760 KB: two chunks on the wire
		id, err := sim.SendFile(zhang.ID, "自查报告.docx", bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		in := r.in.waitMsg(t, id, 1)
		if in.Kind != rules.MsgFile || in.File == nil || in.File.Name != "自查报告.docx" || in.File.Size != int64(len(content)) {
			t.Fatalf("round %d: inbound file = %+v %+v", round, in, in.File)
		}
		got, err := readAllOpen(ctxT(t), in.File)
		if err != nil {
			t.Fatalf("round %d: download after hot login: %v", round, err)
		}
		if !bytes.Equal(got, content) {
			t.Fatalf("round %d: downloaded %d bytes, want %d", round, len(got), len(content))
		}

		// File out.
		out := bytes.Repeat([]byte{byte(round)}, 700_000)
		src := writeTemp(t, t.TempDir(), "blob.bin", out)
		err = r.c.Send(ctxT(t), rules.Outgoing{Key: "f", To: rules.Recipient{Remark: "czj-zhang"}, FilePath: src, FileName: "反馈意见.pdf"})
		if err != nil {
			t.Fatalf("round %d: upload after hot login: %v", round, err)
		}
		sent := sim.SentTo(zhang.ID)
		last := sent[len(sent)-1]
		sum := sha256.Sum256(out)
		if last.Kind != "file" || last.FileName != "反馈意见.pdf" || last.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("round %d: sent = %+v", round, last)
		}
		r.stop()

		// The file on disk still has cookies for the next hot login.
		data, err := os.ReadFile(hot)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `"Jar":{}`) {
			t.Fatalf("round %d: hot-login file lost its cookies: %s", round, data)
		}
	}
}

// TestStockStorageDefects is the negative control: with openwechat's own
// file storage, a hot-logged-in bot cannot upload or download (defect (a)),
// its first dump wipes the jar and the next hot login fails (defect (b)).
func TestStockStorageDefects(t *testing.T) {
	sim := newSim(t, wxsim.Options{AutoConfirm: true})
	zhang := sim.AddContact("张三", "czj-zhang")
	path := filepath.Join(t.TempDir(), "stock.json")

	// Session 1: QR login with the stock storage attached.
	var synced sync.Once
	first := make(chan struct{})
	b1 := newRawBot(t, sim, func(m *openwechat.Message) {
		if m.StatusNotify() {
			synced.Do(func() { close(first) })
		}
	})
	st1 := openwechat.NewFileHotReloadStorage(path)
	defer st1.Close()
	if err := b1.bot.HotLogin(st1, openwechat.NewRetryLoginOption()); err != nil {
		t.Fatal(err)
	}
	<-first // the first sync has been dumped
	b1.cancel()

	// Session 2: hot login works, but files do not.
	files := make(chan *openwechat.Message, 1)
	b2 := newRawBot(t, sim, func(m *openwechat.Message) {
		if m.HasAttachment() {
			files <- m
		}
	})
	st2 := openwechat.NewFileHotReloadStorage(path)
	defer st2.Close()
	if err := b2.bot.HotLogin(st2); err != nil {
		t.Fatalf("stock hot login: %v", err)
	}
	self, err := b2.bot.GetCurrentUser()
	if err != nil {
		t.Fatal(err)
	}
	fr := openwechat.NewFriendHelper(self) // any recipient: the upload fails before sending
	_, upErr := fr.SendFile(bytes.NewReader([]byte("hello")))
	if !errors.Is(upErr, openwechat.ErrWebWxDataTicketNotFound) {
		t.Errorf("stock storage upload after hot login: err = %v, want webwx_data_ticket not found", upErr)
	}
	if _, err := sim.SendFile(zhang.ID, "a.docx", strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
	m := <-files
	if _, err := m.GetFile(); !errors.Is(err, openwechat.ErrWebWxDataTicketNotFound) {
		t.Errorf("stock storage download after hot login: err = %v", err)
	}
	b2.cancel()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc["Jar"]) != "{}" {
		t.Errorf("stock dump after hot login: Jar = %s, want {}", doc["Jar"])
	}

	// Session 3: the next hot login from the wiped storage fails.
	b3 := newRawBot(t, sim, nil)
	st3 := openwechat.NewFileHotReloadStorage(path)
	defer st3.Close()
	if err := b3.bot.HotLogin(st3); err == nil {
		t.Error("second stock hot login succeeded; defect (b) not reproduced")
	} else {
		t.Logf("stock second hot login fails as expected: %v", err)
	}
}

// TestCrashWindowNoLoss: openwechat dumps the new SyncKey before the handler
// runs. A "kill" while the Intake is recording a message must not lose it:
// with our storage the message is delivered again after the restart; with
// the stock storage it is lost (negative control).
func TestCrashWindowNoLoss(t *testing.T) {
	t.Run("ours", func(t *testing.T) {
		sim := newSim(t, wxsim.Options{})
		zhang := sim.AddContact("张三", "czj-zhang")
		hot := filepath.Join(t.TempDir(), "hot.json")
		loginOnce(t, sim, hot)

		in := newIntake()
		blocked := make(chan struct{})
		release := make(chan struct{})
		defer close(release)
		in.setHook(func(ctx context.Context, m rules.Inbound) error {
			if m.Text == "victim" {
				close(blocked)
				<-release // the process "dies" while recording
				return errors.New("killed")
			}
			return nil
		})
		r := startClient(t, sim, in, clientOpts{hotFile: hot})
		r.waitStatus(t, true)
		id, _ := sim.SendText(zhang.ID, "victim")
		<-blocked
		r.stop() // kill: the intake never recorded "victim"

		in2 := newIntake()
		r2 := startClient(t, sim, in2, clientOpts{hotFile: hot})
		if st := r2.waitStatus(t, true); st.Cause != "hot login" {
			t.Fatalf("restart by %q", st.Cause)
		}
		got := in2.waitMsg(t, id, 1)
		if got.Text != "victim" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("stock-loses", func(t *testing.T) {
		sim := newSim(t, wxsim.Options{AutoConfirm: true})
		zhang := sim.AddContact("张三", "czj-zhang")
		path := filepath.Join(t.TempDir(), "stock.json")
		blocked := make(chan struct{})
		release := make(chan struct{})
		defer close(release)
		b1 := newRawBot(t, sim, func(m *openwechat.Message) {
			if m.Content == "victim" {
				close(blocked)
				<-release
			}
		})
		st1 := openwechat.NewFileHotReloadStorage(path)
		defer st1.Close()
		if err := b1.bot.HotLogin(st1, openwechat.NewRetryLoginOption()); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.SendText(zhang.ID, "victim"); err != nil {
			t.Fatal(err)
		}
		<-blocked
		b1.cancel() // kill while "recording"

		texts := make(chan string, 10)
		b2 := newRawBot(t, sim, func(m *openwechat.Message) {
			if m.IsText() {
				texts <- m.Content
			}
		})
		st2 := openwechat.NewFileHotReloadStorage(path)
		defer st2.Close()
		if err := b2.bot.HotLogin(st2); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.SendText(zhang.ID, "marker"); err != nil {
			t.Fatal(err)
		}
		// Delivery is in order: if "victim" were redelivered it would come
		// before "marker".
		if first := <-texts; first != "marker" {
			t.Fatalf("stock storage redelivered %q; expected the loss", first)
		}
		t.Log("stock storage: the message being recorded at the kill is lost for good (as expected)")
	})
}
