package crash_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dudaobot/proof/harness"
	"dudaobot/wxsim"
)

var (
	reReceiptNo = regexp.MustCompile(`回执号 R-(\d+)`)
	// The receipt names the file (officials see no checksum): 文件：NAME（0.5 KB）.
	reFileLine = regexp.MustCompile(`文件：(.+)（[0-9.]+ [KM]B）`)
	reResend   = regexp.MustCompile(`发送的《([^》]+)》因系统重启未能登记，请重新发送`)
)

const textDownloadFailed = "文件接收失败，请重新发送。"

// sentFile is one document an official sent through the simulator.
type sentFile struct {
	from, remark, name, sha string
	size                    int
}

// TestKillWhileFilesArrive: officials keep sending PDFs (20 KB – 3 MB)
// while the bot is SIGKILLed ≥ 22 times and restarted. Each kill is placed
// by progress, never by a delay: at a seeded point chosen among the
// restart's login, a download in progress (a temp file in the file store),
// a seeded number of further submission rows, and a seeded number of
// further messages the bot sent. The senders are paced by the bot's
// answers, not by the clock, so a slow machine only makes the test longer.
// At the end:
//   - every receipt that went out names a row whose blob is on disk with
//     the row's SHA-256 (equal to the bytes the official sent) and size;
//   - every row has its blob; no temp file is left; integrity_check is ok;
//   - every file sent got a receipt or a request to resend it; none is
//     silently lost, and none got both;
//   - a receipt sent twice is only ever the message in flight at a kill
//     (sent, then killed before MarkSent), at most one per kill.
func TestKillWhileFilesArrive(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: -short")
	}
	t.Parallel()
	rng := seeded(t)
	bin := harness.Binary(t)
	env := harness.NewEnv(t, nil)
	sim, ids := harness.Sim(t, env.Config, wxsim.Options{LongPollHold: 2 * time.Second})

	var senders []struct{ id, remark string }
	for _, u := range env.Config.Units() {
		r := u.Officials[0].WeChatRemark
		senders = append(senders, struct{ id, remark string }{ids[r], r})
	}

	const minKills = 22
	guard := harness.HangGuard(t)
	db := harness.OpenDB(t, env.DBPath)

	var (
		mu       sync.Mutex
		files    []sentFile
		killerOK = make(chan struct{})
		sendDone = make(chan error, 1)
	)
	snapshot := func() []sentFile {
		mu.Lock()
		defer mu.Unlock()
		return append([]sentFile(nil), files...)
	}
	// What the bot answered: a receipt (matched by checksum), a request to
	// resend (by name), or the generic download failure (per sender).
	outcome := func(all []sentFile) (receipted, resend map[string]bool, generic map[string]int) {
		sent := map[string]bool{}
		for _, f := range all {
			sent[f.name] = true
		}
		receipted, resend, generic = map[string]bool{}, map[string]bool{}, map[string]int{}
		for _, s := range sim.Sent() {
			if m := reFileLine.FindStringSubmatch(s.Text); m != nil && strings.Contains(s.Text, "【回执】") && sent[m[1]] {
				receipted[m[1]] = true
			}
			if m := reResend.FindStringSubmatch(s.Text); m != nil {
				resend[m[1]] = true
			}
			if s.Text == textDownloadFailed {
				generic[s.ToID]++
			}
		}
		return
	}
	unanswered := func(all []sentFile) []string {
		rec, res, gen := outcome(all)
		var out []string
		for _, f := range all {
			if rec[f.name] || res[f.name] {
				continue
			}
			if gen[f.from] > 0 {
				gen[f.from]--
				continue
			}
			out = append(out, f.name)
		}
		return out
	}

	// The senders: bursts of 1–3 files from random officials; the next
	// burst goes once at most 4 files are unanswered, so files are always
	// arriving while the bot works, as many as it can take.
	srng := rand64(rng.Int63())
	go func() {
		for i := 0; ; {
			for range 1 + srng.Intn(3) {
				s := senders[srng.Intn(len(senders))]
				size := 20<<10 + srng.Intn(300<<10)
				if srng.Intn(8) == 0 {
					size = 1<<20 + srng.Intn(2<<20) // a few big ones widen the download window
				}
				name := fmt.Sprintf("crash-%03d.pdf", i)
				i++
				body := harness.PDF(int64(i)+srng.Int63(), size)
				if _, err := harness.SendPDF(sim, s.id, name, body); err != nil {
					sendDone <- err
					return
				}
				mu.Lock()
				files = append(files, sentFile{from: s.id, remark: s.remark, name: name, sha: harness.SHA256Hex(body), size: size})
				mu.Unlock()
			}
			for len(unanswered(snapshot())) > 4 {
				select {
				case <-killerOK:
					sendDone <- nil
					return
				case <-time.After(5 * time.Millisecond): // poll interval, not a wait for an outcome
				}
			}
			select {
			case <-killerOK:
				sendDone <- nil
				return
			default:
			}
		}
	}()

	// The killer: wait for a seeded point of progress, SIGKILL, restart.
	rowCount := func() int {
		var n int
		if _, err := os.Stat(env.DBPath); err != nil {
			return -1 // the bot has not created it yet
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM submissions`).Scan(&n); err != nil {
			return -1 // not created yet
		}
		return n
	}
	downloading := func() bool {
		ents, _ := os.ReadDir(env.FilesDir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				return true
			}
		}
		return false
	}
	var kills []string
	run := 0
	p := harness.Start(t, bin, env, sim.URL(), run)
	for len(kills) < minKills {
		ctx, cancel := p.UntilExit(guard)
		var point string
		reached := false
		switch rng.Intn(4) {
		case 0: // start-up: recovery right after the login
			logins := sim.Logins()
			point = fmt.Sprintf("login %d", logins+1)
			reached = sim.WaitLogins(ctx, logins+1) == nil
		case 1: // mid-download, or the next row if no download is seen first
			r := max(rowCount(), 0)
			point = "a download in progress"
			reached = harness.WaitFor(ctx, func() bool { return downloading() || rowCount() > r })
			if reached && !downloading() {
				point = fmt.Sprintf("submission row %d (no download seen)", r+1)
			}
		case 2:
			n := max(rowCount(), 0) + 1 + rng.Intn(3)
			point = fmt.Sprintf("submission row %d", n)
			reached = harness.WaitFor(ctx, func() bool { return rowCount() >= n })
		default:
			n := len(sim.Sent()) + 1 + rng.Intn(3)
			point = fmt.Sprintf("message %d sent", n)
			_, err := sim.WaitSent(ctx, n)
			reached = err == nil
		}
		cancel()
		if ok, err := p.Exited(); ok {
			t.Fatalf("run %d: bot exited by itself: %v\n%s", run, err, p.Tail(3000))
		}
		if !reached {
			t.Fatalf("run %d: never reached %s\n%s", run, point, p.Tail(3000))
		}
		p.Kill()
		kills = append(kills, point)
		t.Logf("kill %d at %s", len(kills), point)
		run++
		p = harness.Start(t, bin, env, sim.URL(), run)
	}
	close(killerOK)
	if err := <-sendDone; err != nil {
		t.Fatalf("sending: %v", err)
	}
	all := snapshot()
	t.Logf("%d files sent (%d kills)", len(all), len(kills))

	// The last run must answer every file: receipt or resend request. A
	// row claimed by a killed relay comes back after its 2-minute lease.
	byName := map[string]sentFile{}
	for _, f := range all {
		byName[f.name] = f
	}
	if !harness.WaitFor(guard, func() bool { return len(unanswered(all)) == 0 }) {
		t.Errorf("files never answered (lost): %v\nlast log:\n%s", unanswered(all), p.Tail(4000))
	}
	p.Stop(2 * time.Minute) // SIGKILL only if it hangs

	// Reconcile.
	rec, res, gen := outcome(all)
	both := 0
	for n := range rec {
		if res[n] {
			both++
		}
	}
	genTotal := 0
	for _, n := range gen {
		genTotal += n
	}
	t.Logf("outcomes: %d receipted, %d asked to resend (%d of them also receipted), %d generic download failures",
		len(rec), len(res), both, genTotal)
	if both > 0 {
		// The row and its receipt committed, the inbox row not yet marked
		// handled: the recovery must see the row, not ask again.
		t.Errorf("%d files got a receipt and also a request to resend them", both)
	}

	if ic, err := harness.IntegrityCheck(db); err != nil || ic != "ok" {
		t.Errorf("integrity_check = %q, %v", ic, err)
	}
	rows, err := harness.Submissions(db)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]harness.SubmissionRow{}
	referenced := map[string]bool{}
	for _, r := range rows {
		byID[r.ID] = r
		referenced[r.StoredPath] = true
		sum, n, err := harness.FileSHA256(filepath.Join(env.FilesDir, filepath.FromSlash(r.StoredPath)))
		switch {
		case err != nil:
			t.Errorf("row %d (%s): blob %s: %v", r.ID, r.OriginalName, r.StoredPath, err)
		case sum != r.SHA256 || n != r.Size:
			t.Errorf("row %d: blob hashes to %s (%d bytes), row says %s (%d)", r.ID, sum, n, r.SHA256, r.Size)
		}
		if f, ok := byName[r.OriginalName]; ok && f.sha != r.SHA256 {
			t.Errorf("row %d: %s stored with SHA-256 %s, the official sent %s", r.ID, r.OriginalName, r.SHA256, f.sha)
		}
	}
	receiptsSent := map[int64]int{}
	for _, s := range sim.Sent() {
		m := reReceiptNo.FindStringSubmatch(s.Text)
		if m == nil || !strings.Contains(s.Text, "【回执】") {
			continue
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		receiptsSent[id]++
		r, ok := byID[id]
		if !ok {
			t.Errorf("receipt R-%d went out but there is no row", id)
			continue
		}
		if c := reFileLine.FindStringSubmatch(s.Text); c == nil || c[1] != r.OriginalName {
			t.Errorf("receipt R-%d names file %v, the row is %s", id, c, r.OriginalName)
		}
	}
	dupes := 0
	for id, n := range receiptsSent {
		if n > 1 {
			dupes += n - 1
			t.Logf("receipt R-%d sent %d times", id, n)
		}
	}
	if dupes > len(kills) {
		t.Errorf("%d duplicate receipts for %d kills: more than the one message in flight per kill", dupes, len(kills))
	}
	blobs, err := harness.Walk(env.FilesDir)
	if err != nil {
		t.Fatal(err)
	}
	orphans := 0
	for _, b := range blobs {
		if strings.HasPrefix(filepath.Base(b), ".tmp-") {
			t.Errorf("temp file left after restart: %s", b)
			continue
		}
		if !referenced[b] {
			orphans++
		}
	}
	t.Logf("RESULT files: sent=%d kills=%d rows=%d receipts_sent=%d distinct_receipts=%d duplicate_receipts=%d resend_requests=%d receipted_and_resend=%d orphan_blobs=%d lost=%d",
		len(all), len(kills), len(rows), sumValues(receiptsSent), len(receiptsSent), dupes, len(res), both, orphans, len(unanswered(all)))
	if t.Failed() || os.Getenv("DUDAO_PROOF_VERBOSE") != "" {
		for i := 0; i <= run; i += max(1, run/4) {
			t.Logf("log of run %d:\n%s", i, harness.Tail(filepath.Join(env.Dir, fmt.Sprintf("run-%03d.log", i)), 3000))
		}
	}
}

func sumValues(m map[int64]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
