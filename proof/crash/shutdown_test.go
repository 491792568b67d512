package crash_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dudaobot/proof/harness"
	"dudaobot/wxsim"
)

// TestGracefulShutdown: SIGTERM while officials are sending files and
// commands. The real binary stops by itself (it is never SIGKILLed: the
// test only sends SIGKILL if it hangs, and then fails) with exit status 0, leaves a hot-login file that parses and a database
// that passes integrity_check, and no temp files; the next start hot-logs
// in without a scan and answers what was still unanswered.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	t.Parallel()
	bin := harness.Binary(t)
	env := harness.NewEnv(t, nil)
	sim, ids := harness.Sim(t, env.Config, wxsim.Options{LongPollHold: 2 * time.Second})
	ctx := harness.HangGuard(t)

	p := harness.Start(t, bin, env, sim.URL(), 1)
	if !harness.WaitFor(ctx, sim.LoggedIn) {
		t.Fatalf("never logged in:\n%s", p.Tail(30))
	}
	czj := ids["督导-财政局"]
	for i := 0; i < 5; i++ {
		if _, err := harness.SendPDF(sim, czj, "报告.pdf", harness.PDF(int64(i), 200_000)); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.SendText(czj, "状态"); err != nil {
			t.Fatal(err)
		}
	}
	p.Stop(2 * time.Minute) // SIGTERM; SIGKILL only if it hangs, which fails below
	exited, err := p.Exited()
	if !exited || err != nil {
		t.Fatalf("after SIGTERM: exited=%v err=%v (\"signal: killed\" means it hung)\n%s", exited, err, p.Tail(30))
	}

	hot, err := os.ReadFile(filepath.Join(env.Dir, "data", "hotlogin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(hot, &doc); err != nil || len(doc["SyncKey"]) == 0 {
		t.Fatalf("hot-login file after shutdown does not parse (%v): %.200s", err, hot)
	}
	db := harness.OpenDB(t, env.DBPath)
	if res, err := harness.IntegrityCheck(db); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
	db.Close()
	left, err := harness.Walk(env.FilesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range left {
		if strings.Contains(filepath.Base(f), ".tmp-") {
			t.Errorf("temp file left after a graceful stop: %s", f)
		}
	}

	// The next start: a hot login (no new QR scan), and every file gets
	// its receipt (or a request to resend) and every 状态 its answer.
	logins := sim.Logins()
	p2 := harness.Start(t, bin, env, sim.URL(), 2)
	defer p2.Stop(2 * time.Minute)
	if !harness.WaitFor(ctx, func() bool { return sim.Logins() > logins }) {
		t.Fatalf("no login after restart:\n%s", p2.Tail(30))
	}
	if strings.Contains(p2.Tail(200), "二维码") {
		t.Errorf("the restart drew a QR code instead of a hot login:\n%s", p2.Tail(40))
	}
	answered := func() (receipts, statuses int) {
		for _, s := range sim.SentTo(czj) {
			switch {
			case strings.Contains(s.Text, "【回执】"), strings.Contains(s.Text, "请重新发送"):
				receipts++
			case strings.HasPrefix(s.Text, "县财政局 2027年督导评价情况"):
				statuses++
			}
		}
		return
	}
	// Every 状态 is answered, except that an answer still queued when the
	// next 状态 came is replaced by the newer one (flood control): sent and
	// superseded answers together are 5, and the newest is always sent.
	db = harness.OpenDB(t, env.DBPath)
	answers := func() (sent, superseded int) {
		rows, err := db.Query(`SELECT status, COUNT(*) FROM outbox WHERE to_remark = '督导-财政局' AND kind = 'reply'
			AND text LIKE '县财政局 2027年督导评价情况%' GROUP BY status`)
		if err != nil {
			return 0, 0
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if rows.Scan(&st, &n) == nil {
				switch st {
				case "sent":
					sent = n
				case "superseded":
					superseded = n
				}
			}
		}
		return sent, superseded
	}
	if !harness.WaitFor(ctx, func() bool {
		r, s := answered()
		sent, sup := answers()
		return r >= 5 && s >= 1 && s == sent && sent+sup >= 5
	}) {
		r, s := answered()
		sent, sup := answers()
		t.Fatalf("after restart: %d receipts/resend requests, %d status answers delivered (%d rows sent, %d superseded), want 5 and 5 in all\n%s",
			r, s, sent, sup, p2.Tail(30))
	}
}
