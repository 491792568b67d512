package e2e_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/app/apptest"
	"dudaobot/internal/testutil"
	"dudaobot/rules"
	"dudaobot/wxsim"
)

// TestNoSessionSecretsLeak (issue 12, finding 2): a failed download, a
// failed send and failed sync polls, all through the real openwechat client
// against the simulator, leave none of the session's pass_ticket, skey, sid,
// uin and webwx_data_ticket values in the bot's logs, the database file (with
// its WAL) or a backup. The failures are checked to have happened and been
// logged, scrubbed.
func TestNoSessionSecretsLeak(t *testing.T) {
	t.Parallel()
	h := apptest.Start(t, apptest.At(time.Date(2027, time.February, 20, 10, 0, 0, 0, shanghai(t))))
	secrets := h.Sim.SessionSecrets()
	if secrets["pass_ticket"] == "" || secrets["skey"] == "" {
		t.Fatalf("no session secrets from the simulator: %v", secrets)
	}
	czj := h.Official("czj")

	// 1. The download of an official's file fails.
	remove := h.Sim.InjectFault(wxsim.Fault{Endpoint: "webwxgetmedia", Kind: wxsim.FaultDrop})
	h.SendFile(czj, "自查自评报告.docx", apptest.Docx("自查"))
	h.WaitText(czj, "文件接收失败")
	remove()

	// 2. A reply cannot be sent: the row records the failure.
	remove = h.Sim.InjectFault(wxsim.Fault{Endpoint: "webwxsendmsg", Kind: wxsim.FaultDrop})
	h.Say(czj, "状态")
	failed := h.WaitQueued(func(m rules.Outgoing) bool { return m.To.Remark == czj && m.Attempts > 0 && m.LastError != "" })
	remove()
	h.Clock.Advance(time.Hour) // past the retry's backoff
	h.WaitText(czj, "县财政局")

	// 3. A sync poll hangs until the client gives up.
	remove = h.Sim.InjectFault(wxsim.Fault{Endpoint: "synccheck", Kind: wxsim.FaultHang, Count: 1})
	waitLog(t, h, "wechat sync error")
	remove()
	h.Say(czj, "帮助")
	h.WaitText(czj, "状态")

	backup := filepath.Join(h.Dir, "backup.db")
	if err := h.App.Store.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	for k, v := range h.Sim.SessionSecrets() { // a re-login makes new ones
		if secrets[k] != v {
			secrets[k+" (after re-login)"] = v
		}
	}

	logs := botLogs(h.Logs())
	for _, line := range []string{"file download failed", "send failed, will retry", "wechat sync error"} {
		if !strings.Contains(logs, line) {
			t.Errorf("the logs lack %q: the failure did not happen as planned", line)
		}
	}
	if !strings.Contains(logs, rules.Scrubbed) || !strings.Contains(failed.LastError, rules.Scrubbed) {
		t.Errorf("nothing was scrubbed: last_error %q", failed.LastError)
	}
	places := map[string][]byte{"logs": []byte(logs)}
	for _, p := range []string{filepath.Join(h.Dir, "data", "dudao.db"), filepath.Join(h.Dir, "data", "dudao.db-wal"), backup} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		places[filepath.Base(p)] = b
	}
	hits := 0
	for name, v := range secrets {
		if v == "" {
			continue
		}
		for _, form := range []string{v, url.QueryEscape(v)} {
			for where, b := range places {
				if bytes.Contains(b, []byte(form)) {
					hits++
					t.Errorf("%s (%s) found in %s", name, form, where)
				}
			}
		}
	}
	t.Logf("secret values checked: %d, hits: %d; last_error: %s", len(secrets), hits, failed.LastError)
}

// botLogs drops the simulator's own lines: it is WeChat's side, which
// holds the session by definition.
func botLogs(all string) string {
	var b strings.Builder
	for _, line := range strings.Split(all, "\n") {
		if !strings.Contains(line, "component=wxsim") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// waitLog waits until the bot's logs contain s (progress, not time).
func waitLog(t *testing.T, h *apptest.Harness, s string) {
	t.Helper()
	ctx := testutil.HangGuard(t)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(h.Logs(), s) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("no %q in the logs", s)
		}
	}
}
