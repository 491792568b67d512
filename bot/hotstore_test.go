package bot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"dudaobot/bot"
	"dudaobot/internal/testutil"
)

func dump(sid string, syncVal int, jar string) []byte {
	return []byte(fmt.Sprintf(`{"Jar":%s,"BaseRequest":{"Uin":1,"Sid":%q,"Skey":"k","DeviceID":"e1"},`+
		`"LoginInfo":{"Ret":0,"WxUin":1,"WxSid":%q,"SKey":"k","PassTicket":"p"},"WechatDomain":"wx.qq.com",`+
		`"SyncKey":{"Count":1,"List":[{"Key":1,"Val":%d}]},"UUID":"u"}`+"\n", jar, sid, sid, syncVal))
}

const fullJar = `{"https://wx.qq.com":[{"Name":"wxsid","Value":"S"},{"Name":"webwx_data_ticket","Value":"T"}]}`

// TestHotStoreWorkarounds exercises (a) and (b) on the documents alone.
func TestHotStoreWorkarounds(t *testing.T) {
	// (b): an empty jar keeps the previous one.
	out, err := bot.MergeDumpForTest(dump("S", 2, `{}`), dump("S", 1, fullJar))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	_ = json.Unmarshal(out, &doc)
	if !strings.Contains(string(doc["Jar"]), "webwx_data_ticket") || !strings.Contains(string(doc["SyncKey"]), `"Val":2`) {
		t.Errorf("merged = %s", out)
	}
	// Same session, partial jar: other hosts kept. New session: replaced.
	out, _ = bot.MergeDumpForTest(dump("S", 3, `{"https://webpush.wx.qq.com":[{"Name":"x","Value":"1"}]}`), dump("S", 1, fullJar))
	if !strings.Contains(string(out), `"https://wx.qq.com"`) || !strings.Contains(string(out), `"https://webpush.wx.qq.com"`) {
		t.Errorf("same-session merge = %s", out)
	}
	out, _ = bot.MergeDumpForTest(dump("NEW", 1, `{"https://wx.qq.com":[{"Name":"wxsid","Value":"NEW"}]}`), dump("S", 1, fullJar))
	if strings.Contains(string(out), `"T"`) {
		t.Errorf("new session kept old cookies: %s", out)
	}

	// (a): the cookies reach file. and webpush. for openwechat's jar.
	fixed, err := bot.FixCookiesForTest(dump("S", 1, fullJar))
	if err != nil {
		t.Fatal(err)
	}
	var item openwechat.HotReloadStorageItem
	if err := json.Unmarshal(fixed, &item); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"https://file.wx.qq.com", "https://webpush.wx.qq.com", "https://wx.qq.com"} {
		u, _ := parseURL(host + "/cgi-bin/mmwebwx-bin/x")
		got := item.Jar.Cookies(u)
		if len(got) != 2 {
			t.Errorf("%s gets %d cookies after the fix", host, len(got))
		}
	}
}

// TestHotStoreNeverTorn: while dumps are committed concurrently, every read
// of the file parses as a complete document (rename is atomic), and a
// pending dump is invisible until committed.
func TestHotStoreNeverTorn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hot.json")
	if err := os.WriteFile(path, dump("S", 0, fullJar), 0o600); err != nil {
		t.Fatal(err)
	}
	var fileMu sync.Mutex

	// Deferred write: invisible until Commit.
	st := bot.NewHotStoreForTest(path, &fileMu)
	if !st.CanHotLogin() {
		t.Fatal("fresh file not usable for hot login")
	}
	if _, err := st.Write(dump("S", 99, `{}`)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), `"Val":99`) {
		t.Fatal("a dump reached the disk before commit")
	}
	st.Commit()
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"Val":99`) || !strings.Contains(string(b), "webwx_data_ticket") {
		t.Fatalf("after commit: %s", b)
	}
	st.Close()
	if _, err := st.Write(dump("S", 100, fullJar)); err != nil {
		t.Fatal(err)
	}
	st.Commit()
	if b, _ := os.ReadFile(path); strings.Contains(string(b), `"Val":100`) {
		t.Fatal("a closed store wrote")
	}

	// Concurrent writers (4 stores, as successive sessions would) and readers.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readErr error
	var reads int
	var rmu sync.Mutex
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, err := os.ReadFile(path)
				var doc map[string]any
				if err == nil {
					err = json.Unmarshal(b, &doc)
				}
				rmu.Lock()
				reads++
				if err != nil && readErr == nil {
					readErr = fmt.Errorf("torn read (%d bytes): %w", len(b), err)
				}
				rmu.Unlock()
			}
		}()
	}
	var ww sync.WaitGroup
	for w := 0; w < 4; w++ {
		ww.Add(1)
		go func(w int) {
			defer ww.Done()
			s := bot.NewHotStoreForTest(path, &fileMu)
			// Close writes what a deferred (minGap) flush still holds and
			// stops its timer, so no write is in flight at the temp-file check.
			defer s.Close()
			pad := strings.Repeat("x", 3000*(w+1)) // sizes differ: truncation would show
			for i := 0; i < 25; i++ {
				jar := fmt.Sprintf(`{"https://wx.qq.com":[{"Name":"wxsid","Value":"S"},{"Name":"pad","Value":%q}]}`, pad)
				if _, err := s.Write(dump("S", w*1000+i, jar)); err != nil {
					t.Error(err)
					return
				}
				s.Commit()
			}
		}(w)
	}
	ww.Wait()
	close(stop)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	t.Logf("%d reads during 100 concurrent commits: all parsed", reads)

	// A storage with no file reads as invalid (so the supervisor goes to QR).
	empty := bot.NewHotStoreForTest(filepath.Join(dir, "missing.json"), &fileMu)
	if _, err := io.ReadAll(empty); !errors.Is(err, openwechat.ErrInvalidStorage) {
		t.Errorf("missing file read: %v", err)
	}
}

// Ensure commits within the write gap are coalesced into one later write of
// the newest committed document, never of a dump that was not committed
// yet (its messages may not be accepted), and that close flushes.
func TestHotStoreCoalescesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hot.json")
	var mu sync.Mutex
	st := bot.NewHotStoreForTest(path, &mu)
	st.SetMinGapForTest(time.Hour)
	syncVal := func() string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			return "absent"
		}
		var doc struct {
			SyncKey struct{ List []struct{ Val int } }
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("file does not parse: %v", err)
		}
		return fmt.Sprint(doc.SyncKey.List[0].Val)
	}
	st.Write(dump("S", 1, fullJar))
	st.Commit() // first write: immediate
	if got := syncVal(); got != "1" {
		t.Fatalf("after first commit synckey=%s, want 1", got)
	}
	st.Write(dump("S", 2, `{}`))
	st.Commit() // within the gap: deferred
	st.Write(dump("S", 3, `{}`))
	st.Commit()
	st.Write(dump("S", 4, `{}`)) // dumped, not committed: its batch is still being handled
	if got := syncVal(); got != "1" {
		t.Fatalf("within the gap synckey=%s, want 1 (deferred)", got)
	}
	st.Close()
	if got := syncVal(); got != "3" {
		t.Fatalf("after close synckey=%s, want 3 (newest committed, not the uncommitted 4)", got)
	}

	// With a short gap the deferred write happens on its own.
	path2 := filepath.Join(t.TempDir(), "hot.json")
	st2 := bot.NewHotStoreForTest(path2, &mu)
	st2.SetMinGapForTest(50 * time.Millisecond)
	st2.Write(dump("S", 1, fullJar))
	st2.Commit()
	st2.Write(dump("S", 7, `{}`))
	st2.Commit()
	// The write is due 50 ms after the first; the wait ends on the file's
	// content, bounded only by the hang guard.
	var b []byte
	if !testutil.WaitFor(ctxT(t), func() bool {
		b, _ = os.ReadFile(path2)
		return strings.Contains(string(b), `"Val":7`)
	}) {
		t.Fatalf("deferred write never happened (hung): %s", b)
	}
	st2.Close()
}
