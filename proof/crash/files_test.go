package crash_test

import (
	"context"
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
	reChecksum  = regexp.MustCompile(`校验码：([0-9a-f]{12})`)
	reResend    = regexp.MustCompile(`发送的《([^》]+)》因系统重启未能登记，请重新发送`)
)

const textDownloadFailed = "文件接收失败，请重新发送。"

// sentFile is one document an official sent through the simulator.
type sentFile struct {
	from, remark, name, sha string
	size                    int
}

// TestKillWhileFilesArrive: officials keep sending PDFs (20 KB – 3 MB)
// while the bot is SIGKILLed at ≥ 20 random moments and restarted. At the
// end:
//   - every receipt that went out names a row whose blob is on disk with
//     the row's SHA-256 (equal to the bytes the official sent) and size;
//   - every row has its blob; no temp file is left; integrity_check is ok;
//   - every file sent got a receipt or a request to resend it; none is
//     silently lost;
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
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// The sender: one file every 20–120 ms from a random official, until
	// the killer is done.
	var (
		mu       sync.Mutex
		files    []sentFile
		killerOK = make(chan struct{})
		sendDone = make(chan error, 1)
	)
	srng := rand64(rng.Int63())
	go func() {
		for i := 0; ; i++ {
			select {
			case <-killerOK:
				sendDone <- nil
				return
			default:
			}
			s := senders[srng.Intn(len(senders))]
			size := 20<<10 + srng.Intn(300<<10)
			if srng.Intn(8) == 0 {
				size = 1<<20 + srng.Intn(2<<20) // a few big ones widen the download window
			}
			name := fmt.Sprintf("crash-%03d.pdf", i)
			body := harness.PDF(int64(i)+srng.Int63(), size)
			if _, err := harness.SendPDF(sim, s.id, name, body); err != nil {
				sendDone <- err
				return
			}
			mu.Lock()
			files = append(files, sentFile{from: s.id, remark: s.remark, name: name, sha: harness.SHA256Hex(body), size: size})
			mu.Unlock()
			time.Sleep(time.Duration(20+srng.Intn(100)) * time.Millisecond)
		}
	}()

	// The killer: run the bot for 150 ms – 1.5 s, SIGKILL, restart.
	var kills []time.Time
	run := 0
	p := harness.Start(t, bin, env, sim.URL(), run)
	for len(kills) < minKills {
		time.Sleep(between(rng, 150*time.Millisecond, 1500*time.Millisecond))
		if ok, err := p.Exited(); ok {
			t.Fatalf("bot exited by itself: %v\n%s", err, p.Tail(3000))
		}
		p.Kill()
		kills = append(kills, time.Now())
		run++
		p = harness.Start(t, bin, env, sim.URL(), run)
	}
	close(killerOK)
	if err := <-sendDone; err != nil {
		t.Fatalf("sending: %v", err)
	}
	mu.Lock()
	all := append([]sentFile(nil), files...)
	mu.Unlock()
	t.Logf("%d files sent (%d kills)", len(all), len(kills))

	// The last run must answer every file: receipt or resend request. A
	// row claimed by a killed relay comes back after its 2-minute lease.
	byName := map[string]sentFile{}
	bySHA12 := map[string]sentFile{}
	for _, f := range all {
		byName[f.name] = f
		bySHA12[f.sha[:12]] = f
	}
	outcome := func() (receipted, resend map[string]bool, generic map[string]int) {
		receipted, resend, generic = map[string]bool{}, map[string]bool{}, map[string]int{}
		for _, s := range sim.Sent() {
			if m := reChecksum.FindStringSubmatch(s.Text); m != nil && strings.Contains(s.Text, "【回执】") {
				if f, ok := bySHA12[m[1]]; ok {
					receipted[f.name] = true
				}
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
	unanswered := func() []string {
		rec, res, gen := outcome()
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
	if !harness.WaitFor(ctx, 150*time.Second, func() bool { return len(unanswered()) == 0 }) {
		t.Errorf("files never answered (lost): %v\nlast log:\n%s", unanswered(), p.Tail(4000))
	}
	p.Stop(30 * time.Second)

	// Reconcile.
	rec, res, gen := outcome()
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

	db := harness.OpenDB(t, env.DBPath)
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
		if c := reChecksum.FindStringSubmatch(s.Text); c == nil || !strings.HasPrefix(r.SHA256, c[1]) {
			t.Errorf("receipt R-%d checksum %v does not match row %s", id, c, r.SHA256)
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
		len(all), len(kills), len(rows), sumValues(receiptsSent), len(receiptsSent), dupes, len(res), both, orphans, len(unanswered()))
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
